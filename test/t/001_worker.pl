# The pg_lifeguard background worker: starts, waits for the extension, reloads
# its settings on SIGHUP, survives errors in its ticks, is restarted by the
# postmaster after pg_terminate_backend, runs on a hot standby, and stops
# with the server.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $node = PostgreSQL::Test::Cluster->new('primary');
$node->init(allows_streaming => 1);
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'pg_lifeguard'
lifeguard.naptime = 200
lifeguard.admin_roles = 'dba'
});
$node->start;

# Each reading of the worker's state, as "col|col|..."
sub status
{
	my ($n, $db, $cols) = @_;
	return $n->safe_psql($db, "SELECT $cols FROM lifeguard.worker_status()");
}

### The worker starts even though the extension does not exist yet

ok( $node->wait_for_log(
		qr/extension "pg_lifeguard" is not installed in database "postgres", worker is waiting for it/
	),
	'worker logs that it waits for CREATE EXTENSION in its database');

# Watch it from another database, where the extension exists
$node->safe_psql('postgres', 'CREATE DATABASE watch');
$node->safe_psql('watch', 'CREATE EXTENSION pg_lifeguard');
ok( $node->poll_query_until(
		'watch', "SELECT ticks > 2 FROM lifeguard.worker_status()"),
	'worker ticks while waiting');
is(status($node, 'watch', 'state, database'),
	'waiting for extension|postgres', 'worker reports that it waits');

my $offset = -s $node->logfile;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_lifeguard');
ok( $node->poll_query_until(
		'postgres', "SELECT state = 'running' FROM lifeguard.worker_status()"),
	'worker runs once the extension exists');
ok( $node->wait_for_log(
		qr/extension "pg_lifeguard" found in database "postgres", worker is running/,
		$offset),
	'worker logs that it found the extension');

### SIGHUP: the worker takes new settings without a restart

my $pid = status($node, 'postgres', 'pid');
$node->append_conf('postgresql.conf', "lifeguard.naptime = 300\n");
$node->reload;
ok( $node->poll_query_until(
		'postgres',
		"SELECT settings->>'naptime' = '300ms' FROM lifeguard.worker_status()"),
	'reload changes naptime in force in the worker');
is(status($node, 'postgres', 'pid'), $pid, 'same worker after reload');

# A malformed admin_roles list is refused at reload; the rest of the file is
# applied and the previous list stays in force.
$offset = -s $node->logfile;
$node->append_conf(
	'postgresql.conf', q{
lifeguard.admin_roles = 'dba,,ops'
lifeguard.naptime = 250
});
$node->reload;
ok( $node->wait_for_log(
		qr/invalid value for parameter "lifeguard.admin_roles": "dba,,ops"/,
		$offset),
	'malformed admin_roles is refused with a clear message');
ok( $node->poll_query_until(
		'postgres',
		"SELECT settings->>'naptime' = '250ms' FROM lifeguard.worker_status()"),
	'valid settings of the same reload are applied');
is(status($node, 'postgres', "settings->>'admin_roles'"),
	'dba', 'previous admin_roles stays in force');
$node->append_conf('postgresql.conf', "lifeguard.admin_roles = 'dba'\n");
$node->reload;

### An ERROR inside a tick is caught, logged and counted; the loop goes on

$offset = -s $node->logfile;
$node->safe_psql('postgres',
	'ALTER SYSTEM SET lifeguard.debug_tick_error = on');
$node->reload;
ok( $node->poll_query_until(
		'postgres', "SELECT errors >= 3 FROM lifeguard.worker_status()"),
	'failing ticks are counted');
is(status($node, 'postgres', 'pid'), $pid, 'worker survives failing ticks');
like(
	status($node, 'postgres', 'last_error'),
	qr/simulated failure of a pg_lifeguard worker tick/,
	'last error is reported');
ok( $node->wait_for_log(
		qr/ERROR:  simulated failure of a pg_lifeguard worker tick/, $offset),
	'the error goes to the server log');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM lifeguard.recent_events() WHERE kind = 'worker_error'"
	),
	'1',
	'a repeated error is one event, not one per tick');

$node->safe_psql('postgres', 'ALTER SYSTEM RESET lifeguard.debug_tick_error');
$node->reload;
ok( $node->poll_query_until(
		'postgres',
		"SELECT settings->>'naptime' = '250ms' AND ticks > 0 FROM lifeguard.worker_status()"
	),
	'worker still answers');
my ($errors, $ticks) = split /\|/, status($node, 'postgres', 'errors, ticks');
ok( $node->poll_query_until(
		'postgres',
		"SELECT ticks >= $ticks + 5 AND errors = $errors FROM lifeguard.worker_status()"
	),
	'ticks succeed again once the fault is gone');

### pg_terminate_backend: normal FATAL exit, restarted by the postmaster

my $postmaster_start =
  $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
my $t0 = time;
$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
ok( $node->poll_query_until(
		'postgres',
		"SELECT pid IS NOT NULL AND pid <> $pid AND state = 'running' FROM lifeguard.worker_status()"
	),
	'a new worker runs after pg_terminate_backend');
my $restart_secs = time - $t0;
cmp_ok($restart_secs, '<', 30, 'restart within 30 s');
note sprintf('worker restarted in %.1f s', $restart_secs);
my $newpid = status($node, 'postgres', 'pid');
is(status($node, 'postgres', 'restarts'), '1', 'restart is counted');
is( $node->safe_psql(
		'postgres',
		"SELECT string_agg(kind || ':' || (pid = $pid)::text || ':' || (pid = $newpid)::text, ',' ORDER BY seq)
		 FROM lifeguard.recent_events() WHERE kind IN ('worker_stopped', 'worker_restarted')"
	),
	'worker_stopped:true:false,worker_restarted:false:true',
	'stop of the old worker and restart of the new one are events');
ok($node->log_contains(qr/background worker "pg_lifeguard" \(PID $pid\) exited with exit code 1/),
	'old worker exited with status 1 (restart, not crash)');
is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'),
	$postmaster_start, 'the cluster itself did not restart');
ok(!$node->log_contains(qr/terminating any other active server processes/),
	'no crash-restart of the cluster');

### Hot standby: the worker starts at consistent state there too

$node->backup('backup');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($node, 'backup', has_streaming => 1);
$standby->start;
ok( $standby->poll_query_until(
		'postgres',
		"SELECT state = 'running' AND ticks > 2 FROM lifeguard.worker_status()"),
	'worker runs on a hot standby');
is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'),
	't', 'standby is in recovery');
$standby->stop('fast');

### Server shutdown: the worker simply stops

$node->stop('fast');
ok($node->log_contains(qr/worker_stopped \[info\]: worker pid $newpid stopped/),
	'worker records its stop at shutdown');

done_testing();
