# Replay of the partition outage, with the real pg_partman (4.7 on
# PostgreSQL 15, 5.5 on 18): partition
# maintenance had been failing for weeks and nobody was told, rows piled up
# in the DEFAULT partition, and when the job finally ran again it sat in the
# lock queue of the table while traffic queued behind it.
#
#   1. A daily partition set made by pg_partman.create_parent(): partitions()
#      sees it as managed by pg_partman, with a horizon of premake days, ok.
#   2. Maintenance stops: the premade partitions run out (the newest are
#      dropped), then nothing covers now() any more, then traffic lands in
#      the DEFAULT partition.  partitions() and the worker's events follow
#      each step: partitions_running_out (warning, then critical), then
#      default_partition_rows.  pg_partman's run_maintenance() now fails for
#      good: the child it makes for today cannot be attached while the
#      default holds rows of today.  pg_partman 4 raises the error;
#      pg_partman 5 only warns that it skipped the set and returns as if
#      it succeeded.
#   3. The job, registered with lifeguard.jobs and run through
#      lifeguard.run_maintenance, fails every time (with pg_partman 5 too,
#      whose warning fails the run): it goes late, failing,
#      then escalated, in lifeguard.jobs and as worker events, in that
#      order and not before its time.
#   4. Bounded locks: behind a lock on the table, lifeguard.run_maintenance
#      gives up within its lock_timeout (plus retries and backoff), the run
#      is recorded as failed, and a reader queued behind the waiting job
#      goes on once the job gives up; plain pg_partman keeps the reader
#      queued for as long as the lock is held, and nobody is told.
#   5. pg_partman skips a run that finds its advisory lock taken with only a
#      NOTICE; lifeguard.run_maintenance counts it as a failure.
#   6. The fix: the rows are moved out of the default partition
#      (partman.partition_data_proc), maintenance succeeds, the job is ok
#      again (job_recovered) and so is the table (partition_ok).
#
# Daily partitions are cut at midnight in the server's time zone: the node
# runs in a fixed-offset zone where it is around noon, so that no day
# boundary passes while the test runs.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use LifeguardTest;

plan skip_all => 'pg_partman is not installed for PostgreSQL ' . pg_major()
  unless extension_installed('pg_partman');
use Time::HiRes qw(time);

my $t0 = time;

# A zone where it is about noon now: Etc/GMT-N is N hours east of UTC
my $utc_hour = (gmtime)[2];
my $east = 12 - $utc_hour;    # -11 .. 12
my $zone = $east >= 0 ? "Etc/GMT-$east" : 'Etc/GMT+' . (-$east);

my $node = start_node(
	'partition_outage', qq{
max_connections = 30
lifeguard.check_interval = 1
timezone = '$zone'
});
note "server time zone $zone";

# Sessions go on after an error: the test reads it from the handle
sub open_session
{
	return LifeguardTest::open_session($node, @_, on_error_stop => 0);
}

# The superuser session everything is watched through
my $monitor = open_session('postgres', 'monitor');

sub monitor_query
{
	return $monitor->{h}->query_safe($_[0]);
}

sub monitor_poll
{
	my ($sql, $expected) = @_;
	return poll_session(
		$monitor, $sql, $expected,
		q{SELECT status, default_has_rows, default_checked_by, covered_until, premake_ok, gaps, problems
		  FROM lifeguard.partitions()},
		q{SELECT name, status, consecutive_failures, registered_at, last_succeeded, now() FROM lifeguard.jobs},
		q{SELECT seq, event_time, kind, severity, left(detail, 200) FROM lifeguard.recent_events()
		  WHERE kind <> 'worker_started'},
		q{SELECT pid, application_name, state, wait_event_type, pg_blocking_pids(pid), left(query, 60)
		  FROM pg_stat_activity WHERE backend_type = 'client backend'});
}

# Run $sql in the session; returns what psql wrote to stdout, then what it
# wrote to stderr since the last look, so that an error shows in the result
sub run_sql
{
	my ($s, $sql) = @_;
	my $out = eval { scalar $s->{h}->query($sql) } // '';
	my $err = $s->{h}->{stderr};
	$s->{h}->{stderr} = '';
	return $out . $err;
}

# A statement sent without waiting for it: its output comes later
sub start_query
{
	my ($s, $sql) = @_;
	$s->{h}->query_until(qr/started/, "\\echo started\n$sql\n");
	return;
}

# Wait for the statement sent by start_query to end, then return what it
# wrote (followed by "1", a SELECT 1 run after it), as run_sql does.  One
# still running past the poll's deadline is cancelled, so that a failing
# test fails rather than hangs.
sub finish_query
{
	my ($s) = @_;
	monitor_query("SELECT pg_cancel_backend($s->{pid})")
	  unless monitor_poll(
		"SELECT count(*) FROM pg_stat_activity WHERE pid = $s->{pid} AND state = 'active'",
		'0');
	return run_sql($s, 'SELECT 1');
}

sub waits_for_lock
{
	my ($s) = @_;
	return monitor_poll(
		"SELECT wait_event_type FROM pg_stat_activity WHERE pid = $s->{pid}",
		'Lock');
}

sub session_state
{
	my ($s) = @_;
	return monitor_query(
		"SELECT state FROM pg_stat_activity WHERE pid = $s->{pid}");
}

# One column of the table's row of lifeguard.partitions()
sub part
{
	my ($expr) = @_;
	return monitor_query(
		"SELECT $expr FROM lifeguard.partitions() WHERE parent = 'public.events'::regclass");
}

# The worker's events about the table and about the job, oldest first, as
# "kind:severity" joined by commas
my $table_events_sql =
  q{SELECT coalesce(string_agg(kind || ':' || severity, ',' ORDER BY seq), '')
	FROM lifeguard.recent_events() WHERE detail LIKE 'public.events: %'};
my $job_events_sql =
  q{SELECT coalesce(string_agg(kind, ',' ORDER BY seq), '')
	FROM lifeguard.recent_events() WHERE kind LIKE 'job\_%' AND detail LIKE 'job "partman" %'};

sub job_state
{
	return monitor_query(
		q{SELECT status || '|' || consecutive_failures FROM lifeguard.jobs WHERE name = 'partman'});
}

# The job's newest run, as "status|attempts"
sub last_run
{
	return monitor_query(
		q{SELECT status || '|' || attempts FROM lifeguard.job_runs
		  WHERE job_name = 'partman' ORDER BY run_id DESC LIMIT 1});
}

my $maintenance = q{SELECT partman.run_maintenance()};
my $partman5 = partman_major() >= 5;

### 1. A daily partition set managed by pg_partman

# In one transaction: a check (every second) must not see the parent
# before its partitions exist, or it rightly reports "no partitions"
# first, which is not this scenario's outage.
$node->safe_psql(
	'postgres', q{
BEGIN;
CREATE SCHEMA partman;
CREATE EXTENSION pg_partman SCHEMA partman;
CREATE TABLE public.events (
	id bigserial,
	created_at timestamptz NOT NULL DEFAULT now(),
	payload text
) PARTITION BY RANGE (created_at);
SELECT } . partman_daily_sql('public.events', 'created_at', 2) . q{;
-- yesterday's traffic: pg_partman 5 makes new partitions after the newest
-- row in the set, and none while the set holds no row at all
INSERT INTO public.events (created_at, payload) VALUES (now() - interval '1 day', 'yesterday');
COMMIT;
});

is(part('managed_by || strategy || partition_count'),
	'pg_partmanrange6',
	'partitions(): managed by pg_partman, range, 2 + 1 + 2 daily partitions and the default');
is(part(q{horizon = interval '2 days'}),
	't', 'the horizon is premake (2) x partition_interval (1 day)');
is( part(
		q{covered_until = date_trunc('day', now()) + interval '3 days'}),
	't', 'covered until the end of the second premade day');
is(part(q{premake_ok || '|' || default_has_rows || '|' || gaps}),
	'true|false|0', 'premake_ok, no rows in the default, no gaps');
is(part(q{status || '|' || problems::text}), 'ok|{}', 'status ok, no problems');

### 2. Maintenance stops: coverage runs out, rows land in the default

# The premade partitions are used up, as they are when nobody makes more
my @newest = split /\n/, monitor_query(
	q{SELECT format('%I.%I', partition_schemaname, partition_tablename)
	  FROM partman.show_partitions('public.events', 'DESC') LIMIT 2});
is(scalar @newest, 2, 'the two premade future partitions');
$node->safe_psql('postgres', 'DROP TABLE ' . join(', ', @newest));
is( part(
		q{status || '|' || premake_ok || '|' || (covered_until = date_trunc('day', now()) + interval '1 day')}),
	'warning|false|true',
	'with the future partitions gone: premake_ok false, covered until tonight, warning');
like(
	part('problems::text'),
	qr/^\{"partitions cover only until [^"]+, less than now\(\) \+ 2 days"\}$/,
	'the problem says coverage is short of the horizon');
ok(monitor_poll($table_events_sql, 'partitions_running_out:warning'),
	'the worker reports partitions_running_out, a warning');

# Then the day comes that no partition covers
my $today = monitor_query(
	q{SELECT format('%I.%I', partition_schema, partition_table)
	  FROM partman.show_partition_name('public.events', now()::text)});
$node->safe_psql('postgres', "DROP TABLE $today");
is( part(q{status || '|' || premake_ok || '|' || (covered_until IS NULL)}),
	'critical|false|true',
	'with today\'s partition gone too: covered_until NULL, premake_ok false, critical');
is( part('problems::text'),
	'{"no partition other than the default covers now()"}',
	'the problem says nothing but the default covers now()');
ok( monitor_poll(
		$table_events_sql,
		'partitions_running_out:warning,partitions_running_out:critical'),
	'the worker reports partitions_running_out again, now critical');
like(
	monitor_query(
		q{SELECT detail FROM lifeguard.recent_events()
		  WHERE kind = 'partitions_running_out' AND severity = 'critical'}),
	qr/^public\.events: no partition other than the default covers now\(\)$/,
	'the event names the table and the problem');

# Traffic goes on: today's and tomorrow's rows land in the default
$node->safe_psql(
	'postgres', q{
INSERT INTO events (created_at, payload)
SELECT now() + (g % 2) * interval '1 day', 'row ' || g FROM generate_series(1, 2000) g;
});
is(monitor_query('SELECT count(*) FROM ONLY events_default'),
	'2000', 'every new row is in the default partition');
is(part(q{status || '|' || default_has_rows}),
	'critical|true', 'default_has_rows true, critical');
like(
	part('problems::text'),
	qr/^\{"default partition public\.events_default holds rows \(seen by (probe|statistics)\)","no partition other than the default covers now\(\)"\}$/,
	'both problems are listed');
ok( monitor_poll(
		$table_events_sql,
		'partitions_running_out:warning,partitions_running_out:critical,default_partition_rows:critical'
	),
	'the worker reports default_partition_rows, critical');

# pg_partman's maintenance now fails every time: it makes today's child
# and cannot attach it while the default holds rows of today.  pg_partman 4
# raises the error; pg_partman 5 catches it, says it in a WARNING that it
# skipped the partition set, and returns as if all went well: a silent
# failure, which lifeguard.run_maintenance turns into a failed run.
my $attach_error =
  'updated partition constraint for default partition "events_default" would be violated by some row';
my $skipped_set = $partman5
  ? 'pg_partman maintenance skipped partition set for parent table public.events: '
  : '';
my ($ret, $stdout, $stderr) = $node->psql('postgres', $maintenance);
if ($partman5)
{
	is($ret, 0, 'pg_partman 5\'s run_maintenance() returns as if it succeeded');
	like(
		$stderr,
		qr/WARNING:  \Q$skipped_set$attach_error\E\nCONTEXT: SQL statement "ALTER TABLE public\.events ATTACH PARTITION /,
		'with only a WARNING that it skipped the set: the child for today cannot be attached while the default holds rows of today');
}
else
{
	isnt($ret, 0, 'pg_partman 4\'s run_maintenance() fails');
	like(
		$stderr,
		qr/ERROR:  \Q$attach_error\E\nCONTEXT: SQL statement "ALTER TABLE public\.events ATTACH PARTITION /,
		'because the child for today cannot be attached while the default holds rows of today');
}

### 3. The job, run through lifeguard.run_maintenance: late, failing, escalated

monitor_query(
	q{INSERT INTO lifeguard.jobs (name, kind, expected_every, escalate_after)
	  VALUES ('partman', 'pg_partman', '1 s', '8 s')});

# When each status was first seen, by the server's clock: s after the
# job's registration
my %seen;
sub seen_now
{
	my ($what) = @_;
	$seen{$what} = monitor_query(
		q{SELECT extract(epoch FROM clock_timestamp() - registered_at)
		  FROM lifeguard.jobs WHERE name = 'partman'});
	return;
}

is(job_state(), 'ok|0', 'a job just registered is ok');
seen_now('ok');

# No run at all: late after twice expected_every
ok(monitor_poll(q{SELECT status FROM lifeguard.jobs WHERE name = 'partman'}, 'late'),
	'without a run the job goes late');
seen_now('late');
ok(monitor_poll($job_events_sql, 'job_late'), 'the worker reports job_late');
like(
	monitor_query(q{SELECT detail FROM lifeguard.recent_events() WHERE kind = 'job_late'}),
	qr/^job "partman" is late: last success never, expected every 00:00:01$/,
	'the job_late event says since when');

# The job runs, through lifeguard.run_maintenance, and fails every time
my $maint = open_session('postgres', 'maintenance');
$maint->{h}->query_safe('\set VERBOSITY verbose');
my $call = qq{CALL lifeguard.run_maintenance('partman', '$maintenance'};
for my $n (1 .. 3)
{
	like(
		run_sql($maint, "$call)"),
		qr/ERROR:  P0001: maintenance job "partman" failed after 1 attempt: \Q$skipped_set$attach_error\E\n/,
		"run $n through lifeguard.run_maintenance fails, with pg_partman's error");
}
is(job_state(), 'failing|3', 'lifeguard.jobs: failing, 3 consecutive failures');
seen_now('failing');
is( monitor_query(
		q{SELECT string_agg(status || ':' || attempts, ',' ORDER BY run_id) FROM lifeguard.job_runs
		  WHERE job_name = 'partman' AND source = 'run_maintenance'}),
	'failed:1,failed:1,failed:1',
	'lifeguard.job_runs: three failed runs of one attempt each');
like(
	monitor_query(q{SELECT last_error FROM lifeguard.jobs WHERE name = 'partman'}),
	qr/^\Q$skipped_set$attach_error\E/,
	'last_error is pg_partman\'s error');
ok(monitor_poll($job_events_sql, 'job_late,job_failing'),
	'the worker reports job_failing');
like(
	monitor_query(q{SELECT detail FROM lifeguard.recent_events() WHERE kind = 'job_failing'}),
	qr/^job "partman" is failing: (?:1 failure|[23] failures) in a row, last error: \Q$skipped_set$attach_error\E/,
	'the job_failing event gives the failures and the error');

# No success for escalate_after: escalated
ok(monitor_poll(q{SELECT status FROM lifeguard.jobs WHERE name = 'partman'}, 'escalated'),
	'with no success for escalate_after (8 s) the job is escalated');
seen_now('escalated');
ok(monitor_poll($job_events_sql, 'job_late,job_failing,job_escalated'),
	'the worker reports job_escalated');
like(
	monitor_query(q{SELECT detail FROM lifeguard.recent_events() WHERE kind = 'job_escalated'}),
	qr/^job "partman" escalated: last success never, escalate_after 00:00:08, 3 failures in a row, last error: \Q${skipped_set}\Eupdated partition constraint/,
	'the job_escalated event says why');
is(monitor_query(q{SELECT severity FROM lifeguard.recent_events() WHERE kind = 'job_escalated'}),
	'critical', 'job_escalated is critical');

# The order is not only that of the test's steps: each status was seen
# within its own time window
note 'statuses first seen, s after registration: '
  . join(', ', map { sprintf('%s %.2f', $_, $seen{$_}) } qw(ok late failing escalated));
ok($seen{ok} <= 2, 'ok seen within 2 x expected_every of the registration');
ok($seen{late} > 2 && $seen{late} < $seen{failing},
	'late seen after 2 x expected_every, before the first failure');
ok($seen{failing} <= 8, 'failing seen before escalate_after (8 s) had passed');
ok($seen{escalated} > 8, 'escalated seen only after escalate_after');

# And so were the worker's events, by the time it recorded them
note 'events, s after registration: '
  . monitor_query(
	q{SELECT string_agg(format('%s %s', e.kind,
	         round(extract(epoch FROM e.event_time - j.registered_at)::numeric, 2)), ', ' ORDER BY e.seq)
	  FROM lifeguard.recent_events() e, lifeguard.jobs j
	  WHERE j.name = 'partman' AND e.kind LIKE 'job\_%'});
is( monitor_query(
		q{SELECT string_agg(format('%s:%s', e.kind,
		         CASE e.kind
		           WHEN 'job_late' THEN e.event_time - j.registered_at > interval '2 s'
		             AND e.event_time < (SELECT min(finished_at) FROM lifeguard.job_runs WHERE job_name = 'partman')
		           WHEN 'job_failing' THEN e.event_time - j.registered_at <= interval '8 s'
		             AND e.event_time >= (SELECT min(finished_at) FROM lifeguard.job_runs WHERE job_name = 'partman')
		           WHEN 'job_escalated' THEN e.event_time - j.registered_at > interval '8 s'
		         END), ',' ORDER BY e.seq)
		  FROM lifeguard.recent_events() e, lifeguard.jobs j
		  WHERE j.name = 'partman' AND e.kind LIKE 'job\_%'}),
	'job_late:t,job_failing:t,job_escalated:t',
	'job_late after 2 x expected_every and before the first failure, job_failing after it and before escalate_after, job_escalated after escalate_after'
);

# Another failed run: still escalated, no second escalation event
like(run_sql($maint, "$call)"), qr/ERROR:  P0001: maintenance job "partman" failed after 1 attempt/,
	'a fourth run fails too');
is(job_state(), 'escalated|4', 'escalated, 4 consecutive failures');

### 4. Bounded locks

# 4a. A session holds the table's strongest lock: the job gives up in time
my $holder = open_session('postgres', 'holder');
$holder->{h}->query_safe("BEGIN;\nLOCK TABLE events IN ACCESS EXCLUSIVE MODE;");
# pg_partman waits for the lock while it lists the partitions; its
# run_maintenance() catches the lock timeout and raises it again as P0001,
# the message first (pg_partman 4) or says it in its warning about the
# skipped set (5), and lifeguard.run_maintenance still knows it for one
my $t = time;
my $err = run_sql($maint,
	"$call, lock_timeout => '200ms', retries => 1)");
my $elapsed = time - $t;
note sprintf('run_maintenance behind ACCESS EXCLUSIVE gave up after %.2f s', $elapsed);
like(
	$err,
	qr/NOTICE:  00000: job "partman": attempt 1 of 2 gave up: \Q${skipped_set}\Ecanceling statement due to lock timeout\n(?s:.*)DETAIL:  Retrying in 200 ms\.\n/,
	'behind an ACCESS EXCLUSIVE lock, the first attempt gives up on the lock and is retried after 200 ms, with a NOTICE'
);
like(
	$err,
	qr/ERROR:  [0-9A-Z]{5}: maintenance job "partman" failed after 2 attempts: \Q${skipped_set}\Ecanceling statement due to lock timeout\n/,
	'then the second gives up too, and run_maintenance fails with the lock timeout');
cmp_ok($elapsed, '>=', 0.6, 'having waited lock_timeout twice and backed off once (0.6 s)');
cmp_ok($elapsed, '<', 3,
	'and no longer than that, with a margin: it gave up in time');
is(last_run(), 'failed|2', 'lifeguard.job_runs: the run is recorded as failed, after 2 attempts');
like(
	monitor_query(
		q{SELECT error FROM lifeguard.job_runs WHERE job_name = 'partman' ORDER BY run_id DESC LIMIT 1}),
	qr/^\Q${skipped_set}\Ecanceling statement due to lock timeout/,
	'with the lock timeout as its error');
is(job_state(), 'escalated|5', 'and counted: 5 consecutive failures');
# pg_partman re-raised the lock timeout as P0001; the CALL still ends with
# the lock timeout's own SQLSTATE
like($err, qr/ERROR:  55P03: maintenance job/, 'the error is SQLSTATE 55P03');
is(session_state($holder), 'idle in transaction', 'the lock holder is untouched');
$holder->{h}->query_safe('COMMIT');

# 4b. A long report reads the table.  Attaching today's child needs ACCESS
# EXCLUSIVE on the default partition, so the job waits for the report, and
# every reader of the table that comes after queues behind the job.
my $reader = open_session('postgres', 'reader');
$holder->{h}->query_safe("BEGIN;\nSELECT count(*) FROM events;");

# Through lifeguard.run_maintenance the job gives up after its lock_timeout
start_query($maint, "$call, lock_timeout => '2s', retries => 0);");
ok(waits_for_lock($maint), 'lifeguard.run_maintenance waits for the report\'s lock');
$t = time;
start_query($reader, 'SELECT count(*) FROM events;');
ok( monitor_poll(
		"SELECT pg_blocking_pids($reader->{pid}) = ARRAY[$maint->{pid}]", 't'),
	'a reader queues behind the waiting job, not behind the report');
is(finish_query($reader), "2001\n1",
	'the reader gets its rows once the job gives up');
my $reader_wait = time - $t;
note sprintf('the queued reader finished after %.2f s', $reader_wait);
cmp_ok($reader_wait, '<', 4, 'the reader was held up for at most about the job\'s lock_timeout (2 s)');
is(session_state($holder), 'idle in transaction',
	'while the report still holds its lock: the job\'s giving up let the reader through');
like(finish_query($maint),
	qr/ERROR:  [0-9A-Z]{5}: maintenance job "partman" failed after 1 attempt: \Q${skipped_set}\Ecanceling statement due to lock timeout\n/,
	'the job failed with a lock timeout');
is(job_state(), 'escalated|6', 'and is counted: 6 consecutive failures');

# The same without lifeguard: the job and the reader behind it wait for as
# long as the report runs, and when the job then fails nobody is told
start_query($maint, "$maintenance;");
ok(waits_for_lock($maint), 'plain pg_partman maintenance waits for the report\'s lock');
start_query($reader, 'SELECT count(*) FROM events;');
ok( monitor_poll(
		"SELECT pg_blocking_pids($reader->{pid}) = ARRAY[$maint->{pid}]", 't'),
	'a reader queues behind it');
ok( monitor_poll(
		qq{SELECT wait_event_type = 'Lock' AND now() - query_start > interval '4 s'
		   FROM pg_stat_activity WHERE pid = $reader->{pid}}),
	'the reader is still queued after 4 s, twice the job\'s lock_timeout above');
$holder->{h}->query_safe('COMMIT');
like(finish_query($maint),
	$partman5
	? qr/WARNING:  01000: \Q$skipped_set$attach_error\E/
	: qr/ERROR:  P0001: \Q$attach_error\E/,
	'once the report ends, pg_partman gets its lock, and fails anyway');
is(finish_query($reader), "2001\n1", 'the reader gets its rows only then');
is(job_state(), 'escalated|6', 'a run outside lifeguard.run_maintenance leaves the job\'s state alone');

### 5. pg_partman's "already running" skip is a failure

my $other = open_session('postgres', 'other-maintenance');
$other->{h}->query_safe(
	q{SELECT pg_advisory_lock(hashtext('pg_partman run_maintenance'))});
my $skipped = run_sql($maint, "$maintenance;");
like($skipped, qr/NOTICE:  00000: Partman maintenance already running\.\n/,
	'with its advisory lock taken, pg_partman\'s run_maintenance() skips the run with a NOTICE');
unlike($skipped, qr/ERROR/, 'and no error: to its caller, a success');
$err = run_sql($maint, "$call, lock_timeout => '100ms', retries => 1)");
like(
	$err,
	qr/NOTICE:  00000: job "partman": attempt 1 of 2 gave up: pg_partman maintenance is already running\n/,
	'lifeguard.run_maintenance retries, with a NOTICE');
like(
	$err,
	qr/ERROR:  55P03: maintenance job "partman" failed after 2 attempts: pg_partman maintenance is already running\n/,
	'then fails with 55P03: "pg_partman maintenance is already running"');
is(last_run(), 'failed|2', 'job_runs: a failed run of 2 attempts');
is(job_state(), 'escalated|7', 'counted as a failure: 7 consecutive failures');
$other->{h}->query_safe(
	q{SELECT pg_advisory_unlock(hashtext('pg_partman run_maintenance'))});

### 6. The fix

# The rows move out of the default into children made for them, then
# maintenance premakes the days ahead again
$node->safe_psql('postgres',
	q{CALL partman.partition_data_proc('public.events', p_wait := 0, p_quiet := true)});
is(monitor_query('SELECT count(*) FROM ONLY events_default'),
	'0', 'partition_data_proc moved every row out of the default');
unlike(run_sql($maint, "$call)"), qr/ERROR/, 'lifeguard.run_maintenance succeeds');
# Back to the job's real cadence at once, before a second of 1 s cadence
# without a run would make it late again
monitor_query(
	q{UPDATE lifeguard.jobs SET expected_every = '1 hour', escalate_after = '1 day'
	  WHERE name = 'partman'});
is(job_state(), 'ok|0', 'the job is ok again, no failures');
is(last_run(), 'succeeded|1', 'job_runs: the run succeeded at the first attempt');
is(monitor_query(q{SELECT last_error IS NULL FROM lifeguard.jobs WHERE name = 'partman'}),
	't', 'last_error is cleared');
ok(monitor_poll($job_events_sql, 'job_late,job_failing,job_escalated,job_recovered'),
	'the worker reports job_recovered, and no other job event since the escalation');
like(
	monitor_query(q{SELECT detail FROM lifeguard.recent_events() WHERE kind = 'job_recovered'}),
	qr/^job "partman" is ok again: last success \d{4}-/,
	'the job_recovered event gives the success');

ok(monitor_poll(q{SELECT status FROM lifeguard.partitions() WHERE parent = 'public.events'::regclass}, 'ok'),
	'partitions(): the table is ok again');
is( part(
		q{default_has_rows || '|' || premake_ok || '|' || gaps || '|' || (covered_until >= now() + horizon) || '|' || problems::text}
	),
	'false|true|0|true|{}',
	'no rows in the default, covered beyond the horizon, no gaps, no problems');
ok(monitor_poll(qq{SELECT ($table_events_sql) LIKE '%,partition_ok:info'}),
	'the worker reports partition_ok');
like(
	monitor_query(q{SELECT detail FROM lifeguard.recent_events() WHERE kind = 'partition_ok'}),
	qr/^public\.events: no problems any more$/,
	'the partition_ok event names the table');

close_sessions($monitor, $maint, $holder, $reader, $other);
$node->stop;

note sprintf('030_partition_outage took %.1f s', time - $t0);
done_testing();
