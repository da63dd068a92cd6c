# The worker's partition and job checks, apart from pg_partman (which
# 030_partition_outage.pl replays):
#  - a database listed in lifeguard.databases other than the worker's own is
#    checked by a short-lived check worker, and its events name it; a listed
#    database that does not exist is said once;
#  - runs of a pg_cron job registered with kind 'pg_cron' are read from
#    cron.job_run_details once each, a run still going is read when it ends,
#    and they move the job's status (failing, then ok again) (skipped where
#    pg_cron is not installed: PostgreSQL 18 here, whose pg-cron source
#    package is not served);
#  - a job that never reports goes late, then escalated, and an escalated
#    job is reported again every lifeguard.alert_repeat;
#  - with lifeguard.job_registry locked by a user session, the worker goes on
#    ticking and reads no job until the lock is gone.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use LifeguardTest;

my $have_cron = extension_installed('pg_cron');
my $node = start_node(
	'checks', pg_cron_conf() . q{
lifeguard.check_interval = 1
lifeguard.alert_repeat = 2
lifeguard.databases = 'postgres, app, nosuchdb'
});

my $events = q{SELECT kind, database, detail FROM lifeguard.recent_events()
  WHERE kind NOT LIKE 'worker%' AND kind NOT LIKE 'slot%' ORDER BY seq};

sub poll
{
	my ($sql, $what, $db) = @_;
	my $ok = $node->poll_query_until($db // 'postgres', $sql);
	ok($ok, $what);
	diag($node->safe_psql('postgres', $events)) unless $ok;
	return $ok;
}

# Wait for the worker to tick $n more times (naptime 100 ms: checks every 10)
sub wait_ticks
{
	my ($n) = @_;
	my $ticks = $node->safe_psql('postgres',
		q{SELECT ticks FROM lifeguard.worker_status()});
	return $node->poll_query_until('postgres',
		qq{SELECT ticks > $ticks + $n FROM lifeguard.worker_status()});
}

# --- another database, checked by a check worker ---------------------------
$node->safe_psql('postgres', 'CREATE DATABASE app');
$node->safe_psql(
	'app', q{
BEGIN;
CREATE EXTENSION pg_lifeguard;
CREATE TABLE orders (k int) PARTITION BY LIST (k);
CREATE TABLE orders_1 PARTITION OF orders FOR VALUES IN (1);
CREATE TABLE orders_other PARTITION OF orders DEFAULT;
INSERT INTO orders VALUES (7);
CREATE TABLE gappy (k int) PARTITION BY RANGE (k);
CREATE TABLE gappy_1 PARTITION OF gappy FOR VALUES FROM (0) TO (10);
CREATE TABLE gappy_3 PARTITION OF gappy FOR VALUES FROM (20) TO (30);
COMMIT;
});
poll(
	q{SELECT count(*) = 1 FROM lifeguard.recent_events()
	   WHERE kind = 'default_partition_rows' AND database = 'app'
	     AND detail LIKE 'public.orders: default partition public.orders_other holds rows%'},
	'database app: the check worker reports the default partition taking rows');
is( $node->safe_psql(
		'postgres',
		q{SELECT count(*) FROM lifeguard.recent_events()
		   WHERE kind = 'default_partition_rows' AND database = 'postgres'}),
	'0',
	"the table in app is not reported as the worker's own database's");

poll(
	q{SELECT count(*) = 1 FROM lifeguard.recent_events()
	   WHERE kind = 'partition_warning' AND database = 'app'
	     AND detail LIKE 'public.gappy: 1 gap between range partitions%'},
	'database app: a gap is a partition_warning');

# a warning is reported when it changes, not at every check, while a
# critical state is reported again every alert_repeat (2 s)
wait_ticks(30);
is( $node->safe_psql(
		'postgres',
		q{SELECT count(*) FROM lifeguard.recent_events()
		   WHERE kind = 'partition_warning' AND database = 'app'}),
	'1',
	'the gap was reported once, not at every check');
poll(
	q{SELECT count(*) >= 2 FROM lifeguard.recent_events()
	   WHERE kind = 'default_partition_rows' AND database = 'app'},
	'the default partition taking rows is reported again after alert_repeat');
$node->safe_psql('app', 'DELETE FROM orders WHERE k = 7');
$node->safe_psql('app', 'VACUUM orders_other');
poll(
	q{SELECT count(*) = 1 FROM lifeguard.recent_events()
	   WHERE kind = 'partition_ok' AND database = 'app'
	     AND detail = 'public.orders: no problems any more'},
	'database app: partition_ok once the default partition is empty');

like(
	slurp_file($node->logfile),
	qr/database "nosuchdb" in lifeguard.databases does not exist/,
	'a listed database that does not exist is said');
my $missing = () =
  slurp_file($node->logfile) =~ /"nosuchdb" in lifeguard.databases/g;
is($missing, 1, '... once');

# --- pg_cron ------------------------------------------------------------
SKIP:
{
	skip 'pg_cron is not installed for PostgreSQL ' . pg_major(), 7 unless $have_cron;
	$node->safe_psql(
		'postgres', q{
	CREATE EXTENSION pg_cron;
	INSERT INTO lifeguard.jobs (name, kind, expected_every, escalate_after)
	VALUES ('rollup', 'pg_cron', '1 hour', '1 day');
	SELECT cron.schedule('rollup', '0 3 * * *', 'SELECT 1');
	SELECT cron.schedule('other', '0 4 * * *', 'SELECT 1');
	});
	my $jobid = $node->safe_psql('postgres',
		q{SELECT jobid FROM cron.job WHERE jobname = 'rollup'});
	my $other = $node->safe_psql('postgres',
		q{SELECT jobid FROM cron.job WHERE jobname = 'other'});

	# pg_cron's own runs, written as its launcher writes them
	$node->safe_psql(
		'postgres', qq{
	INSERT INTO cron.job_run_details
	  (jobid, runid, job_pid, database, username, command, status, return_message, start_time, end_time)
	VALUES ($jobid, 101, 1, 'postgres', 'postgres', 'SELECT 1', 'failed',
	        E'ERROR:  relation "rollup_src" does not exist\n', now() - interval '2 min', now() - interval '2 min'),
	       ($other, 102, 1, 'postgres', 'postgres', 'SELECT 1', 'failed', 'ERROR:  other', now(), now()),
	       ($jobid, 103, 1, 'postgres', 'postgres', 'SELECT 1', 'running', NULL, now() - interval '1 min', NULL),
	       ($jobid, 104, 1, 'postgres', 'postgres', 'SELECT 1', 'failed', 'ERROR:  again', now(), now());
	});
	poll(
		q{SELECT status = 'failing' AND consecutive_failures = 2
		         AND last_error = 'ERROR:  again'
		    FROM lifeguard.jobs WHERE name = 'rollup'},
		'pg_cron: two failed runs make the job failing');
	is( $node->safe_psql(
			'postgres',
			q{SELECT string_agg(cron_runid || ':' || status || ':' || coalesce(error, ''), ',' ORDER BY cron_runid)
			    FROM lifeguard.job_runs WHERE source = 'pg_cron'}),
		'101:failed:ERROR:  relation "rollup_src" does not exist,104:failed:ERROR:  again',
		'pg_cron: finished runs of the registered job recorded, trailing newline trimmed; not the other job, not the run still going'
	);
	poll(
		q{SELECT count(*) = 1 FROM lifeguard.recent_events()
		   WHERE kind = 'job_failing' AND detail LIKE 'job "rollup" is failing: 2 failures in a row%'},
		'pg_cron: job_failing event');

	# the run still going ends well: read then, and only once
	$node->safe_psql('postgres',
		q{UPDATE cron.job_run_details SET status = 'succeeded', return_message = '1 row', end_time = now() WHERE runid = 103}
	);
	poll(
		q{SELECT count(*) = 3 FROM lifeguard.job_runs WHERE source = 'pg_cron'},
		'pg_cron: the run that was going is read when it ends');
	poll(
		q{SELECT count(*) = 1 FROM lifeguard.recent_events()
		   WHERE kind = 'job_recovered' AND detail LIKE 'job "rollup" is ok again%'},
		'pg_cron: a success makes the job recover');
	is( $node->safe_psql(
			'postgres',
			q{SELECT status || ' ' || consecutive_failures || ' ' || (last_error IS NULL) FROM lifeguard.jobs WHERE name = 'rollup'}),
		'ok 0 true',
		'pg_cron: status ok, no failures in a row, no last error');
	# several more checks happen; nothing is read twice
	wait_ticks(30);
	is( $node->safe_psql(
			'postgres',
			q{SELECT count(*) FROM lifeguard.job_runs WHERE source = 'pg_cron'}),
		'3',
		'pg_cron: no run is read twice');
}

# --- a silent job: late, escalated, and escalated again -----------------
$node->safe_psql('postgres',
	q{INSERT INTO lifeguard.jobs (name, expected_every, escalate_after) VALUES ('silent', '1s', '4s')}
);
poll(
	q{SELECT count(*) = 1 FROM lifeguard.recent_events()
	   WHERE kind = 'job_late' AND detail LIKE 'job "silent" is late: last success never%'},
	'a job that never reports goes late');
poll(
	q{SELECT count(*) >= 2 FROM lifeguard.recent_events()
	   WHERE kind = 'job_escalated' AND severity = 'critical' AND detail LIKE 'job "silent" escalated%'},
	'then escalated, reported again after lifeguard.alert_repeat');
my ($first, $second) = split /\n/,
  $node->safe_psql(
	'postgres',
	q{SELECT extract(epoch FROM event_time) FROM lifeguard.recent_events()
	   WHERE kind = 'job_escalated' AND detail LIKE 'job "silent"%' ORDER BY seq LIMIT 2});
cmp_ok($second - $first, '>=', 1.9,
	'the repeat comes alert_repeat (2 s) after the first report, not at the next check');

# --- a user session holds lifeguard.job_registry: the worker does not wait --
my $errors = $node->safe_psql('postgres',
	q{SELECT errors FROM lifeguard.worker_status()});
my $holder = $node->background_psql('postgres', on_error_stop => 1);
$holder->query_safe('BEGIN; LOCK TABLE lifeguard.job_registry IN ACCESS EXCLUSIVE MODE');
ok(wait_ticks(30), 'with lifeguard.job_registry locked, the worker keeps ticking');
# a check that queued for the lock would end on its lock_timeout safety net,
# an error the worker counts
is( $node->safe_psql(
		'postgres', q{SELECT errors FROM lifeguard.worker_status()}),
	$errors,
	'... and its checks skip the locked table without an error');
is( $node->safe_psql(
		'postgres',
		q{SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
		   WHERE NOT l.granted AND a.backend_type LIKE 'pg_lifeguard%'}),
	'0',
	'... and waits for no lock');
$holder->query_safe('COMMIT');
$holder->quit;

# A part of a check that fails (here pg_cron's table no longer has the
# column it reads) is logged and recorded as worker_error, in its own
# subtransaction: the worker survives, and the other parts still run, so a
# job registered meanwhile still goes late.
SKIP:
{
	skip 'pg_cron is not installed for PostgreSQL ' . pg_major(), 3 unless $have_cron;
	my $restarts = $node->safe_psql('postgres',
		'SELECT restarts FROM lifeguard.worker_status()');
	$node->safe_psql(
		'postgres', q{
	ALTER TABLE cron.job_run_details RENAME COLUMN return_message TO return_msg;
	INSERT INTO lifeguard.jobs (name, expected_every) VALUES ('after_break', '1 s');
	});
	ok( $node->poll_query_until(
			'postgres',
			q{SELECT count(*) > 0 FROM lifeguard.recent_events()
			  WHERE kind = 'worker_error' AND detail LIKE 'pg_cron check failed: %'}),
		'a failing pg_cron part is recorded as worker_error');
	ok( $node->poll_query_until(
			'postgres',
			q{SELECT count(*) > 0 FROM lifeguard.recent_events()
			  WHERE kind = 'job_late' AND detail LIKE 'job "after_break" is late%'}),
		'... while the job part of the same checks still reports a late job');
	is( $node->safe_psql('postgres', 'SELECT restarts FROM lifeguard.worker_status()'),
		$restarts, '... and the worker was not restarted');
	$node->safe_psql('postgres',
		'ALTER TABLE cron.job_run_details RENAME COLUMN return_msg TO return_message');
}

$node->stop;
done_testing();
