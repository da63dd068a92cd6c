# Acting on time: when the worker has seen a limit running, it wakes up just
# after the limit runs out instead of at the end of its naptime.  With a
# naptime of 500 ms and a statement_timeout of 2.25 s, each statement is
# cancelled within a few milliseconds of its limit, not up to 500 ms later
# (bench/suites/reaction.sh measures this at naptime 100, 250 and 1000).
# Another role's stricter limit (1 s) must not make the worker wake for it
# and then miss the 2.25 s one.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use LifeguardTest;

my $node = start_node('reaction', q{
lifeguard.naptime = 500
});
$node->safe_psql(
	'postgres', q{
CREATE ROLE slow LOGIN;
CREATE ROLE other LOGIN;
INSERT INTO lifeguard.policies (name, role_name, statement_timeout, action)
VALUES ('slow_limit', 'slow', '2.25 s', 'cancel'),
       ('other_1s', 'other', '1 s', 'cancel');
});
my $mon = LifeguardTest::open_session($node, 'postgres', 'monitor');
my $slow = LifeguardTest::open_session($node, 'slow', 'slowapp',
	on_error_stop => 0);

my @late;
for my $i (1 .. 5)
{
	# a statement as slow: note its start, wait for its event
	$slow->{h}->query_until(qr/started/, "\\echo started\nSELECT pg_sleep(30);\n");
	my $start;
	ok( poll_session($mon,
			qq{SELECT count(*) = 1 FROM pg_stat_activity
			   WHERE pid = $slow->{pid} AND state = 'active' AND query LIKE '%pg_sleep%'}),
		"statement $i runs");
	$start = $mon->{h}->query_safe(
		"SELECT query_start FROM pg_stat_activity WHERE pid = $slow->{pid}");
	ok( poll_session($mon,
			qq{SELECT count(*) = $i FROM lifeguard.recent_events()
			   WHERE kind = 'statement_timeout' AND pid = $slow->{pid}}),
		"statement $i is cancelled");
	push @late, $mon->{h}->query_safe(
		qq{SELECT round(extract(epoch FROM max(event_time) - '$start'::timestamptz) * 1000 - 2250)
		   FROM lifeguard.recent_events()
		   WHERE kind = 'statement_timeout' AND pid = $slow->{pid}});
	$slow->{h}->query('SELECT 1');    # collect the error, ready for the next
	$slow->{h}->{stderr} = '';
}
my @sorted = sort { $a <=> $b } @late;
note "ms after the 2.25 s limit: @late";
cmp_ok($sorted[0], '>=', 0, 'no statement was cancelled before its limit');
cmp_ok($sorted[-1], '<', 100,
	'every statement was cancelled within 100 ms of its limit (naptime 500 ms)');

close_sessions($mon, $slow);
$node->stop('fast');
done_testing();
