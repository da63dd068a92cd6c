# A login stuck in authentication holds a client slot: slots() counts it
# once, as authenticating, whatever the version.  PostgreSQL 15 has no
# status entry for it yet; 18 has one, in state "starting", which
# pg_stat_activity shows.  Counted twice (as a session and as
# authenticating), used would exceed the backends that exist.
#
# The stuck login: a client that sends its startup packet for a role that
# must give a password, then never answers the server's request for it.
use strict;
use warnings;

use IO::Socket::UNIX;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use LifeguardTest;

my $node = start_node('auth', q{
authentication_timeout = '5min'
});
$node->safe_psql('postgres',
	q{CREATE ROLE pw LOGIN PASSWORD 'secret'; CREATE ROLE app LOGIN;});
# pw must authenticate with a password; everyone else is trusted
my $hba = slurp_file($node->data_dir . '/pg_hba.conf');
$node->append_conf('pg_hba.conf.new', "local all pw scram-sha-256\n$hba");
rename($node->data_dir . '/pg_hba.conf.new', $node->data_dir . '/pg_hba.conf')
  or die "could not replace pg_hba.conf: $!";
$node->reload;

my $monitor = LifeguardTest::open_session($node, 'postgres', 'monitor');
my $app = LifeguardTest::open_session($node, 'app', 'app');

sub counts
{
	return $monitor->{h}->query_safe(
		q{SELECT s.used || '|' || s.authenticating || '|'
		         || (SELECT count(*) FROM lifeguard.slot_usage('role')) || '|'
		         || (SELECT coalesce(sum(count), 0) FROM lifeguard.slot_usage('role'))
		    FROM lifeguard.slots() s});
}

ok(poll_session($monitor, q{SELECT used || '|' || authenticating FROM lifeguard.slots()}, '2|0'),
	'the monitor and one application session: 2 used, none authenticating');

# The startup packet (protocol 3.0) for role pw; the server answers with a
# request for its password, which never comes
my $sock = IO::Socket::UNIX->new(
	Type => SOCK_STREAM(),
	Peer => $node->host . '/.s.PGSQL.' . $node->port)
  or die "cannot connect to the server's socket: $!";
my $params = "user\0pw\0database\0postgres\0application_name\0stuck\0\0";
$sock->syswrite(pack('NN', 8 + length($params), 196608) . $params);
my $reply = '';
$sock->sysread($reply, 1);
is($reply, 'R', 'the server asks the stuck login for its password');

ok( poll_session(
		$monitor, q{SELECT used || '|' || authenticating FROM lifeguard.slots()},
		'3|1'),
	'slots(): 3 used, one of them authenticating');
is(counts(), '3|1|2|2',
	'slot_usage() counts the 2 logged-in sessions only: the stuck login is counted once');
like(
	$monitor->{h}->query_safe('SELECT lifeguard.metrics()'),
	qr/^pg_lifeguard_sessions\{state="authenticating"\} 1$/m,
	'the metrics count it once, as authenticating');
my $starting = $monitor->{h}->query_safe(
	q{SELECT count(*) FROM pg_stat_activity WHERE state = 'starting'});
if (pg_major() >= 18)
{
	is($starting, '1', 'PostgreSQL 18 shows it in pg_stat_activity, state starting');
}
else
{
	is($starting, '0', 'PostgreSQL 15 does not show it in pg_stat_activity');
}

close($sock);
ok( poll_session(
		$monitor, q{SELECT used || '|' || authenticating FROM lifeguard.slots()},
		'2|0'),
	'the client gives up: its slot is free again');

close_sessions($monitor, $app);
$node->stop;
done_testing();
