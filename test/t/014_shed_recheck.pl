# Idle shedding re-checks its choice right before the signal: a session
# chosen because it was idle, that starts a statement before the signal goes
# out, is left alone rather than terminated in the middle of its statement.
#  - by policy: the worker chooses a session idle past idle_timeout, and
#    lifeguard.debug_shed_delay (a hidden developer setting) holds it for
#    3 s between the choice and the signal; in that window the session runs
#    a 4-second statement, which completes, and no idle_shed event is
#    recorded for it.  Idle again afterwards, it is shed as usual;
#  - by lifeguard.shed_idle(): the same, with the caller held between
#    listing the idle sessions and signalling them; the session is listed
#    as not terminated, and a second call, while it is idle, terminates it.
# The server log line "debug_shed_delay: waiting ..." says when the window
# opens.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use LifeguardTest;

my $node = start_node(
	'shedrecheck', q{
lifeguard.naptime = 100
lifeguard.debug_shed_delay = 3000
});

$node->safe_psql(
	'postgres', q{
CREATE ROLE app LOGIN;
INSERT INTO lifeguard.policies (name, application_name, idle_timeout)
VALUES ('victims', 'victim%', '1 s');
});

sub open_session
{
	return LifeguardTest::open_session($node, @_, on_error_stop => 0);
}

my $monitor = open_session('postgres', 'monitor');

sub monitor_query { return $monitor->{h}->query_safe($_[0]); }

sub monitor_poll
{
	my ($sql, $expected) = @_;
	return poll_session($monitor, $sql, $expected,
		q{SELECT pid, application_name, state, now() - state_change FROM pg_stat_activity WHERE backend_type = 'client backend'},
		q{SELECT seq, kind, pid, application_name, action, detail FROM lifeguard.recent_events() ORDER BY seq});
}

ok( monitor_poll(
		q{SELECT count(*) = 1 FROM lifeguard.policy_status()
		  WHERE name = 'victims' AND idle_timeout = interval '1 s'}),
	'the worker publishes the policy');

# Run $sql in $session (a statement that takes a while) and say whether it
# completed in the same backend: no error, and the pid unchanged.
sub completes
{
	my ($session, $sql) = @_;
	my ($out, $err) = ('', '');
	eval {
		$out = $session->{h}->query($sql);
		$err = $session->{h}->{stderr};
		1;
	} or $err = "psql died: $@";
	diag("statement in $session->{pid} failed: $err") if $err ne '';
	return $err eq '' && $out eq 'done';
}

sub alive
{
	my ($session) = @_;
	return monitor_query(
		"SELECT count(*) FROM pg_stat_activity WHERE pid = $session->{pid}");
}

sub shed_events
{
	my ($session, $since) = @_;
	return monitor_query(
		qq{SELECT count(*) FROM lifeguard.recent_events()
		   WHERE kind = 'idle_shed' AND pid = $session->{pid} AND seq > $since});
}

my $seq0 = monitor_query(
	'SELECT coalesce(max(seq), 0) FROM lifeguard.recent_events()');

### By policy: the worker

my $offset = -s $node->logfile;
my $victim = open_session('app', 'victim-1');
$offset = $node->wait_for_log(
	qr/waiting 3000 ms \(lifeguard\.debug_shed_delay\) before signalling process $victim->{pid}\b/,
	$offset);
ok(1, 'the worker chose the idle session and waits before signalling it');

ok(completes($victim, q{SELECT 'done' FROM pg_sleep(4)}),
	'the session starts a 4 s statement in the window: it completes');
is(alive($victim), '1', '... and the session is still there');
is(shed_events($victim, $seq0), '0', '... and no idle_shed event names it');

# Idle again, it is chosen again, and this time it is still idle when the
# signal goes out
ok( monitor_poll(
		qq{SELECT count(*) = 1 FROM lifeguard.recent_events()
		   WHERE kind = 'idle_shed' AND pid = $victim->{pid} AND seq > $seq0
		     AND action = 'terminate' AND policy = 'victims'}),
	'idle again past idle_timeout, the session is then shed');
ok(monitor_poll("SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $victim->{pid}"),
	'... and is gone');

### By lifeguard.shed_idle()

# An application no policy names: only the function acts on it
my $manual = open_session('app', 'manual-1');
my $caller = open_session('postgres', 'caller');
ok( monitor_poll(
		qq{SELECT state = 'idle' FROM pg_stat_activity WHERE pid = $manual->{pid}}),
	'the session for shed_idle() is idle');

$offset = -s $node->logfile;
$caller->{h}->query_until(
	qr/calling/, q{\echo calling
SELECT pid || ':' || terminated FROM lifeguard.shed_idle('0', application_name => 'manual%', dry_run => false);
});
$offset = $node->wait_for_log(
	qr/waiting 3000 ms \(lifeguard\.debug_shed_delay\) before signalling process $manual->{pid}\b/,
	$offset);
ok(1, 'shed_idle() listed the idle session and waits before signalling it');

ok(completes($manual, q{SELECT 'done' FROM pg_sleep(4)}),
	'the session starts a 4 s statement in the window: it completes');
is($caller->{h}->query_safe(q{SELECT 'returned'}),
	"$manual->{pid}:false\nreturned",
	'shed_idle() lists the session as not terminated');
is(alive($manual), '1', '... and the session is still there');
is(shed_events($manual, $seq0), '0', '... and no idle_shed event names it');

$caller->{h}->query_safe('SET lifeguard.debug_shed_delay = 0');
is( $caller->{h}->query_safe(
		q{SELECT pid || ':' || terminated FROM lifeguard.shed_idle('0', application_name => 'manual%', dry_run => false)}),
	"$manual->{pid}:true",
	'called again while the session is idle, shed_idle() terminates it');
ok(monitor_poll("SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $manual->{pid}"),
	'... and it is gone');

$node->stop;
done_testing();
