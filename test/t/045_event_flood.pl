# One role cannot flood the event ring.  With lifeguard.events locked by a
# user session (so the worker writes nothing and the ring of 64 events is
# all there is), role flooder trips the statement limit in a tight loop from
# four sessions, hundreds of times, while role other, under the same policy,
# trips it once in the middle of the flood.  The rate limit records the
# flooder's first lifeguard.event_burst events and then one a second, and
# counts the rest as held back: so once the lock is gone, the other role's
# event reaches lifeguard.events and nothing was dropped.  Every cancel was
# still made and counted (pg_lifeguard_events_total), the held-back events
# are counted by kind (pg_lifeguard_events_suppressed_total), and summary
# events ("N earlier events of this kind, policy and role were held back")
# account for every one of them, the last written by the worker once the
# flood is over: rows recorded plus rows held back make the total.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use IPC::Run;
use lib "$FindBin::RealBin/../perl";
use LifeguardTest;
use PromCheck;

my $node = start_node(
	'flood', q{
max_connections = 30
lifeguard.event_ring_size = 64
});
$node->safe_psql(
	'postgres', q{
CREATE ROLE flooder LOGIN;
CREATE ROLE other LOGIN;
INSERT INTO lifeguard.policies (name, statement_timeout, action)
VALUES ('app_stmt', '20ms', 'cancel');
});

my $mon = LifeguardTest::open_session($node, 'postgres', 'monitor');
sub mon { return $mon->{h}->query_safe($_[0]); }

sub poll
{
	my ($sql, $expected) = @_;
	return poll_session($mon, $sql, $expected,
		q{SELECT events_written, events_pending, events_dropped FROM lifeguard.worker_status()},
		q{SELECT seq, kind, role, action, detail FROM lifeguard.recent_events() ORDER BY seq});
}

# A counter of lifeguard.metrics(), by event kind
sub metric
{
	my ($name, $kind) = @_;
	my $text = mon('SELECT lifeguard.metrics()');
	$text =~ s/\n*\z/\n/;
	return prom_value($text, $name, kind => $kind);
}

ok(poll(q{SELECT count(*) = 1 FROM lifeguard.policy_status()}),
	'the policy is in force');
ok(poll(q{SELECT events_pending = 0 FROM lifeguard.worker_status()}),
	'every event so far is written');
my $burst = mon(q{SELECT settings->>'event_burst' FROM lifeguard.worker_status()});
is($burst, '20', 'lifeguard.event_burst is 20 by default');

# The worker cannot write lifeguard.events from now on
my $locker = LifeguardTest::open_session($node, 'postgres', 'locker');
$locker->{h}->query_safe('BEGIN; LOCK TABLE lifeguard.events IN SHARE MODE;');

# Four sessions of role flooder, 60 statements each, each cancelled after
# 20 ms; their output goes nowhere, so nothing has to read it meanwhile
my $dir = PostgreSQL::Test::Utils::tempdir;
my $script = "$dir/flood.sql";
open my $fh, '>', $script or die "$script: $!";
print $fh "SELECT pg_sleep(1);\n" x 60;
close $fh;
my @runs = map {
	IPC::Run::start(
		[
			'psql', '-X', '-q', '-d', $node->connstr('postgres'),
			'-U', 'flooder', '-v', 'ON_ERROR_STOP=0', '-f', $script
		],
		'<', '/dev/null', '>', '/dev/null', '2>', '/dev/null',
		IPC::Run::timeout(10 * $PostgreSQL::Test::Utils::timeout_default))
} 1 .. 4;

ok(poll(qq{SELECT count(*) >= $burst FROM lifeguard.recent_events()
  WHERE kind = 'statement_timeout' AND role = 'flooder'}),
	'the flood has filled its burst');

# Role other trips the same limit, once
my ($ret, $out, $err) =
  $node->psql('postgres', 'SELECT pg_sleep(5)', connstr => $node->connstr('postgres') . ' user=other');
like($err, qr/policy "app_stmt": statement_timeout of 0\.02 s exceeded/,
	'role other\'s statement is cancelled by the policy');
ok(poll(q{SELECT count(*) = 1 FROM lifeguard.recent_events()
  WHERE kind = 'statement_timeout' AND role = 'other'}),
	'its event is in the ring');
my $at_other = metric('pg_lifeguard_events_total', 'statement_timeout');

$_->finish foreach @runs;
my $total = metric('pg_lifeguard_events_total', 'statement_timeout');
note "statement_timeout events: $at_other when role other's was recorded, $total in all";
cmp_ok($total - $at_other, '>=', 150,
	'the flood went on for more than twice the ring after it');

$locker->{h}->query_safe('COMMIT');
ok( poll(q{SELECT count(*) = 1 FROM lifeguard.events
  WHERE kind = 'statement_timeout' AND role = 'other' AND action = 'cancel'}),
	'role other\'s event reaches lifeguard.events');
ok(poll(q{SELECT events_pending = 0 FROM lifeguard.worker_status()}),
	'the ring is written');
is(mon(q{SELECT events_dropped FROM lifeguard.worker_status()}),
	'0', 'no event was dropped');

# Accounting: recorded + held back = every cancel
my $suppressed = metric('pg_lifeguard_events_suppressed_total', 'statement_timeout');
cmp_ok($suppressed // 0, '>', 0, 'held-back events are counted in the metric');
my $held_sql = q{SELECT coalesce(sum(substring(detail->>'message'
    FROM '^([0-9]+) earlier events? of this kind, policy and role (?:was|were) held back')::bigint), 0)
  FROM lifeguard.events WHERE kind = 'statement_timeout'};
ok(poll($held_sql, $suppressed // 0),
	'the summary events account for every held-back event, the last one written after the flood');
cmp_ok(
	mon(q{SELECT count(*) FROM lifeguard.events
	  WHERE kind = 'statement_timeout' AND action IS NULL}),
	'>', 0, 'there are summary events');
is( mon(q{SELECT bool_and(role = 'flooder' AND policy = 'app_stmt' AND pid IS NULL)
	  FROM lifeguard.events WHERE kind = 'statement_timeout' AND action IS NULL}),
	't', 'they name the policy and the role, and no action');
is( mon(q{SELECT count(*) FROM lifeguard.events
	  WHERE kind = 'statement_timeout' AND action IS NOT NULL})
	  + $suppressed,
	$total,
	'events written plus events held back make every cancel');
cmp_ok(
	mon(q{SELECT count(*) FROM lifeguard.events
	  WHERE kind = 'statement_timeout' AND role = 'flooder' AND action IS NOT NULL}),
	'<', 64,
	'the flooder\'s recorded events stayed well within the ring');
is(metric('pg_lifeguard_events_suppressed_total', 'statement_timeout'),
	$suppressed, 'nothing more was held back since');
is(metric('pg_lifeguard_events_suppressed_total', 'worker_error'),
	undef, 'the worker\'s own events are never held back (no series for them)');

close_sessions($mon, $locker);
$node->stop;
done_testing();
