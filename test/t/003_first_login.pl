# The login hook must work before any backend has written the relcache init
# file (right after initdb, or after a crash).  Until then the shared
# catalogs' indexes cannot be opened before the session has chosen its
# database, and a hook that opens one refuses every login with "cannot read
# pg_class without having selected a database".  Normally the worker's own
# connection writes the file first; here it cannot connect (its database does
# not exist), so the first client logins are the first backends.
use strict;
use warnings;

use File::Find;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('first_login');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'pg_lifeguard'
lifeguard.database = 'no_such_database'
lifeguard.naptime = 100
});

# No relcache init file anywhere
my @init_files;
find(sub { push @init_files, $File::Find::name if $_ eq 'pg_internal.init' },
	$node->data_dir);
unlink @init_files;
find(sub { fail("left behind: $File::Find::name") if $_ eq 'pg_internal.init' },
	$node->data_dir);

$node->start;
ok( $node->wait_for_log(
		qr/FATAL:  database "no_such_database" does not exist/),
	'the worker cannot connect, so it writes no relcache init file');

$node->connect_ok('dbname=postgres', 'first login after initdb succeeds',
	sql => 'SELECT 1', expected_stdout => qr/^1$/);
$node->safe_psql('postgres', 'CREATE ROLE app LOGIN');
$node->connect_ok('dbname=postgres user=app',
	'a plain role logs in too',
	sql => 'SELECT current_user', expected_stdout => qr/^app$/);
ok(!$node->log_contains(qr/cannot read pg_class without having selected a database/),
	'no login was refused for want of a database');

$node->stop;
done_testing();
