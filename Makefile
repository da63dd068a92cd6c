# pg_lifeguard: PGXS build.
#
#   make                      build pg_lifeguard.so
#   make install              install into the PostgreSQL found by pg_config
#   make installcheck         pg_regress, isolation and Perl TAP suites, each on
#                             a throwaway cluster with pg_lifeguard preloaded
#                             (run as a non-root user that can write here)
#
# scripts/test.sh wraps all of this, adds the pgTAP suite, and is what CI runs.

MODULE_big = pg_lifeguard
# The source tree shows the architecture (docs/architecture.md): plumbing in
# src/core, one folder per duty, and src/pg_lifeguard.c, which puts them
# together.  Headers are included by their path under src/.
OBJS = \
	src/pg_lifeguard.o \
	src/core/acted.o \
	src/core/events.o \
	src/core/privileges.o \
	src/core/sessions.o \
	src/core/settings.o \
	src/core/shmem.o \
	src/core/worker.o \
	src/core/xact.o \
	src/policy/policy.o \
	src/slots/login.o \
	src/slots/slots.o \
	src/slots/slots_sql.o \
	src/limits/enforce.o \
	src/limits/locks.o \
	src/checks/checks.o \
	src/checks/jobs.o \
	src/checks/partitions.o \
	src/observability/eventlog.o \
	src/observability/http.o \
	src/observability/metrics.o \
	src/observability/status.o
PGFILEDESC = "pg_lifeguard - keeps a PostgreSQL server reachable during outages"

EXTENSION = pg_lifeguard
# The install script, and the upgrade scripts to come, live in extension/
DATA = extension/pg_lifeguard--0.1.sql

# Warnings are errors.  -Wextra is noisy on PostgreSQL's own headers and
# idioms (PG_FUNCTION_ARGS, signed/unsigned loop counters, partial struct
# initialisers), so those three are switched off again.
PG_CPPFLAGS = -I$(srcdir)/src
PG_CFLAGS = -Wall -Wextra -Werror \
	-Wno-unused-parameter -Wno-sign-compare -Wno-missing-field-initializers

# Every suite runs on its own throwaway cluster with the library preloaded.
# The regression cluster's worker watches "postgres" (so the tests can see it
# wait for, then find, the extension); the isolation cluster's worker watches
# the isolation database itself, where the specs take locks.
REGRESS = setup type_names worker_status recent_events privileges settings settings_units slots shed_idle \
	policies policy_limits blockers observability long_names
REGRESS_OPTS = --temp-config=$(srcdir)/test/regress.conf \
	--temp-instance=./tmp_check_regress

ISOLATION = worker_never_waits blockers_queue_jam blockers_chain
ISOLATION_OPTS = --temp-config=$(srcdir)/test/isolation.conf \
	--temp-instance=./tmp_check_iso

TAP_TESTS = 1
PROVE_TESTS = test/t/*.pl
# A TAP poll that has not succeeded within a minute has failed: say so then
# rather than after PostgreSQL's default of three minutes.
export PG_TEST_TIMEOUT_DEFAULT ?= 60

EXTRA_CLEAN = tmp_check tmp_check_regress tmp_check_iso output_iso results regression.diffs \
	regression.out log

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies: a changed shared-memory struct must
# rebuild every object, or they disagree about its layout.
$(OBJS): $(wildcard $(srcdir)/src/*.h $(srcdir)/src/*/*.h)
