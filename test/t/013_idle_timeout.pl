# idle_timeout: sessions of a class idle longer than the policy allows are
# terminated always, not only under slot pressure; active sessions of the
# class, and superusers' idle ones, are left alone, unless a policy names
# the superuser's role (the rule caps and time limits follow too).
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use LifeguardTest;

my $node = start_node(
	'idle_timeout', q{
max_connections = 50
lifeguard.slot_warning = 80
});
$node->safe_psql(
	'postgres', q{
CREATE ROLE app LOGIN;
INSERT INTO lifeguard.policies (name, application_name, idle_timeout)
VALUES ('forgotten', 'forgotten%', '1 s');
});

sub open_session { return LifeguardTest::open_session($node, @_, on_error_stop => 0); }

my $monitor = open_session('postgres', 'monitor');
ok( poll_session(
		$monitor,
		q{SELECT count(*) = 1 FROM lifeguard.policy_status()
		  WHERE name = 'forgotten' AND idle_timeout = interval '1 s'}),
	'the worker publishes the policy');

my @idle = map { open_session('app', 'forgotten-job') } 1 .. 2;
my $admin = open_session('postgres', 'forgotten-admin');
my $busy = open_session('app', 'forgotten-busy');
$busy->{h}->query_until(qr/start/, "\\echo start\nSELECT pg_sleep(4);\n");
my $idle_list = join(',', map { $_->{pid} } @idle);

# Usage is far under slot_warning: idle_timeout applies anyway
is($monitor->{h}->query_safe('SELECT status FROM lifeguard.slots()'),
	'ok', 'no slot pressure');
ok( poll_session(
		$monitor,
		"SELECT count(*) = 0 FROM pg_stat_activity WHERE pid IN ($idle_list)"),
	'sessions idle past idle_timeout are terminated without slot pressure');
# (polled: the worker records each event right after its signal)
ok( poll_session(
		$monitor,
		qq{SELECT coalesce(string_agg(pid || ':' || policy || ':' || action, ',' ORDER BY pid), '')
		   FROM lifeguard.recent_events() WHERE kind = 'idle_shed'},
		join(',', map { "$_:forgotten:terminate" } sort { $a <=> $b } map { $_->{pid} } @idle)),
	'each termination is an idle_shed event naming the policy');
like(
	$monitor->{h}->query_safe(
		q{SELECT min(detail) FROM lifeguard.recent_events() WHERE kind = 'idle_shed'}),
	qr/^idle for \d+\.\d s, longer than idle_timeout 1\.0 s$/,
	'the event says why');
is( $monitor->{h}->query_safe(
		"SELECT count(*) FROM pg_stat_activity WHERE pid IN ($admin->{pid}, $busy->{pid})"),
	'2',
	'the superuser\'s idle session and the active session of the class survive');

$busy->{h}->query_safe('SELECT 1');    # wait for pg_sleep to end
close_sessions($busy);

# A policy naming the superuser's role binds it: its idle session goes
$monitor->{h}->query_safe(
	q{INSERT INTO lifeguard.policies (name, role_name, application_name, idle_timeout)
	  VALUES ('forgotten_su', 'postgres', 'forgotten-admin', '1 s')});
ok( poll_session(
		$monitor,
		"SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $admin->{pid}",
		't',
		q{SELECT name, role_name, idle_timeout FROM lifeguard.policy_status()}),
	'a policy naming the superuser\'s role terminates its idle session');
# The worker records the event right after its signal, so the session may
# be gone a moment before the event is there: poll for it too
ok( poll_session(
		$monitor,
		qq{SELECT coalesce(string_agg(policy || ':' || action, ','), '')
		     FROM lifeguard.recent_events()
		    WHERE kind = 'idle_shed' AND pid = $admin->{pid}},
		'forgotten_su:terminate'),
	'... with an idle_shed event naming that policy');
close_sessions($monitor);
$node->stop;
done_testing();
