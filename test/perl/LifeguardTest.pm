# Helpers shared by pg_lifeguard's TAP scenarios (test/t/*.pl).
#
# Sessions that hold a client slot for as long as a test needs it, and
# polling with a deadline through a session of the test's choosing (so the
# poll's own connections do not change the slot counts being watched).
package LifeguardTest;

use strict;
use warnings;

use Exporter 'import';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

our @EXPORT = qw(start_node close_sessions poll_session worker_setting
  extension_installed pg_cron_conf pg_major partman_major partman_daily_sql);

# The extension directory of the PostgreSQL under test (the pg_config
# first in PATH, as PGXS's prove_installcheck sets it)
sub extension_dir
{
	my $sharedir = `pg_config --sharedir`;
	chomp $sharedir;
	return "$sharedir/extension";
}

# extension_installed($name): is extension $name installed for the
# PostgreSQL under test?  For the components not every version has here:
# pg_cron is not built for 18, whose source package is not served.
sub extension_installed
{
	my ($name) = @_;
	return -f extension_dir() . "/$name.control";
}

# pg_cron_conf(): the postgresql.conf lines that preload pg_cron beside
# pg_lifeguard, with its jobs in "postgres"; empty where pg_cron is not
# installed.
sub pg_cron_conf
{
	return '' unless extension_installed('pg_cron');
	return "shared_preload_libraries = 'pg_lifeguard, pg_cron'\n"
	  . "cron.database_name = 'postgres'\n";
}

# partman_major(): the major version of the pg_partman installed for the
# PostgreSQL under test (4 on 15, from Debian's package; 5 on 18, built from
# Debian's source package), 0 if none.
sub partman_major
{
	my $file = extension_dir() . '/pg_partman.control';
	return 0 unless -f $file;
	my ($major) = slurp_file($file) =~ /default_version\s*=\s*'(\d+)/;
	return $major // 0;
}

# partman_daily_sql($table, $column, $premake): the call of pg_partman's
# create_parent() that makes $table a daily, natively partitioned set with
# $premake partitions made ahead, in the form of the pg_partman installed
# (4: type 'native' and interval 'daily'; 5: always native, the interval
# an interval).  pg_partman lives in schema partman.
sub partman_daily_sql
{
	my ($table, $column, $premake) = @_;
	return partman_major() >= 5
	  ? "partman.create_parent('$table', '$column', '1 day', p_premake := $premake)"
	  : "partman.create_parent('$table', '$column', 'native', 'daily', p_premake := $premake)";
}

# pg_major(): the major version of the PostgreSQL under test (15, 18).
sub pg_major
{
	my $v = `pg_config --version`;
	return $v =~ /PostgreSQL (\d+)/ ? $1 : 0;
}

# A held session outlives any single poll
my $session_timeout = 10 * $PostgreSQL::Test::Utils::timeout_default;

# start_node($name, $conf, initdb => [...]): a started cluster with
# pg_lifeguard preloaded, its worker in "postgres", the extension created
# there and the worker running.  $conf is appended to postgresql.conf after
# the defaults, so it may override them; "initdb" lists extra initdb
# options (an encoding, say).
sub start_node
{
	my ($name, $conf, %params) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(extra => $params{initdb} // []);
	$node->append_conf(
		'postgresql.conf', qq{
shared_preload_libraries = 'pg_lifeguard'
lifeguard.database = 'postgres'
lifeguard.naptime = 100
$conf
});
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION pg_lifeguard');
	ok( $node->poll_query_until(
			'postgres',
			"SELECT state = 'running' AND ticks > 2 FROM lifeguard.worker_status()"),
		"$name: the worker runs");
	return $node;
}

# open_session($node, $user, $appname, db => ..., on_error_stop => ...):
# a long-lived psql session as $user with that application_name.  Returns
# { h => the BackgroundPsql handle, pid => its backend pid, app => $appname }.
sub open_session
{
	my ($node, $user, $appname, %params) = @_;
	local $ENV{PGUSER} = $user;
	local $ENV{PGAPPNAME} = $appname;
	my $s = $node->background_psql(
		$params{db} // 'postgres',
		timeout => $session_timeout,
		on_error_stop => $params{on_error_stop} // 1);
	my $pid = $s->query_safe('SELECT pg_backend_pid()');
	return { h => $s, pid => $pid, app => $appname };
}

sub close_sessions
{
	$_->{h}->quit foreach @_;
	return;
}

# poll_session($session, $sql, $expected, @diagnostics): run $sql through
# $session until it returns $expected ('t' by default), for at most
# PG_TEST_TIMEOUT_DEFAULT seconds.  On timeout, print the result of each
# diagnostic query and return 0.
sub poll_session
{
	my ($session, $sql, $expected, @diagnostics) = @_;
	$expected //= 't';
	my $deadline = time + $PostgreSQL::Test::Utils::timeout_default;
	my $got;
	while (time < $deadline)
	{
		$got = $session->{h}->query_safe($sql);
		return 1 if $got eq $expected;
		usleep(50_000);
	}
	diag "poll timed out: $sql\nexpected: $expected\nlast: $got";
	diag "$_:\n" . $session->{h}->query_safe($_) foreach @diagnostics;
	return 0;
}

# worker_setting($node, $session, $name, $value): set lifeguard.$name in
# postgresql.conf, reload, and wait (through $session) until the worker has
# it in force.  Returns whether it did in time.
sub worker_setting
{
	my ($node, $session, $name, $value) = @_;
	$node->append_conf('postgresql.conf', "lifeguard.$name = $value\n");
	$node->reload;
	return poll_session($session,
		qq{SELECT settings->>'$name' FROM lifeguard.worker_status()}, $value);
}

1;
