#!/usr/bin/env bash
#
# scripts/build_pg.sh MAJOR - make PostgreSQL MAJOR available for the tests,
# built from Debian's source package, with the extensions the suites use
# (pgTAP, pg_partman, pg_cron) built against it from their source packages.
#
#   scripts/build_pg.sh 18        build (first run: 2 min here, up to 8 under load) or reuse the cache
#
# Debian 12 ships binary packages of PostgreSQL 15 only; 15 comes from those
# (scripts/lib.sh, LG_PACKAGES) and this script is for the other versions.
#
# Where things go (override with LIFEGUARD_PG_CACHE):
#   /var/cache/pg_lifeguard/pgMAJOR       the installation (bin, lib, share)
#   /var/cache/pg_lifeguard/src/          downloaded tarballs, build trees
#   /var/cache/pg_lifeguard/pgMAJOR/lifeguard-components
#                                          one line per component:
#                                          "NAME VERSION" when built,
#                                          "NAME skipped: WHY" when not
#
# The cache is outside the clone, so only the first run on a machine pays
# for the build; a component is rebuilt only when its stamp is missing.
#
# Source packages come from a deb-src entry derived at run time from the
# machine's own apt source entry (the same mirror, Types: deb-src, the suite
# that carries the version).  No host name is written anywhere by this
# repository.  A component whose source cannot be fetched is skipped and
# named; the server itself missing is an error (exit 1).
#
# Runs as root (or with passwordless sudo for apt and the cache directory).

set -euo pipefail

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MAJOR=${1:-}
if ! [[ $MAJOR =~ ^1[6-9]$ ]]; then
	echo "usage: scripts/build_pg.sh MAJOR   (16 or later; 15 comes from Debian's packages)" >&2
	exit 2
fi

CACHE=${LIFEGUARD_PG_CACHE:-/var/cache/pg_lifeguard}
PREFIX=$CACHE/pg$MAJOR
SRC=$CACHE/src
COMPONENTS=$PREFIX/lifeguard-components
# The Debian suite whose source archive carries each version.
case $MAJOR in
17) SUITE=trixie ;;
*) SUITE=sid ;;
esac
# What the builds need.  bison and flex: release tarballs from Debian carry
# no pre-generated parser files.  libipc-run-perl: --enable-tap-tests.
BUILD_PACKAGES=(bison flex libipc-run-perl zlib1g-dev gcc make perl xz-utils bzip2)
SRC_LIST=/etc/apt/sources.list.d/pg_lifeguard-deb-src-$SUITE.sources

lg_init_privileges sudo

# component_line NAME TEXT  - record a component's state (replacing any
# earlier line for it).
component_line() {
	local name=$1 text=$2
	lg_as_root mkdir -p "$PREFIX"
	if [[ -f $COMPONENTS ]]; then
		grep -v "^$name " "$COMPONENTS" | lg_as_root tee "$COMPONENTS.new" >/dev/null || true
	else
		: | lg_as_root tee "$COMPONENTS.new" >/dev/null
	fi
	printf '%s %s\n' "$name" "$text" | lg_as_root tee -a "$COMPONENTS.new" >/dev/null
	lg_as_root mv "$COMPONENTS.new" "$COMPONENTS"
}

# ensure_deb_src  - add the deb-src entry for $SUITE, derived from the first
# stanza (or first "deb" line) of the machine's apt sources, and update.
# Does nothing when the entry exists and apt already knows the source.
ensure_deb_src() {
	local main=/etc/apt/sources.list.d/debian.sources uri=
	if [[ ! -f $SRC_LIST ]]; then
		if [[ -f $main ]]; then
			# deb822: the first stanza's URIs (first one) and Signed-By.
			local stanza
			stanza=$(awk 'BEGIN{RS=""} NR==1{print; exit}' "$main")
			uri=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' <<<"$stanza" | head -n1)
			local signed
			signed=$(sed -n 's/^Signed-By:[[:space:]]*//p' <<<"$stanza" | head -n1)
			[[ -n $uri ]] || { lg_err "no URIs: line in the first stanza of $main"; return 1; }
			{
				echo "# Added by pg_lifeguard's scripts/build_pg.sh: source packages for PostgreSQL $MAJOR."
				echo "# Derived from $main; remove this file to undo."
				echo "Types: deb-src"
				echo "URIs: $uri"
				echo "Suites: $SUITE"
				echo "Components: main"
				[[ -n $signed ]] && echo "Signed-By: $signed"
			} | lg_as_root tee "$SRC_LIST" >/dev/null
		elif [[ -f /etc/apt/sources.list ]]; then
			uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
				/etc/apt/sources.list)
			[[ -n $uri ]] || { lg_err "no deb line in /etc/apt/sources.list"; return 1; }
			SRC_LIST=${SRC_LIST%.sources}.list
			printf '# Added by pg_lifeguard scripts/build_pg.sh\ndeb-src %s %s main\n' "$uri" "$SUITE" |
				lg_as_root tee "$SRC_LIST" >/dev/null
		else
			lg_err "no apt source entry found to derive a deb-src entry from"
			return 1
		fi
		lg_say "apt: added $SRC_LIST (deb-src, $SUITE)"
	fi
	if ! apt-cache showsrc "postgresql-$MAJOR" 2>/dev/null | grep -q '^Package:'; then
		lg_say "apt: apt-get update (source lists)"
		lg_as_root env DEBIAN_FRONTEND=noninteractive \
			apt-get -q -o DPkg::Lock::Timeout=300 update </dev/null >"$SRC/apt-update.log" 2>&1 || {
			lg_show "$SRC/apt-update.log" "apt-get update" tail 40
			return 1
		}
	fi
}

# fetch_orig SRCPKG  - download the upstream tarball of a source package into
# $SRC/dl; prints its path.  Fails (with apt's words in $SRC/dl/SRCPKG.log)
# when the archive does not serve it.
fetch_orig() {
	local pkg=$1 f
	lg_as_root mkdir -p "$SRC/dl"
	(cd "$SRC/dl" && lg_as_root apt-get -q source --download-only --tar-only "$pkg") \
		</dev/null >"$SRC/dl/$pkg.log" 2>&1 || return 1
	f=$(find "$SRC/dl" -maxdepth 1 -name "${pkg}_*.orig.tar.*" ! -name '*.asc' | sort -V | tail -n1)
	[[ -n $f ]] || return 1
	printf '%s\n' "$f"
}

# unpack TARBALL DIR  - extract into DIR (emptied first); prints the top
# directory of the tree.
unpack() {
	local tarball=$1 dir=$2
	lg_as_root rm -rf "$dir"
	lg_as_root mkdir -p "$dir"
	lg_as_root tar -xf "$tarball" -C "$dir"
	find "$dir" -mindepth 1 -maxdepth 1 -type d | head -n1
}

# version_of TARBALL  - "18.6" from postgresql-18_18.6.orig.tar.bz2
version_of() {
	local b
	b=$(basename "$1")
	b=${b#*_}
	printf '%s\n' "${b%%.orig.tar.*}"
}

build_server() {
	local tarball version tree log
	if [[ -x $PREFIX/bin/pg_config && -f $PREFIX/.stamp-server ]]; then
		lg_say "PostgreSQL $MAJOR: cached in $PREFIX ($(cat "$PREFIX/.stamp-server"))"
		return 0
	fi
	if ! tarball=$(fetch_orig "postgresql-$MAJOR"); then
		lg_show "$SRC/dl/postgresql-$MAJOR.log" "apt-get source postgresql-$MAJOR" tail 20
		lg_err "PostgreSQL $MAJOR: the source package postgresql-$MAJOR could not be fetched"
		return 1
	fi
	version=$(version_of "$tarball")
	lg_say "PostgreSQL $MAJOR: building $version into $PREFIX (2 to 8 minutes on 2 cores)"
	tree=$(unpack "$tarball" "$SRC/postgresql-$MAJOR")
	log=$SRC/postgresql-$MAJOR.build.log
	(
		cd "$tree" &&
			lg_as_root ./configure --prefix="$PREFIX" --enable-tap-tests \
				--without-icu --without-readline &&
			lg_as_root make -j"$(nproc)" &&
			lg_as_root make install &&
			# contrib: the tests use dblink (and PostgreSQL's own suites
			# other modules), as Debian's server package ships them.
			lg_as_root make -C contrib -j"$(nproc)" &&
			lg_as_root make -C contrib install &&
			# pg_isolation_regress and isolationtester for PGXS's
			# installcheck of ISOLATION specs.
			lg_as_root make -C src/test/isolation install
	) </dev/null >"$log" 2>&1 || {
		lg_show "$log" "PostgreSQL $MAJOR build" tail 60
		lg_err "PostgreSQL $MAJOR: build failed (log: $log)"
		return 1
	}
	printf '%s\n' "$version" | lg_as_root tee "$PREFIX/.stamp-server" >/dev/null
	component_line postgresql "$version"
	lg_as_root rm -rf "$tree"
}

# build_extension NAME SRCPKG  - a PGXS extension from its source package.
# Never fails: a component that cannot be had is recorded as skipped.
build_extension() {
	local name=$1 pkg=$2 tarball version tree log why
	if [[ -f $PREFIX/.stamp-$name ]]; then
		lg_say "$name for PostgreSQL $MAJOR: cached ($(cat "$PREFIX/.stamp-$name"))"
		return 0
	fi
	if ! tarball=$(fetch_orig "$pkg"); then
		# apt's first error says why ("E: Failed to fetch .../pg-cron_1.6.8.orig.tar.gz  404  Not Found")
		why=$(sed -n 's/^E: //p' "$SRC/dl/$pkg.log" | head -n1 | sed 's/ *\[IP: [^]]*\]//; s/http[^ ]*\///')
		component_line "$name" "skipped: source package $pkg could not be fetched (${why:-no orig tarball})"
		lg_warn "$name for PostgreSQL $MAJOR skipped: source package $pkg could not be fetched (${why:-no orig tarball})"
		return 0
	fi
	version=$(version_of "$tarball")
	tree=$(unpack "$tarball" "$SRC/$pkg")
	log=$SRC/$pkg.build.log
	lg_say "$name for PostgreSQL $MAJOR: building $version"
	(cd "$tree" && lg_as_root make PG_CONFIG="$PREFIX/bin/pg_config" &&
		lg_as_root make PG_CONFIG="$PREFIX/bin/pg_config" install) </dev/null >"$log" 2>&1 || {
		lg_show "$log" "$name build" tail 30
		component_line "$name" "skipped: $version did not build against PostgreSQL $MAJOR (log: $log)"
		lg_warn "$name for PostgreSQL $MAJOR skipped: $version did not build (log: $log)"
		return 0
	}
	printf '%s\n' "$version" | lg_as_root tee "$PREFIX/.stamp-$name" >/dev/null
	component_line "$name" "$version"
	lg_as_root rm -rf "$tree"
}

main() {
	lg_install_packages "${BUILD_PACKAGES[@]}"
	lg_as_root mkdir -p "$SRC"
	if [[ ! -f $PREFIX/.stamp-server || ! -f $PREFIX/.stamp-pgtap ||
		! -f $PREFIX/.stamp-pg_partman || ! -f $PREFIX/.stamp-pg_cron ]]; then
		ensure_deb_src
	fi
	build_server
	build_extension pgtap pgtap
	build_extension pg_partman pg-partman
	build_extension pg_cron pg-cron
	lg_say "PostgreSQL $MAJOR: $PREFIX/bin/pg_config"
	sed 's/^/    /' "$COMPONENTS"
}

main
