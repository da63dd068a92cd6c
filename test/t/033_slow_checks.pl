# Slow checks never delay enforcement: the partition and job checks of every
# database, the worker's own included, run in check workers, so a check that
# takes ten seconds (lifeguard.debug_check_delay) leaves the worker ticking
# and a statement past its statement_timeout is cancelled on time.  With the
# checks made in the worker's own tick, as before, the worker would spend
# nearly all its time waiting in them and the cancel would come up to ten
# seconds late.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use LifeguardTest;
use Time::HiRes qw(time);

my $node = start_node(
	'slow_checks', q{
lifeguard.naptime = 200
lifeguard.check_interval = 1
lifeguard.debug_check_delay = 10000
});
$node->safe_psql(
	'postgres', q{
CREATE ROLE app LOGIN;
INSERT INTO lifeguard.policies (name, role_name, statement_timeout)
VALUES ('app_1s', 'app', '1 s');
});
my $mon = LifeguardTest::open_session($node, 'postgres', 'monitor');
my $app = LifeguardTest::open_session($node, 'app', 'app', on_error_stop => 0);

ok( poll_session(
		$mon,
		q{SELECT count(*) = 1 FROM pg_stat_activity
		  WHERE backend_type = 'pg_lifeguard check' AND datname = 'postgres'},
		't',
		q{SELECT pid, backend_type, datname, state FROM pg_stat_activity}),
	'a check worker checks the worker\'s own database');
ok( poll_session(
		$mon, q{SELECT count(*) = 1 FROM lifeguard.policy_status() WHERE name = 'app_1s'}),
	'the policy is in force');

# While the check sleeps, the worker keeps its cadence
my $ticks = $mon->{h}->query_safe('SELECT ticks FROM lifeguard.worker_status()');
ok( poll_session(
		$mon,
		"SELECT ticks >= $ticks + 5 FROM lifeguard.worker_status()",
		't',
		q{SELECT ticks, last_tick_at, max_tick_us FROM lifeguard.worker_status()}),
	'the worker ticks on while a check takes ten seconds');
cmp_ok($mon->{h}->query_safe('SELECT max_tick_us / 1000 FROM lifeguard.worker_status()'),
	'<', 5000, 'no tick took as long as a check');

# ... and cancels on time
my $t0 = time;
eval { $app->{h}->query('SELECT pg_sleep(30)') };
my $err = $app->{h}->{stderr};
my $took = time - $t0;
like($err, qr/canceling statement due to pg_lifeguard policy "app_1s"/,
	'the statement past its statement_timeout is cancelled');
cmp_ok($took, '<', 6,
	sprintf('within seconds of its 1 s limit (%.1f s), not after a check', $took));

close_sessions($mon, $app);
$node->stop('fast');
done_testing();
