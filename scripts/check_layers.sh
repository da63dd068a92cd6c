#!/usr/bin/env bash
#
# scripts/check_layers.sh - keep the shape of the source tree
# (docs/architecture.md).  Fails, naming file:line, when an #include of one
# of our headers crosses a layer the wrong way:
#
#   src/core/*        plumbing: includes core/ headers only, never a duty
#   src/<duty>/*      a duty: includes core/ headers, its own headers, and
#                     another duty's public header <other>/<other>.h only
#   src/*.c           the assembly (_PG_init): core/ headers and public duty
#                     headers only
#
# A duty is a folder of src/ other than core.  Run from anywhere; exit 0
# when the tree keeps the shape, 1 otherwise.

set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../src" && pwd)
bad=0

# public HEADER  - is it a duty's public header ("<duty>/<duty>.h")?
public() {
	local dir=${1%%/*} base
	base=$(basename "$1" .h)
	[[ $dir == "$base" ]]
}

while IFS= read -r file; do
	rel=${file#"$src"/}
	case $rel in
	core/*) layer=core ;;
	*/*) layer=${rel%%/*} ;;
	*) layer=assembly ;;
	esac
	lineno=0
	while IFS= read -r line; do
		lineno=$((lineno + 1))
		[[ $line =~ ^#include\ \"([a-z_]+)/([a-z_]+\.h)\" ]] || continue
		dir=${BASH_REMATCH[1]}
		inc=$dir/${BASH_REMATCH[2]}
		[[ -f $src/$inc ]] || continue # a server header, e.g. "utils/guc.h"
		why=
		if [[ $layer == core && $dir != core ]]; then
			why="plumbing includes a duty's header"
		elif [[ $layer != core && $dir != core && $dir != "$layer" ]] &&
			! public "$inc"; then
			why="includes another duty's private header"
		fi
		if [[ -n $why ]]; then
			printf 'src/%s:%d: %s: %s\n' "$rel" "$lineno" "$why" "$inc"
			bad=1
		fi
	done <"$file"
done < <(find "$src" -name '*.[ch]' | sort)

if ((bad)); then
	echo "check_layers: the source tree breaks its layering (see docs/architecture.md)" >&2
	exit 1
fi
echo "check_layers: ok ($(find "$src" -name '*.[ch]' | wc -l) files)"
