# The worker's memory of the sessions it acted on is bounded, and its
# overflow is counted, never silent.  With the memory shrunk to 2 entries
# (lifeguard.debug_acted_capacity) and dry_run on, two sessions idle in
# their transactions past a limit fit: each is reported once, and the
# overflow counter stays at 0 however many ticks pass.  A third does not
# fit: the oldest entry makes room, the counter rises, and the log says
# once that the memory is full.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use LifeguardTest;

my $node = start_node(
	'acted', q{
lifeguard.debug_acted_capacity = 2
lifeguard.dry_run = on
});
$node->safe_psql(
	'postgres', q{
CREATE ROLE dry LOGIN;
INSERT INTO lifeguard.policies (name, role_name, idle_in_transaction_timeout)
	VALUES ('dry_idle', 'dry', '200 ms');
});

my $monitor = LifeguardTest::open_session($node, 'postgres', 'monitor');

sub monitor_poll
{
	my ($sql, $expected) = @_;
	return poll_session($monitor, $sql, $expected,
		q{SELECT pid, usename, state, now() - state_change FROM pg_stat_activity
		  WHERE usename = 'dry'},
		q{SELECT seq, kind, pid, policy, action FROM lifeguard.recent_events()
		  WHERE kind = 'idle_in_transaction_timeout'});
}

sub overflows
{
	my $m = $monitor->{h}->query_safe('SELECT lifeguard.metrics()');
	return $m =~ /^pg_lifeguard_acted_memory_overflows_total (\d+)$/m ? $1 : 'missing';
}

ok( monitor_poll(
		q{SELECT count(*) FROM lifeguard.policy_status() WHERE name = 'dry_idle'}, '1'),
	'policy dry_idle is in force');

# Idle in transaction, past the 200 ms limit within a tick or two
sub idle_in_xact
{
	my ($app) = @_;
	my $s = LifeguardTest::open_session($node, 'dry', $app);
	$s->{h}->query_safe("BEGIN;\nSELECT 1;");
	return $s;
}

my @s = (idle_in_xact('one'), idle_in_xact('two'));
my $pids = join(',', map { $_->{pid} } @s);
ok( monitor_poll(
		qq{SELECT count(*) FROM lifeguard.recent_events()
		   WHERE kind = 'idle_in_transaction_timeout' AND action = 'would_terminate'
		     AND pid IN ($pids)}, '2'),
	'dry_run: both sessions are reported');

my $ticks = $monitor->{h}->query_safe('SELECT ticks FROM lifeguard.worker_status()');
ok( monitor_poll(
		"SELECT ticks >= $ticks + 10 FROM lifeguard.worker_status()"),
	'ten more ticks pass while both stay idle in their transactions');
is(overflows(), '0', 'two offences fit in a memory of 2: no overflow');
is( $monitor->{h}->query_safe(
		qq{SELECT count(*) FROM lifeguard.recent_events()
		   WHERE kind = 'idle_in_transaction_timeout' AND pid IN ($pids)}),
	'2',
	'each was reported once, not once per tick');

push @s, idle_in_xact('three');
ok( monitor_poll(
		q{SELECT (SELECT lifeguard.metrics()) ~ 'pg_lifeguard_acted_memory_overflows_total [1-9]'}),
	'a third offence overflows the memory, and the overflow is counted');
like(overflows(), qr/^[1-9]\d*$/, 'the counter is a positive number');
ok( $node->wait_for_log(qr/memory of sessions acted on is full/),
	'the log says the memory is full');

$_->{h}->quit foreach @s;
$monitor->{h}->quit;
$node->stop;
my $log = slurp_file($node->logfile);
my $full = () = $log =~ /memory of sessions acted on is full/g;
is($full, 1, 'it says so once, not once per tick');

done_testing();
