# Idle shedding: while slot usage is at or above lifeguard.slot_warning, the
# worker terminates the longest-idle sessions of a class whose policy sets
# shed_idle_after, oldest first, until usage is back under the threshold,
# and not one more.  Below the threshold nothing is shed; active sessions,
# sessions of other classes and superusers are never touched; dry_run only
# reports; lifeguard.shed_idle() does the same on demand.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use LifeguardTest;
use Time::HiRes qw(time usleep);

my $t0 = time;

my $node = start_node(
	'shed', q{
max_connections = 20
superuser_reserved_connections = 1
lifeguard.reserved_admin_slots = 1
lifeguard.slot_warning = 50
lifeguard.slot_critical = 95
lifeguard.naptime = 100
});

$node->safe_psql(
	'postgres', q{
CREATE ROLE app LOGIN;
INSERT INTO lifeguard.policies(name, application_name, shed_idle_after)
VALUES ('leaky', 'leaky%', '1 s');
});
ok( $node->poll_query_until(
		'postgres',
		q{SELECT count(*) = 1 FROM lifeguard.policy_status()
		  WHERE name = 'leaky' AND shed_idle_after = interval '1 s'}),
	'the worker publishes the policy');


# One long-lived session (psql reading from a pipe) per held slot.


# Sessions of this test's node; polls go through the monitor session.
sub open_session { return LifeguardTest::open_session($node, @_, on_error_stop => 0); }

# Everything the test reads goes through one superuser session, so that the
# test adds no short-lived connection to the slot counts the worker acts on.
my $monitor = open_session('postgres', 'monitor');

sub monitor_poll
{
	my ($sql, $expected) = @_;
	return poll_session($monitor, $sql, $expected,
		q{SELECT * FROM lifeguard.slots()},
		q{SELECT pid, usename, application_name, state, now() - state_change FROM pg_stat_activity WHERE backend_type = 'client backend' ORDER BY backend_start},
		q{SELECT seq, pid, application_name, policy, action, detail FROM lifeguard.recent_events() WHERE kind = 'idle_shed'});
}

sub monitor_query
{
	return $monitor->{h}->query_safe($_[0]);
}


# Let the worker run n more ticks.
sub wait_ticks
{
	my ($n) = @_;
	my $ticks = monitor_query('SELECT ticks FROM lifeguard.worker_status()');
	return monitor_poll(
		"SELECT ticks >= $ticks + $n FROM lifeguard.worker_status()");
}

sub pids
{
	return join(',', map { $_->{pid} } @_);
}

sub alive
{
	my $list = pids(@_);
	return monitor_query(
		"SELECT count(*) FROM pg_stat_activity WHERE pid IN ($list)");
}

# The idle_shed events after seq $since with this action, pids in the order
# they were recorded.
sub shed_events
{
	my ($since, $action) = @_;
	return monitor_query(
		qq{SELECT coalesce(string_agg(pid::text, ',' ORDER BY seq), '')
		   FROM lifeguard.recent_events()
		   WHERE kind = 'idle_shed' AND seq > $since AND action = '$action'});
}

# A session held idle the whole time, by a superuser, matching the policy
my $admin = open_session('postgres', 'leaky-admin');
# An idle session of the same role, of an application no policy names: the
# oldest idle session of all
my $steady = open_session('app', 'steady');

### Below slot_warning nothing is shed

my @old_a = map { open_session('app', 'leaky-old') } 1 .. 4;
ok(monitor_poll('SELECT used FROM lifeguard.slots()', '7'),
	'7 slots used (monitor, leaky-admin, steady, 4 leaky-old)');
is(monitor_query('SELECT usable, used_pct, status FROM lifeguard.slots()'),
	'18|38.9|ok', '7 of 18 usable slots: 38.9%, under slot_warning');
ok( monitor_poll(
		q{SELECT longest_idle > interval '1.5 s' FROM lifeguard.slot_usage('application')
		  WHERE key = 'leaky-old'}),
	'the leaky-old sessions have been idle longer than shed_idle_after');
ok(wait_ticks(30), '30 worker ticks (3 s) pass');
is(alive(@old_a), 4, 'no leaky session is shed under slot_warning');
is( monitor_query(
		q{SELECT count(*) FROM lifeguard.recent_events() WHERE kind = 'idle_shed'}),
	'0',
	'no idle_shed event');

### Pressure

my $seq0 = monitor_query(
	'SELECT coalesce(max(seq), 0) FROM lifeguard.recent_events()');

# Four more leaky-old: at 9 of 18 used (50%) the worker starts shedding the
# oldest idle leaky sessions, back down to 8.
my @old_b = map { open_session('app', 'leaky-old') } 1 .. 4;

# Let them age, so that they are clearly older than the next ones
my $b_list = pids(@old_b);
ok( monitor_poll(
		qq{SELECT bool_and(now() - state_change > interval '1.5 s')
		   FROM pg_stat_activity WHERE pid IN ($b_list)}),
	'the second leaky-old group is idle for 1.5 s');

my @new = map { open_session('app', 'leaky-new') } 1 .. 6;

# Active sessions, one matching the policy and one not: never shed
my @busy;
foreach my $app ('leaky-busy', 'busy')
{
	my $s = open_session('app', $app);
	$s->{h}->query_until(qr/sleeping/, "\\echo sleeping\nSELECT pg_sleep(60);\n");
	push @busy, $s;
}
my $busy_list = pids(@busy);
ok( monitor_poll(
		qq{SELECT count(*) FROM pg_stat_activity
		   WHERE pid IN ($busy_list) AND state = 'active' AND query LIKE '%pg_sleep%'},
		'2'),
	'two busy sessions are active');

# 3 + 8 + 6 + 2 = 19 sessions came; the worker keeps usage under 50%:
# 8 of 18 used in the end, so 11 leaky idle sessions must go.
ok(monitor_poll('SELECT used_pct < 50 FROM lifeguard.slots()'),
	'the worker brings usage back under slot_warning');
ok(wait_ticks(20), '20 more worker ticks pass');
is(monitor_query('SELECT used, used_pct, status FROM lifeguard.slots()'),
	'8|44.4|ok', 'usage stays just under slot_warning: 8 of 18');

my @leaky_by_age = (@old_a, @old_b, @new);
my @expect_shed = @leaky_by_age[0 .. 10];
my @expect_kept = @leaky_by_age[11 .. $#leaky_by_age];
is(shed_events($seq0, 'terminate'), pids(@expect_shed),
	'the 11 longest-idle leaky sessions are shed, longest idle first');
is(alive(@old_a, @old_b), 0, 'every leaky-old session is gone');
is(alive(@expect_kept), 3, 'the three youngest leaky-new sessions are kept');
is(alive($admin), 1, 'the superuser\'s idle leaky session is not shed');
is(alive($steady), 1, 'the idle session of another application is not shed');
is(alive(@busy), 2, 'the active sessions are not shed');
is( monitor_query(
		qq{SELECT count(*) FROM lifeguard.recent_events()
		   WHERE kind = 'idle_shed' AND seq > $seq0
		     AND pid IN ($busy_list, $admin->{pid}, $steady->{pid})}),
	'0',
	'no idle_shed event for them');
is( monitor_query(
		qq{SELECT count(*), bool_and(policy = 'leaky'), bool_and(role = 'app'),
		          bool_and(application_name LIKE 'leaky-%'), bool_and(severity = 'warning')
		   FROM lifeguard.recent_events() WHERE kind = 'idle_shed' AND seq > $seq0}),
	'11|t|t|t|t',
	'idle_shed events name the policy, role and application');
like(
	monitor_query(
		qq{SELECT detail FROM lifeguard.recent_events()
		   WHERE kind = 'idle_shed' AND seq > $seq0 ORDER BY seq LIMIT 1}),
	qr/^idle for \d+\.\d s \(shed_idle_after 1\.0 s\) while slot usage is \d+\.\d%, at or above lifeguard\.slot_warning \(50%\)$/,
	'idle_shed event says why');
ok( monitor_query(
		qq{SELECT count(*) > 0 FROM lifeguard.recent_events()
		   WHERE kind = 'slot_warning' AND seq > $seq0}),
	'the crossing of slot_warning is an event');

### dry_run: report, terminate nothing

ok(worker_setting($node, $monitor, 'dry_run', 'on'),
	'dry_run is in force');
my $seq1 = monitor_query('SELECT max(seq) FROM lifeguard.recent_events()');

my @dry = map { open_session('app', 'leaky-dry') } 1 .. 3;
ok(monitor_poll(
		qq{SELECT count(*) FROM lifeguard.recent_events()
		   WHERE kind = 'idle_shed' AND seq > $seq1 AND action = 'would_terminate'},
		'3'),
	'dry_run: three sessions would be terminated');
is(shed_events($seq1, 'would_terminate'), pids(@expect_kept),
	'dry_run: the longest-idle ones, longest idle first');
ok(wait_ticks(20), '20 more worker ticks pass');
is(shed_events($seq1, 'terminate'), '', 'dry_run: nothing terminated');
is(alive(@expect_kept, @dry), 6, 'dry_run: every session is still there');
is( monitor_query(
		qq{SELECT count(*) FROM lifeguard.recent_events()
		   WHERE kind = 'idle_shed' AND seq > $seq1}),
	'3',
	'dry_run: each session is reported once');

# End the pressure before enforcing again
close_sessions(@dry);
ok(monitor_poll('SELECT used FROM lifeguard.slots()', '8'),
	'pressure gone: 8 slots used');
ok(worker_setting($node, $monitor, 'dry_run', 'off'),
	'dry_run is off again');

### lifeguard.shed_idle() on demand

my $listed = monitor_query(
	q{SELECT string_agg(pid || ':' || role || ':' || application || ':' || terminated
	                    || ':' || (idle_for >= interval '1 s'), ',')
	  FROM lifeguard.shed_idle('1 s', NULL, 'leaky%', true)});
is( $listed,
	join(',', map { "$_->{pid}:app:leaky-new:false:true" } @expect_kept),
	'shed_idle(dry_run => true) lists the idle leaky sessions, longest idle first, without terminating');
ok(wait_ticks(5), 'a few worker ticks pass');
is(alive(@expect_kept), 3, 'they are still there');

my $seq2 = monitor_query('SELECT max(seq) FROM lifeguard.recent_events()');
is( monitor_query(
		q{SELECT string_agg(pid || ':' || terminated, ',')
		  FROM lifeguard.shed_idle('1 s', NULL, 'leaky%', false)}),
	join(',', map { "$_->{pid}:true" } @expect_kept),
	'shed_idle(dry_run => false) terminates them');
my $kept_list = pids(@expect_kept);
ok( monitor_poll(
		"SELECT count(*) FROM pg_stat_activity WHERE pid IN ($kept_list)", '0'),
	'they are gone from pg_stat_activity');
is( monitor_query(
		qq{SELECT string_agg(pid::text, ',' ORDER BY seq) FROM lifeguard.recent_events()
		   WHERE kind = 'idle_shed' AND seq > $seq2 AND action = 'terminate' AND policy IS NULL}),
	$kept_list,
	'each termination by shed_idle() is an event');
is(alive($admin, $steady, @busy), 4,
	'the superuser, the other application and the active sessions survive');

### Leaving dry_run under pressure: shedding starts at once

# 5 slots used now (monitor, superuser, steady, two busy); 5 idle leaky
# sessions make 10 of 18 (55.6%), 2 over what keeps usage under 50%.
ok(worker_setting($node, $monitor, 'dry_run', 'on'),
	'dry_run is on again');
my $seq3 = monitor_query('SELECT max(seq) FROM lifeguard.recent_events()');
my @late = map { open_session('app', 'leaky-late') } 1 .. 5;
ok( monitor_poll(
		qq{SELECT count(*) FROM lifeguard.recent_events()
		   WHERE kind = 'idle_shed' AND seq > $seq3 AND action = 'would_terminate'},
		'2'),
	'dry_run: two sessions would be terminated');
my $reported = shed_events($seq3, 'would_terminate');

my $t_off = time;
ok(worker_setting($node, $monitor, 'dry_run', 'off'), 'dry_run is off');
ok( monitor_poll(
		qq{SELECT coalesce(string_agg(pid::text, ',' ORDER BY seq), '')
		   FROM lifeguard.recent_events()
		   WHERE kind = 'idle_shed' AND seq > $seq3 AND action = 'terminate'},
		$reported),
	'once dry_run is off, the sessions it reported are terminated');
my $delay = time - $t_off;
note sprintf('terminated %.1f s after dry_run went off', $delay);
cmp_ok($delay, '<', 5,
	'without waiting out the 10 s grace kept for signalled sessions');
close_sessions(@late);

### Clean up

monitor_query("SELECT pg_cancel_backend(pid) FROM unnest(ARRAY[$busy_list]) AS pid");
close_sessions(@leaky_by_age, @busy, $admin, $steady, $monitor);
$node->stop;

note sprintf('012_idle_shedding took %.1f s', time - $t0);
done_testing();
