# PostgreSQL 17's own transaction_timeout and a policy's: two independent
# limits, the shorter acts first.  A policy's limit cannot be escaped by
# SET transaction_timeout = 0, and cancels (then, if the transaction stays
# open, terminates) in pg_lifeguard's words; PostgreSQL's terminates the
# session at once in its own words, and pg_lifeguard records nothing for
# it.  Skipped before 17, which has no transaction_timeout.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use LifeguardTest;
use Time::HiRes qw(time);

plan skip_all => 'transaction_timeout is new in PostgreSQL 17'
  if pg_major() < 17;

my $node = start_node('native_txn', '');
$node->safe_psql(
	'postgres', q{
CREATE ROLE short_policy LOGIN;
ALTER ROLE short_policy SET transaction_timeout = '60s';
CREATE ROLE short_native LOGIN;
ALTER ROLE short_native SET transaction_timeout = '1s';
INSERT INTO lifeguard.policies (name, role_name, transaction_timeout)
VALUES ('policy_1s', 'short_policy', '1 s'),
       ('policy_60s', 'short_native', '60 s');
});
ok( $node->poll_query_until(
		'postgres', q{SELECT count(*) = 2 FROM lifeguard.policy_status()}),
	'both policies are in force');

sub txn_events
{
	my ($role) = @_;
	return $node->safe_psql(
		'postgres', qq{
SELECT string_agg(kind || ':' || policy || ':' || action, ',' ORDER BY seq)
  FROM lifeguard.recent_events()
 WHERE kind = 'transaction_timeout' AND role = '$role'});
}

# The policy is shorter, and the session even turns the native limit off
my $t = time;
my ($ret, $out, $err) = $node->psql(
	'postgres',
	"SET transaction_timeout = 0;\nBEGIN;\nSELECT pg_sleep(30);",
	extra_params => [ '-U', 'short_policy' ]);
my $elapsed = time - $t;
cmp_ok($elapsed, '<', 10,
	'policy 1 s, native limit turned off by the session: the transaction ends within seconds');
like(
	$err,
	qr/ERROR:  canceling statement due to pg_lifeguard policy "policy_1s": transaction_timeout of 1 s exceeded/,
	'pg_lifeguard cancels it, in its own words');
ok( $node->poll_query_until(
		'postgres',
		q{SELECT count(*) = 1 FROM lifeguard.recent_events()
		  WHERE kind = 'transaction_timeout' AND role = 'short_policy'}),
	'and records it');
is(txn_events('short_policy'), 'transaction_timeout:policy_1s:cancel',
	'one event: a cancel under policy_1s');

# The native limit is shorter
$t = time;
($ret, $out, $err) = $node->psql(
	'postgres',
	"BEGIN;\nSELECT pg_sleep(30);",
	extra_params => [ '-U', 'short_native' ]);
$elapsed = time - $t;
cmp_ok($elapsed, '<', 10,
	'native limit 1 s, policy 60 s: the transaction ends within seconds');
like(
	$err,
	qr/FATAL:  terminating connection due to transaction timeout/,
	'PostgreSQL terminates the session, in its own words');
is(txn_events('short_native'), '', 'pg_lifeguard records nothing for it');

$node->stop;
done_testing();
