# Without shared_preload_libraries, CREATE EXTENSION pg_lifeguard fails with a
# clear error that names the setting, and leaves nothing behind.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('nopreload');
$node->init;
$node->start;

my ($ret, $stdout, $stderr) =
  $node->psql('postgres', 'CREATE EXTENSION pg_lifeguard');
isnt($ret, 0, 'CREATE EXTENSION fails without preload');
like(
	$stderr,
	qr/ERROR:  pg_lifeguard must be loaded via shared_preload_libraries/,
	'error says why');
like(
	$stderr,
	qr/HINT:  Add pg_lifeguard to shared_preload_libraries in postgresql.conf and restart the server\./,
	'hint names the setting');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM pg_extension WHERE extname = 'pg_lifeguard'"),
	'0',
	'no extension left behind');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM pg_namespace WHERE nspname = 'lifeguard'"),
	'0',
	'no schema left behind');

# LOAD is refused the same way
($ret, $stdout, $stderr) = $node->psql('postgres', "LOAD 'pg_lifeguard'");
like(
	$stderr,
	qr/must be loaded via shared_preload_libraries/,
	'LOAD outside preload is refused too');

# With the setting, it works
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'pg_lifeguard'\n");
$node->restart;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_lifeguard');
ok( $node->poll_query_until(
		'postgres', "SELECT state = 'running' FROM lifeguard.worker_status()"),
	'with preload, the extension is created and the worker runs');

$node->stop;
done_testing();
