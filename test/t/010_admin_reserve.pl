# Replay of the outage "every slot taken, the operators can't get in".
#
# An application role fills every slot it may use.  pg_lifeguard keeps
# lifeguard.reserved_admin_slots free on top of PostgreSQL's own
# superuser_reserved_connections, so the next application login is refused
# (FATAL, SQLSTATE 53300) while a NON-superuser member of
# lifeguard.admin_roles, and a superuser, still get in every time.  The
# worker records the critical crossing and the way back; the database owner
# keeps its owner privileges with the login hook active (the role-membership
# cache must not be filled in the hook: see src/core/privileges.c); dry_run lets
# the login in and records what it would have refused.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use LifeguardTest;
use Time::HiRes qw(time usleep);

my $t0 = time;

my $node = start_node(
	'reserve', q{
max_connections = 10
superuser_reserved_connections = 1
lifeguard.naptime = 100
lifeguard.reserved_admin_slots = 2
lifeguard.admin_roles = 'dba_team'
# the FATAL line in the server log carries the SQLSTATE
log_error_verbosity = verbose
});

$node->safe_psql(
	'postgres', q{
CREATE ROLE dba_team NOLOGIN;
CREATE ROLE app LOGIN;
CREATE ROLE ops LOGIN NOSUPERUSER IN ROLE dba_team;
CREATE ROLE dbowner LOGIN;
CREATE ROLE adminowner LOGIN NOSUPERUSER IN ROLE dba_team;
});
$node->safe_psql('postgres', 'CREATE DATABASE appdb OWNER dbowner');
$node->safe_psql('postgres', 'CREATE DATABASE admindb OWNER adminowner');

is( $node->safe_psql(
		'postgres', q{SELECT rolsuper FROM pg_roles WHERE rolname = 'ops'}),
	'f',
	'ops is not a superuser');

# A long-lived session: one psql per held slot.



# Sessions of this test's node; polls go through the monitor session.
sub open_session { return LifeguardTest::open_session($node, @_); }

# The superuser session the test watches through, so that it holds one slot
# and its own queries do not add short-lived ones.
my $monitor = open_session('postgres', 'monitor');

sub monitor_poll
{
	my ($sql, $expected) = @_;
	return poll_session($monitor, $sql, $expected,
		q{SELECT * FROM lifeguard.slots()},
		q{SELECT pid, usename, datname, application_name, state, backend_type FROM pg_stat_activity});
}

# Poll through the monitor session until $sql returns $expected (with a
# deadline, like poll_query_until).

sub monitor_query
{
	return $monitor->{h}->query_safe($_[0]);
}

sub slots
{
	return monitor_query(
		"SELECT $_[0] FROM lifeguard.slots()");
}

# Wait for the slots to settle to exactly $n used: backends of earlier short
# connections may still be exiting, and once gone their slots must count as
# free again (PostgreSQL 15 leaves the pid in a freed PGPROC).
sub settle
{
	my ($n, $what) = @_;
	ok(monitor_poll("SELECT used FROM lifeguard.slots()", $n),
		"$what: $n slots used");
}

settle(1, 'only the monitor');
is( slots('max_connections, superuser_reserved_connections, reserved_admin_slots, usable, status'),
	'10|1|2|7|ok',
	'slots(): 10 slots, 1 reserved by PostgreSQL, 2 by pg_lifeguard, 7 usable');

### Without pressure, the database owner has its owner privileges

# The owner of a database is a member of pg_database_owner there, which owns
# schema public; a role-membership cache filled in the login hook, before the
# database is known, loses that (both caches: MEMBER and privileges).
sub owner_sql
{
	return "CREATE TABLE $_[0](x int); "
	  . "SELECT current_user, pg_has_role('pg_database_owner', 'MEMBER'), "
	  . "pg_has_role('pg_database_owner', 'USAGE')";
}

my ($ret, $stdout, $stderr) = $node->psql(
	'appdb', owner_sql('t'),
	connstr => 'dbname=appdb user=dbowner',
	extra_params => ['-w']);
is($ret, 0, 'database owner creates a table in public of its database');
is($stderr, '', 'database owner: no "permission denied for schema public"');
is($stdout, 'dbowner|t|t', 'database owner is a member of pg_database_owner');

### The application fills every slot it may use

settle(1, 'before filling');
my @app;
while (slots('used') < 7)
{
	push @app, open_session('app', 'app-server');
}
is(scalar(@app), 6, 'six application sessions + the monitor hold the 7 usable slots');
is(slots('used, usable, free, used_pct, status'),
	'7|7|3|100.0|critical',
	'slots(): 7 of 7 usable slots used, status critical');
is( monitor_query(
		q{SELECT count, idle FROM lifeguard.slot_usage('role') WHERE key = 'app'}),
	'6|6',
	'slot_usage(role): the six application sessions, idle');

# Without pg_lifeguard this login would get in: it takes the 8th PGPROC and
# 2 remain, more than PostgreSQL's superuser_reserved_connections = 1.
# The server log says it too (checked here, not with connect_fails'
# log_like, which from PostgreSQL 18 on needs log_min_messages = debug2)
my $refusal_log = -s $node->logfile;
$node->connect_fails(
	'dbname=postgres user=app application_name=app-server',
	'the next application login is refused',
	expected_stderr =>
	  qr/FATAL:  remaining connection slots are reserved for emergency admin access\nDETAIL:  pg_lifeguard keeps 2 connection slots \(lifeguard\.reserved_admin_slots\) free for superusers and members of lifeguard\.admin_roles\./);
ok($node->wait_for_log(qr/FATAL:  53300: remaining connection slots are reserved for emergency admin access/, $refusal_log),
	'the next application login is refused: the server log says so');
settle(7, 'after the refusal');

# The non-superuser admin gets in, every time.
my $ops_ok = 0;
for my $i (1 .. 10)
{
	my ($r, $out, $err) = $node->psql(
		'postgres', 'SELECT current_user, pg_has_role(\'dba_team\', \'MEMBER\')',
		connstr => 'dbname=postgres user=ops application_name=ops-console',
		extra_params => ['-w']);
	$ops_ok++ if $r == 0 && $out eq 'ops|t' && $err eq '';
	diag "ops login $i failed: $err" unless $r == 0;
	# wait for the slot to be free again before the next attempt
	monitor_poll("SELECT used FROM lifeguard.slots()", 7);
}
is($ops_ok, 10, 'the non-superuser admin (member of dba_team) logs in 10 times out of 10');

$node->connect_ok('dbname=postgres application_name=dba-psql',
	'a superuser logs in too',
	sql => 'SELECT 1', expected_stdout => qr/^1$/);
settle(7, 'after the superuser login');

# The database owner that is an admin keeps its owner privileges under
# pressure, when the hook does look at role membership.
($ret, $stdout, $stderr) = $node->psql(
	'admindb', owner_sql('t'),
	connstr => 'dbname=admindb user=adminowner',
	extra_params => ['-w']);
is($ret, 0, 'under pressure, the admin database owner creates a table in public');
is($stderr, '', 'under pressure: no "permission denied for schema public"');
is($stdout, 'adminowner|t|t',
	'under pressure: the admin owner is a member of pg_database_owner');
settle(7, 'after the admin owner');

# The database owner that is not an admin is an ordinary role here.
$node->connect_fails(
	'dbname=appdb user=dbowner',
	'under pressure, a database owner that is not an admin is refused',
	expected_stderr =>
	  qr/remaining connection slots are reserved for emergency admin access/);
settle(7, 'after the refused owner');

### The worker and the event ring tell what happened

ok( monitor_poll(
		q{SELECT count(*) > 0 FROM lifeguard.recent_events() WHERE kind = 'slot_critical' AND severity = 'critical'}
	),
	'the worker records the crossing of slot_critical');
like(
	monitor_query(
		q{SELECT detail FROM lifeguard.recent_events() WHERE kind = 'slot_critical' ORDER BY seq DESC LIMIT 1}
	),
	qr/^slot usage 1\d\d\.\d% \([78] of 7 usable slots, [23] free in all\) reached lifeguard\.slot_critical \(95%\)$/,
	'slot_critical event says how many slots are used');
is( monitor_query(
		q{SELECT severity, database, application_name, action FROM lifeguard.recent_events()
		  WHERE kind = 'login_refused' AND role = 'app'}
	),
	'warning|postgres|app-server|refuse',
	'the refused application login is an event');
like(
	monitor_query(
		q{SELECT detail FROM lifeguard.recent_events() WHERE kind = 'login_refused' AND role = 'app'}
	),
	qr/login of role "app" refused: fewer than 3 free slots remain/,
	'login_refused event says why');
is( monitor_query(
		q{SELECT count(*) FROM lifeguard.recent_events() WHERE kind = 'login_refused' AND role IN ('ops', 'postgres', 'adminowner')}
	),
	'0',
	'no refusal event for the admins');
ok( monitor_poll(
		q{SELECT count(*) > 0 FROM lifeguard.slot_history('5 minutes') WHERE status = 'critical' AND used >= 7}
	),
	'slot_history() keeps the critical samples');

my $critical_seq = monitor_query(
	q{SELECT max(seq) FROM lifeguard.recent_events() WHERE kind = 'slot_critical'});

### The application lets go: back to ok

close_sessions(@app);
@app = ();
settle(1, 'application sessions gone');
ok( monitor_poll(
		qq{SELECT count(*) > 0 FROM lifeguard.recent_events() WHERE kind = 'slot_ok' AND seq > $critical_seq}
	),
	'the worker records the way back under slot_warning');
is(slots('status'), 'ok', 'slots() status ok again');

($ret, $stdout, $stderr) = $node->psql(
	'appdb', owner_sql('t2'),
	connstr => 'dbname=appdb user=dbowner',
	extra_params => ['-w']);
is($ret, 0, 'after the incident the database owner still creates tables');
is($stderr, '', 'no "permission denied for schema public"');
is($stdout, 'dbowner|t|t', 'still a member of pg_database_owner');

### dry_run: the login goes through, the refusal it would have been is recorded

ok(worker_setting($node, $monitor, 'dry_run', 'on'),
	'dry_run is in force');
my $before_dry = monitor_query('SELECT coalesce(max(seq), 0) FROM lifeguard.recent_events()');

settle(1, 'before filling again');
while (slots('used') < 7)
{
	push @app, open_session('app', 'app-server');
}
is(scalar(@app), 6, 'filled again');
$node->connect_ok(
	'dbname=postgres user=app application_name=app-dry',
	'with dry_run the application login that would be refused succeeds',
	sql => 'SELECT current_user', expected_stdout => qr/^app$/);
ok( monitor_poll(
		qq{SELECT count(*) > 0 FROM lifeguard.recent_events()
		   WHERE seq > $before_dry AND kind = 'login_refused' AND role = 'app'
		     AND application_name = 'app-dry' AND action = 'would_refuse'}
	),
	'the refusal that would have happened is recorded as would_refuse');
is( monitor_query(
		qq{SELECT count(*) FROM lifeguard.recent_events()
		   WHERE seq > $before_dry AND kind = 'login_refused' AND action = 'refuse'}
	),
	'0',
	'nothing is recorded as refused in dry_run');

ok(worker_setting($node, $monitor, 'dry_run', 'off'),
	'dry_run is off again');
settle(7, 'filled');
$node->connect_fails(
	'dbname=postgres user=app application_name=app-server',
	'with dry_run off the application login is refused again',
	expected_stderr =>
	  qr/remaining connection slots are reserved for emergency admin access/);

close_sessions(@app, $monitor);
$node->stop;

note sprintf('010_admin_reserve took %.1f s', time - $t0);
done_testing();
