# The login hook must work while there is no shared relcache init file
# (global/pg_internal.init): after initdb, at server start, and whenever an
# invalidation of a shared catalog removes it (autovacuum does).  Then the
# shared catalogs' indexes cannot be opened before the session has chosen its
# database, and a hook that opens pg_database's index refuses every login
# with "cannot read pg_class without having selected a database"; since a
# refused login writes no init file, the lockout lasts until some other
# process writes one.  The hook looks the database up when a policy matches
# on database_name, so one does here.
use strict;
use warnings;

use File::Find;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use LifeguardTest;

my $node = start_node('first_login', '');
$node->safe_psql(
	'postgres', q{
CREATE ROLE app LOGIN;
INSERT INTO lifeguard.policies (name, database_name, max_connections)
VALUES ('per_database', 'postgres', 1000);
});
ok( $node->poll_query_until(
		'postgres',
		q{SELECT connections >= 1 FROM lifeguard.policy_status()
		  WHERE name = 'per_database'}),
	'a policy on database_name is in force, and counts this session');

# Remove every relcache init file while the server runs
my @init_files;
find(sub { push @init_files, $File::Find::name if $_ eq 'pg_internal.init' },
	$node->data_dir);
ok(scalar(@init_files) > 0, 'there were relcache init files');
is(unlink(@init_files), scalar(@init_files), 'all removed');

$node->connect_ok('dbname=postgres user=app',
	'a login right after the init file is gone succeeds',
	sql => 'SELECT current_user', expected_stdout => qr/^app$/);
$node->connect_ok('dbname=postgres',
	'and the next one',
	sql => 'SELECT 1', expected_stdout => qr/^1$/);
ok(!$node->log_contains(qr/cannot read pg_class without having selected a database/),
	'no login was refused for want of a database');
is( $node->safe_psql(
		'postgres',
		q{SELECT count(*) FROM lifeguard.recent_events() WHERE kind = 'cap_refused'}),
	'0',
	'and no login was refused by the policy either');

$node->stop;
done_testing();
