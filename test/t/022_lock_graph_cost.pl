# The worker's steady-state tick does not touch the lock manager: it builds
# the lock graph (GetBlockerStatusData, which holds every lock partition)
# only when some session has waited on a heavyweight lock for at least the
# smallest blocking_timeout.  worker_status().lock_graphs counts the builds.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use LifeguardTest;

my $node = start_node('lock_graph_cost', '');
$node->safe_psql(
	'postgres', q{
CREATE ROLE maint LOGIN;
CREATE ROLE app LOGIN;
CREATE TABLE hot (id int);
GRANT ALL ON hot TO maint, app;
INSERT INTO lifeguard.policies (name, role_name, blocking_timeout)
VALUES ('maint_blocks', 'maint', '4 s');
});

my $monitor = LifeguardTest::open_session($node, 'postgres', 'monitor');
ok( poll_session(
		$monitor,
		q{SELECT count(*) = 1 FROM lifeguard.policy_status()
		  WHERE name = 'maint_blocks'}),
	'the worker publishes the policy');

# Wait until the worker has ticked $n more times; return the graph count
sub graphs_after_ticks
{
	my ($n) = @_;
	my $ticks = $monitor->{h}->query_safe(
		'SELECT ticks FROM lifeguard.worker_status()');
	poll_session($monitor,
		"SELECT ticks >= $ticks + $n FROM lifeguard.worker_status()")
	  or return -1;
	return $monitor->{h}->query_safe(
		'SELECT lock_graphs FROM lifeguard.worker_status()');
}

my $graphs = graphs_after_ticks(0);
is(graphs_after_ticks(10), $graphs,
	'with a blocking policy but nobody waiting, no lock graph is built');

# A blocker and a waiter: for the first seconds of the wait, still none
my $holder = LifeguardTest::open_session($node, 'maint', 'holder');
$holder->{h}->query_safe('BEGIN; LOCK TABLE hot IN ACCESS EXCLUSIVE MODE');
my $waiter = LifeguardTest::open_session($node, 'app', 'waiter');
$waiter->{h}->query_until(qr/start/, "\\echo start\nSELECT count(*) FROM hot;\n");
ok( poll_session(
		$monitor,
		"SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $waiter->{pid}"),
	'the waiter waits for the lock');
is(graphs_after_ticks(10), $graphs,
	'a wait younger than the smallest blocking_timeout builds no lock graph');

# Past the limit, the graph is built and the blocker is acted on
ok( poll_session(
		$monitor,
		"SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $holder->{pid}"),
	'the blocker, idle in its transaction, is terminated past blocking_timeout');
cmp_ok(
	$monitor->{h}->query_safe('SELECT lock_graphs FROM lifeguard.worker_status()'),
	'>', $graphs, 'the lock graph was built to find it');
is( $monitor->{h}->query_safe(
		qq{SELECT action FROM lifeguard.recent_events()
		   WHERE kind = 'blocking_timeout' AND pid = $holder->{pid}}),
	'terminate',
	'idle in its transaction, the blocker is terminated, not cancelled');
$waiter->{h}->query_safe('SELECT 1');    # its count(*) has returned

# Nobody waits any more: the count stops moving
$graphs = graphs_after_ticks(2);
is(graphs_after_ticks(10), $graphs, 'once nobody waits, no lock graph is built');

close_sessions($waiter, $monitor);
$node->stop;
done_testing();
