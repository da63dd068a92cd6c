# Hostile schemas: roles that are not superusers plant look-alikes of every
# function and operator pg_lifeguard's SQL calls, where the superuser's
# background workers (and the readers of its views) might find them, and a
# look-alike of pg_cron's schema.  Every duty of the extension then runs;
# none of the planted code may run, and no role may gain a privilege.
#
#  - The names are found in the code at test time (HostileSchema.pm): the
#    SQL in src/**/*.c's string literals (SPI text) and in
#    extension/pg_lifeguard--*.sql (function bodies, views, report()'s queries);
#    a call added later is planted without editing this test, and one that
#    no planted signature can reach fails it.  Calls qualified with
#    pg_catalog are planted too: should the qualification go, they are
#    covered already.
#  - Each name is planted over common argument types, for every signature
#    that pg_catalog's own accepts, so that a planted one is a better match
#    than pg_catalog's wherever the argument types allow one (an identical
#    signature would lose: pg_catalog comes first).
#  - Attackers: "mallory", a plain role with CREATE on public in the
#    worker's database (as clusters upgraded from PostgreSQL 14 keep) and
#    owner of the schema named after the role the workers run as; "dbowner",
#    owner of the second checked database and so, in PostgreSQL 15, of its
#    public schema, who also makes a schema named after the workers' role
#    there and a fake "cron" schema whose views forge a run of a registered
#    pg_cron job.
#  - Each planted object, when run, writes a WARNING to the server log, a
#    row naming itself into trap.hits, and tries to make its planter a
#    superuser and a member of pg_read_server_files.
#  - Every duty must demonstrably have run after the planting (and after a
#    restart, so that every worker starts with the planted objects there)
#    before the trap is read: events written to lifeguard.events, NOTIFY,
#    a policy reload, slot samples, enforcement, partition and job checks
#    in both databases (pg_partman's configuration read too), pg_cron
#    ingestion, report(), metrics(), partitions() and lifeguard.jobs read
#    by a superuser with the default search_path and by a pg_monitor role
#    whose path holds the attackers' schemas, and the HTTP endpoint.
#
# Before search paths were pinned (7b96c61), the workers ran
# *(integer, interval) from job_status(), *(numeric, integer) from the
# policy load and jsonb_build_object(text, text) from the event writes as
# superuser, readers of lifeguard.jobs ran the first too, and the fake cron
# views forged a run: the trap, the log, the role and job-run checks fail.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use LifeguardTest;
use LifeguardHttp;
use HostileSchema;
use Time::HiRes qw(time usleep);

my $t0 = time;

# --- the names, from the code ----------------------------------------------
my ($calls, $ops, $files, $pinned) = derive_names("$FindBin::RealBin/../..");
note 'scanned: ' . join(', ', map { s{.*/(?=(?:src|extension)/)}{}r } @$files);
# every C source that runs SQL, in whatever folder, and the install script
my @runs_sql = grep {
	open my $fh, '<', $_ or die "$_: $!";
	my $src = do { local $/; <$fh> };
	$src =~ /\bSPI_(?:execute|exec|prepare|cursor_open)\w*\(/;
} (glob("$FindBin::RealBin/../../src/*.c"),
	glob("$FindBin::RealBin/../../src/*/*.c"));
my @missed = grep {
	my $f = $_;
	!grep { index($_, "$f ") == 0 } @$files
} @runs_sql;
ok(@runs_sql >= 4 && !@missed,
	'the scan reads every C source that runs SQL (' . scalar(@runs_sql) . ')')
  or diag 'not scanned: ' . join(', ', @missed);
ok((grep { m{/extension/pg_lifeguard--[^/]*\.sql$} } @$files),
	'... and the install script');
note 'calls found (keywords not dropped yet; numbers of arguments): '
  . join(' ',
	map { "$_(" . join(',', sort keys %{ $calls->{$_} }) . ')' }
	sort keys %$calls);
note 'operators used: ' . join(' ', sort keys %$ops);
note 'of which seen qualified with pg_catalog somewhere: '
  . join(' ', sort keys %$pinned);
cmp_ok(scalar(keys %$calls),
	'>=', 15, 'the scan finds the functions the SQL calls');
ok($calls->{jsonb_build_object},
	'... jsonb_build_object among them (event rows)');
ok( $calls->{extract} || $calls->{date_part},
	'... extract or date_part (policy loading)');
ok( $calls->{format} && $calls->{btrim},
	'... format and btrim (install script)');
ok( $ops->{'*'} && $ops->{'||'} && $ops->{'>'},
	'the scan finds operators: *, ||, >');

# Every session of the test itself has only pg_catalog on its path, so that
# its own queries never run planted code; the sessions that read as users
# do say what path they have.
$ENV{PGOPTIONS} = '-c search_path=pg_catalog,pg_temp';
my $default_path = '-c search_path=$user,public';

# pg_cron is not built for PostgreSQL 18 here (its source package is not
# served): without it, its real tables are not read, and the fake ones are.
my $have_cron = extension_installed('pg_cron');
my $port = PostgreSQL::Test::Cluster::get_free_port();
my $node = start_node(
	'hostile', pg_cron_conf() . qq{
lifeguard.check_interval = 1
lifeguard.databases = 'postgres, app'
lifeguard.notify = on
lifeguard.http_port = $port
});

sub q_all
{
	my ($db, $sql) = @_;
	return $node->safe_psql($db, $sql);
}

# The role the background workers run as (the bootstrap superuser)
my $worker_role = q_all('postgres',
	q{SELECT usename FROM pg_stat_activity WHERE backend_type = 'pg_lifeguard'}
);
note "the workers run as \"$worker_role\"";
ok($worker_role ne '', 'the worker role is known');

# --- the cluster as the attackers find it ------------------------------------
# pg_cron and pg_partman, set up as a DBA does (default search_path) and
# before anything is planted: their own functions are not under test.  The
# worker reads pg_cron's runs and pg_partman's configuration at every check.
{
	local $ENV{PGOPTIONS} = $default_path;
	q_all('postgres', q{
CREATE EXTENSION pg_cron;
SELECT cron.schedule('rollup', '0 3 * * *', 'SELECT 1');
}) if $have_cron;
	q_all(
		'postgres', q{
BEGIN;
CREATE SCHEMA partman;
CREATE EXTENSION pg_partman SCHEMA partman;
CREATE TABLE public.measurements (at timestamptz NOT NULL, v integer)
  PARTITION BY RANGE (at);
SELECT } . partman_daily_sql('public.measurements', 'at', 2) . q{;
COMMIT;
});
}

q_all(
	'postgres', qq{
CREATE ROLE mallory LOGIN;
CREATE ROLE dbowner LOGIN;
CREATE ROLE watcher LOGIN IN ROLE pg_monitor;
CREATE ROLE slowpoke LOGIN;
GRANT CREATE ON SCHEMA public TO PUBLIC;
CREATE SCHEMA "$worker_role" AUTHORIZATION mallory;
CREATE DATABASE app OWNER dbowner;
INSERT INTO lifeguard.jobs (name, kind, expected_every, escalate_after)
VALUES ('rollup', 'pg_cron', '1 day', '2 days');
} . trap_setup_sql());

q_all(
	'app', q{
CREATE EXTENSION pg_lifeguard;
CREATE TABLE public.orders (k integer) PARTITION BY LIST (k);
CREATE TABLE public.orders_1 PARTITION OF public.orders FOR VALUES IN (1);
CREATE TABLE public.orders_other PARTITION OF public.orders DEFAULT;
INSERT INTO lifeguard.jobs (name, kind, expected_every, escalate_after)
VALUES ('nightly', 'pg_cron', '1 day', '2 days');
} . trap_setup_sql());

# What to plant, probed in each database
my $probe = probe_sql($calls, $ops);
q_all($_, $probe) for qw(postgres app);
my $plan = q_all(
	'postgres',
	q{SELECT count(*) || ' signatures, ' || count(DISTINCT name) || ' names: '
	         || string_agg(DISTINCT name, ' ') FROM trap.plan});
note "planted in each schema: $plan";
my %planted = map { $_ => 1 } split /\n/,
  q_all('postgres', 'SELECT DISTINCT name FROM trap.plan');
note
  'not planted (keywords, or no pg_catalog function of that name takes these types): '
  . join(' ', grep { !$planted{$_} } sort keys %$calls);
ok( q_all(
		'postgres', q{
SELECT bool_and(n > 0) FROM (
  SELECT count(*) FILTER (WHERE kind = 'function' AND name = 'jsonb_build_object'
                          AND args = '{text,text}') AS n FROM trap.plan
  UNION ALL
  SELECT count(*) FILTER (WHERE kind = 'operator' AND name = '*'
                          AND args = '{integer,interval}') FROM trap.plan
  UNION ALL
  SELECT count(*) FILTER (WHERE kind = 'operator' AND name = '*'
                          AND args = '{numeric,integer}') FROM trap.plan) s}
	) eq 't',
	'the plan holds the signatures of the three known attacks');

# A name the code calls that pg_catalog has (a function or an aggregate:
# a window function cannot be replaced by a plain one) but that no
# signature over plant_types() reaches would go untested: say so
is( q_all(
		'postgres', q{
SELECT coalesce(string_agg(n.kind || ' ' || n.name, ', ' ORDER BY n.name), '')
  FROM trap.names n
 WHERE NOT EXISTS (SELECT FROM trap.plan p
                    WHERE p.name = n.name AND (p.kind = 'function') = (n.kind = 'function'))
   AND (n.kind = 'operator'
        OR EXISTS (SELECT FROM pg_proc f
                    WHERE f.proname = n.name AND f.prokind IN ('f', 'a')
                      AND f.pronamespace = 'pg_catalog'::regnamespace))}),
	'',
	'every function and operator the code uses is planted (else add its argument types to plant_types())'
);

# Each attacker's roles and memberships before
my $attackers = q{('mallory', 'dbowner', 'watcher', 'slowpoke')};
my $roles_sql = qq{
SELECT string_agg(format('%s super=%s createrole=%s createdb=%s replication=%s bypassrls=%s',
                         rolname, rolsuper, rolcreaterole, rolcreatedb,
                         rolreplication, rolbypassrls), E'\\n' ORDER BY rolname)
  FROM pg_roles WHERE rolname IN $attackers};
my $members_sql = qq{
SELECT coalesce(string_agg(r.rolname || ' member of ' || g.rolname, E'\\n'
                           ORDER BY r.rolname, g.rolname), '(none)')
  FROM pg_auth_members m
  JOIN pg_roles r ON r.oid = m.member
  JOIN pg_roles g ON g.oid = m.roleid
 WHERE r.rolname IN $attackers};
my $roles_before   = q_all('postgres', $roles_sql);
my $members_before = q_all('postgres', $members_sql);

# --- the planting --------------------------------------------------------------
sub plant
{
	my ($db, $who, $schema) = @_;
	local $ENV{PGUSER} = $who;
	my $res = q_all($db,
		plant_function_sql()
		  . qq{SELECT pg_temp.lg_plant('$schema', '$who');});
	like(
		$res,
		qr/^[1-9]\d* planted, 0 failed$/,
		"$who plants in $db, schema $schema") or diag $res;
	# and lets everyone find them
	q_all($db, qq{GRANT USAGE ON SCHEMA "$schema" TO PUBLIC})
	  unless $schema eq 'public';
	return;
}
plant('postgres', 'mallory', 'public');
plant('postgres', 'mallory', $worker_role);
{
	local $ENV{PGUSER} = 'dbowner';
	q_all('app', qq{CREATE SCHEMA "$worker_role"});
}
plant('app', 'dbowner', 'public');
plant('app', 'dbowner', $worker_role);
note sprintf('planted after %.1f s', time - $t0);

# Every worker starts again with the planted objects in place
my $restart_at = q_all('postgres', 'SELECT now()');
$node->restart;
ok( $node->poll_query_until(
		'postgres',
		q{SELECT state = 'running' AND ticks > 2 FROM lifeguard.worker_status()}
	),
	'after a restart the worker runs again');

# The look-alike of pg_cron's schema, made now so that whatever reports it
# does so for the first time after the restart
{
	local $ENV{PGUSER} = 'dbowner';
	q_all('app', fake_cron_sql('dbowner', 'nightly'));
}

# --- every duty, each until it has demonstrably run ---------------------------
my $mon = LifeguardTest::open_session($node, 'postgres', 'hostile monitor');
my $listener =
  LifeguardTest::open_session($node, 'postgres', 'hostile listener');
$listener->{h}->query_safe('LISTEN lifeguard');

sub mon { return $mon->{h}->query_safe($_[0]); }

sub poll
{
	my ($sql, $what) = @_;
	my $ok = poll_session(
		$mon, $sql, 't',
		q{SELECT * FROM lifeguard.worker_status()},
		q{SELECT seq, kind, database, left(detail, 160) FROM lifeguard.recent_events()
		   WHERE kind NOT LIKE 'slot%' ORDER BY seq});
	ok($ok, $what);
	return $ok;
}

sub event_seen
{
	my ($kind, $db, $like) = @_;
	return qq{SELECT count(*) > 0 FROM lifeguard.recent_events()
	   WHERE kind = '$kind' AND database = '$db' AND detail LIKE '$like'};
}

my $checks_sql = q{SELECT split_part(m, ' ', 2)::bigint FROM
	regexp_split_to_table(lifeguard.metrics(), E'\n') m WHERE m LIKE 'pg_lifeguard_checks_total %'};

# The worker's start was written to lifeguard.events (jsonb_build_object)
poll(
	qq{SELECT count(*) > 0 FROM lifeguard.events
	    WHERE kind = 'worker_started' AND event_time >= '$restart_at'},
	'events written: worker_started after the restart is in lifeguard.events'
);

# Slot samples and ticks
poll(
	qq{SELECT count(*) > 1 FROM lifeguard.slot_history('1 hour') WHERE sampled_at >= '$restart_at'},
	'slot tick: samples taken since the restart');

# Policy reload (the policy SELECT converts the limits to milliseconds)
mon(q{INSERT INTO lifeguard.policies
        (name, role_name, max_connections, idle_timeout, statement_timeout,
         lock_wait_timeout, blocking_timeout, action)
      VALUES ('hostile_slow', 'slowpoke', 5, '1 hour', '300ms', '10s', '10s', 'cancel')}
);
poll(
	q{SELECT count(*) = 1 FROM lifeguard.policy_status()
	   WHERE name = 'hostile_slow' AND statement_timeout = interval '300ms'},
	'policy reload: the new policy is in force');

# Enforcement: a statement past the policy's limit is cancelled
my $slow = LifeguardTest::open_session($node, 'slowpoke', 'slowapp',
	on_error_stop => 0);
$slow->{h}->query('SELECT pg_sleep(20)');
$slow->{h}->{stderr} = '';
poll(
	q{SELECT count(*) > 0 FROM lifeguard.recent_events()
	   WHERE kind = 'statement_timeout' AND role = 'slowpoke'},
	'enforcement: the slow statement was cancelled');
poll(
	q{SELECT count(*) > 0 FROM lifeguard.events
	   WHERE kind = 'statement_timeout' AND role = 'slowpoke'},
	'events written: the cancel is in lifeguard.events');

# NOTIFY from the worker
{
	my $worker_pid = mon('SELECT pid FROM lifeguard.worker_status()');
	my $got        = '';
	my $deadline   = time + $PostgreSQL::Test::Utils::timeout_default;
	while (time < $deadline
		&& $got !~
		/Asynchronous notification "lifeguard" .* from server process with PID $worker_pid/
	  )
	{
		$got .= $listener->{h}->query_safe('SELECT 1');
		usleep(100_000);
	}
	like(
		$got,
		qr/Asynchronous notification "lifeguard" .* from server process with PID $worker_pid/,
		'NOTIFY: the worker sent events on channel lifeguard');
}

# Partition checks, in both databases: rows in a default partition (in the
# worker's database, of a table pg_partman manages)
mon(q{INSERT INTO public.measurements VALUES (now() + interval '100 days', 1)}
);
q_all('app', q{INSERT INTO public.orders VALUES (7)});
poll(
	event_seen('default_partition_rows', 'postgres', 'public.measurements:%'),
	'partition check (worker): rows in the default of the pg_partman table');
poll(
	event_seen('default_partition_rows', 'app', 'public.orders:%'),
	'partition check (check worker, app): rows in the default partition');
is( mon(q{SELECT managed_by FROM lifeguard.partitions() WHERE parent = 'public.measurements'::regclass}
	),
	'pg_partman',
	"partition check: pg_partman's configuration is read");

# Job checks, in both databases: a job that never reports goes late
my $silent =
  q{INSERT INTO lifeguard.jobs (name, expected_every) VALUES ('silent', '1 second')};
mon($silent);
q_all('app', $silent);
poll(event_seen('job_late', 'postgres', 'job "silent" is late%'),
	'job check (worker): the silent job is late');
poll(
	event_seen('job_late', 'app', 'job "silent" is late%'),
	'job check (check worker, app): the silent job is late');

# pg_cron ingestion in the worker's database: a run of the registered job
SKIP:
{
	skip 'pg_cron is not installed for PostgreSQL ' . pg_major(), 1 unless $have_cron;
	my $jobid = mon(q{SELECT jobid FROM cron.job WHERE jobname = 'rollup'});
	mon(qq{
INSERT INTO cron.job_run_details
  (jobid, runid, job_pid, database, username, command, status, return_message, start_time, end_time)
VALUES ($jobid, 501, 1, 'postgres', 'postgres', 'SELECT 1', 'succeeded', '1 row',
        now() - interval '1 minute', now())});
	poll(
		q{SELECT count(*) = 1 FROM lifeguard.job_runs WHERE cron_runid = 501 AND status = 'succeeded'},
		'pg_cron ingestion: the run of "rollup" is recorded');
}
# The views and functions people read, as a superuser with the default
# search_path and as a pg_monitor role whose path holds the attackers'
# schemas, in both databases
for my $db (qw(postgres app))
{
	for my $as ([ $worker_role, $default_path ],
		[ 'watcher', qq{-c search_path="$worker_role",public} ])
	{
		my ($user, $path) = @$as;
		local $ENV{PGUSER}    = $user;
		local $ENV{PGOPTIONS} = $path;
		my $report = q_all($db, 'SELECT * FROM lifeguard.report()');
		like(
			$report,
			qr/^pg_lifeguard report, .*^Worker: running/ms,
			"report() as $user in $db");
		like(
			q_all($db, 'SELECT lifeguard.metrics()'),
			qr/^pg_lifeguard_slots_used \d+$/m,
			"metrics() as $user in $db");
		like(q_all($db, 'SELECT * FROM lifeguard.partitions()'),
			qr/orders|measurements/, "partitions() as $user in $db");
		like(
			q_all($db, 'SELECT * FROM lifeguard.jobs'),
			qr/^silent\|custom\|.*\|late$/m,
			"lifeguard.jobs as $user in $db");
	}
}

# The HTTP endpoint
for my $path ('/metrics', '/health', '/events')
{
	my $status = eval { http_status($port, $path) };
	ok(defined $status && ($status == 200 || $status == 503),
		"HTTP: GET $path answers")
	  or diag "status " . ($status // 'none');
}

# A few more checks of both databases, so that what repeats ran again
my $checks = mon($checks_sql);
poll("SELECT ($checks_sql) >= $checks + 4", 'a few more checks ran');
poll(q{SELECT events_pending = 0 FROM lifeguard.worker_status()},
	'events written: nothing is left pending');

# --- nothing planted ran --------------------------------------------------------
my %hits;
for my $db (qw(postgres app))
{
	$hits{$db} = q_all(
		$db, q{
SELECT coalesce(string_agg(format('%s  run as %s (session %s, %s, superuser: %s) x%s, first %s',
                                  object, run_as, session, coalesce(backend, '?'),
                                  coalesce(superuser_now::text, '?'), n, first),
                           E'\n' ORDER BY first), '')
  FROM (SELECT object, run_as, session, backend, superuser_now,
               count(*) AS n, min(at) AS first
          FROM trap.hits GROUP BY 1, 2, 3, 4, 5) h});
	is($hits{$db}, '', "no planted object ran in database $db")
	  or diag "trap.hits in $db:\n$hits{$db}";
}
my $marker = trap_marker();
my @logged = grep { /WARNING:\s+$marker (?!%)/ } split /\n/,
  slurp_file($node->logfile);
my %seen;
my @distinct =
  grep { !$seen{$_}++ } map { s/^.*?(LIFEGUARD-TRAP)/$1/r } @logged;
is(scalar @logged, 0, 'no planted object announced itself in the server log')
  or diag join("\n", @distinct[ 0 .. ($#distinct < 29 ? $#distinct : 29) ]);

is(q_all('postgres', $roles_sql),
	$roles_before, 'no attacker gained a role attribute');
is(q_all('postgres', $members_sql),
	$members_before, 'no attacker gained a role membership');

is( q_all(
		'app',
		q{SELECT count(*) FROM lifeguard.job_runs WHERE cron_runid = 9001 OR error LIKE 'forged%'}
	),
	'0',
	'the forged pg_cron run is not in lifeguard.job_runs');
is( q_all(
		'app',
		q{SELECT count(*) FROM lifeguard.job_registry WHERE name = 'nightly' AND last_succeeded IS NOT NULL}
	),
	'0',
	'... and did not make the job succeed');

# The look-alike cron schema is said once, however many checks saw it
is( mon(q{SELECT count(*) FROM lifeguard.recent_events()
		   WHERE kind = 'untrusted_object' AND database = 'app' AND detail LIKE '%cron%'}
	),
	'1',
	'the fake cron schema in app is reported once as untrusted_object');
is( mon(q{SELECT string_agg(DISTINCT severity, ',') FROM lifeguard.recent_events()
		   WHERE kind = 'untrusted_object' AND database = 'app'}),
	'warning',
	'... with severity warning');
is( mon(q{SELECT count(*) FROM lifeguard.recent_events()
		   WHERE kind = 'untrusted_object' AND database = 'postgres'}),
	'0',
	$have_cron
	? "... and the real pg_cron in the worker's database is not"
	: "... and nothing in the worker's database is");

note sprintf('took %.1f s', time - $t0);
close_sessions($mon, $listener, $slow);
$node->stop('fast');
done_testing();
