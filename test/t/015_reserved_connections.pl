# PostgreSQL 16's reserved_connections with the admin reserve.  From the
# last free slot up: superuser_reserved_connections (superusers), the admin
# reserve (superusers and lifeguard.admin_roles), reserved_connections
# (roles with the privileges of pg_use_reserved_connections), then
# everyone's.  With max_connections 10, 1 + 2 + 2 reserved, 5 slots are
# usable by ordinary roles; a pg_use_reserved_connections role gets the
# next 2 and is refused the admin slots; an admin role needs
# pg_use_reserved_connections to get past PostgreSQL's own check of
# reserved_connections, and then gets in.  Skipped on 15, which has no
# reserved_connections.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use LifeguardTest;

plan skip_all => 'reserved_connections is new in PostgreSQL 16'
  if pg_major() < 16;

my $node = start_node(
	'rc', q{
max_connections = 10
superuser_reserved_connections = 1
reserved_connections = 2
lifeguard.reserved_admin_slots = 2
lifeguard.admin_roles = 'ops'
});
$node->safe_psql(
	'postgres', q{
CREATE ROLE app LOGIN;
CREATE ROLE rc LOGIN IN ROLE pg_use_reserved_connections;
CREATE ROLE ops NOLOGIN;
CREATE ROLE alice LOGIN IN ROLE ops;
});

my $monitor = LifeguardTest::open_session($node, 'postgres', 'monitor');

sub slots
{
	return $monitor->{h}->query_safe("SELECT $_[0] FROM lifeguard.slots()");
}

sub settle
{
	my ($n, $what) = @_;
	ok(poll_session($monitor, 'SELECT used FROM lifeguard.slots()', $n),
		"$what: $n slots used");
}

is( slots(
		'max_connections, superuser_reserved_connections, reserved_connections, reserved_admin_slots, usable'
	),
	'10|1|2|2|5',
	'slots(): 10 slots, 1 + 2 kept by PostgreSQL, 2 by pg_lifeguard, 5 usable');
my $metrics = $monitor->{h}->query_safe('SELECT lifeguard.metrics()');
like($metrics, qr/^pg_lifeguard_slots_reserved\{for="pg_use_reserved_connections"\} 2$/m,
	'the metrics show reserved_connections');
like($metrics, qr/^pg_lifeguard_slots_usable 5$/m, '... and the 5 usable slots');

my @held;
push @held, LifeguardTest::open_session($node, 'app', 'app') for 1 .. 4;
settle(5, 'the monitor and four application sessions');
is(slots('used_pct || \'|\' || status'), '100.0|critical',
	'the usable slots are all used: 100%, critical');

my $admin_refusal =
  qr/FATAL:  remaining connection slots are reserved for emergency admin access\nDETAIL:  pg_lifeguard keeps 2 connection slots \(lifeguard\.reserved_admin_slots\) free for superusers and members of lifeguard\.admin_roles\./;
$node->connect_fails('dbname=postgres user=app',
	'the next application login is refused by pg_lifeguard',
	expected_stderr => $admin_refusal);
settle(5, 'after the refusal');

# A pg_use_reserved_connections role takes reserved_connections' 2 slots
push @held, LifeguardTest::open_session($node, 'rc', "rc$_") for 1 .. 2;
settle(7, 'a pg_use_reserved_connections role gets the 2 slots of reserved_connections');
$node->connect_fails('dbname=postgres user=rc',
	'a third login of that role is refused: the admin slots are not for it',
	expected_stderr => $admin_refusal);
is( $monitor->{h}->query_safe(
		q{SELECT detail FROM lifeguard.recent_events()
		  WHERE kind = 'login_refused' AND role = 'rc'}),
	'login of role "rc" refused: fewer than 3 free slots remain, kept for emergency admin access',
	'the event says how many slots are kept from it: superuser_reserved_connections + the admin reserve');

# An admin role without pg_use_reserved_connections: pg_lifeguard lets it
# through, PostgreSQL's own check of reserved_connections does not
$node->connect_fails(
	'dbname=postgres user=alice',
	'an admin without pg_use_reserved_connections is refused by PostgreSQL itself',
	expected_stderr =>
	  qr/FATAL:  remaining connection slots are reserved for roles with privileges of the "pg_use_reserved_connections" role/
);
$monitor->{h}->query_safe('GRANT pg_use_reserved_connections TO ops');
$node->connect_ok('dbname=postgres user=alice',
	'with pg_use_reserved_connections granted, the admin gets in');
push @held, LifeguardTest::open_session($node, 'alice', 'ops-1');
settle(8, 'the admin holds an admin slot');
$node->connect_ok('dbname=postgres user=postgres',
	'and a superuser still gets in');

close_sessions(@held, $monitor);
$node->stop;
done_testing();
