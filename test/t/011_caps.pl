# Per-class connection caps: a lifeguard.policies row caps the sessions whose
# application_name matches, at login, with a clear FATAL (SQLSTATE 53300).
# Simultaneous logins never overshoot the cap, a policy change takes effect
# without a restart, superusers and admins are not refused by a policy that
# does not name their role, and every refusal is reported.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use LifeguardTest;
use IPC::Run;
use Time::HiRes qw(time usleep);

my $t0 = time;

my $node = start_node(
	'caps', q{
max_connections = 30
lifeguard.naptime = 200
lifeguard.admin_roles = 'dba_team'
# the FATAL line in the server log carries the SQLSTATE
log_error_verbosity = verbose
});

$node->safe_psql(
	'postgres', q{
CREATE ROLE app LOGIN;
CREATE ROLE dba_team NOLOGIN;
CREATE ROLE ops LOGIN NOSUPERUSER IN ROLE dba_team;
CREATE TABLE burst(pid int, started timestamptz DEFAULT clock_timestamp(), ended timestamptz);
GRANT SELECT, INSERT, UPDATE ON burst TO app;
});


# One long-lived session (psql reading from a pipe) per held slot.


# Sessions of this test's node; polls go through the monitor session.
sub open_session { return LifeguardTest::open_session($node, @_); }

# The superuser session the test watches through (its application_name
# matches no policy).
my $monitor = open_session('postgres', 'monitor');

sub monitor_poll
{
	my ($sql, $expected, @diagnostics) = @_;
	return poll_session($monitor, $sql, $expected, @diagnostics,
		q{SELECT * FROM lifeguard.policy_status()},
		q{SELECT pid, usename, application_name, state FROM pg_stat_activity WHERE backend_type = 'client backend'});
}

sub monitor_query
{
	return $monitor->{h}->query_safe($_[0]);
}


my $status_sql = q{SELECT application_name, max_connections, connections
	FROM lifeguard.policy_status() WHERE name = 'billing_cap'};

sub cap_connections
{
	return monitor_query(
		q{SELECT connections FROM lifeguard.policy_status() WHERE name = 'billing_cap'}
	);
}

my $refused =
  qr/FATAL:  too many connections for pg_lifeguard policy "billing_cap"/;

### The policy is published by the worker

monitor_query(
	q{INSERT INTO lifeguard.policies(name, application_name, max_connections)
	  VALUES ('billing_cap', 'billing%', 3)});
ok(monitor_poll($status_sql, 'billing%|3|0'),
	'the worker publishes the policy: policy_status() shows it, no session yet');

### Three billing sessions are allowed, the fourth is refused

my @billing = map { open_session('app', 'billing-worker') } 1 .. 3;
is(cap_connections(), '3', 'policy_status(): 3 connections counted');

# The server log says it too (checked here, not with connect_fails'
# log_like, which from PostgreSQL 18 on needs log_min_messages = debug2)
my $refusal_log = -s $node->logfile;
$node->connect_fails(
	'dbname=postgres user=app application_name=billing-api',
	'a fourth billing login is refused',
	expected_stderr =>
	  qr/$refused\nDETAIL:  The policy allows 3 connections and all are in use\./);
ok($node->wait_for_log(qr/FATAL:  53300: too many connections for pg_lifeguard policy "billing_cap"/, $refusal_log),
	'a fourth billing login is refused: the server log says so');
ok(monitor_poll(
		q{SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'billing%'},
		'3'),
	'still three billing sessions');
is(cap_connections(), '3', 'the refused login is not counted');

$node->connect_ok('dbname=postgres user=app application_name=reports',
	'a login of another application is not capped',
	sql => 'SELECT current_setting($$application_name$$)',
	expected_stdout => qr/^reports$/);
$node->connect_ok('dbname=postgres user=app application_name=my-billing',
	'the pattern is anchored: my-billing does not match billing%',
	sql => 'SELECT 1');

# Superusers and admins are not refused by a policy that names no role.
$node->connect_ok(
	'dbname=postgres application_name=billing-admin',
	'a superuser with a capped application_name is not refused',
	sql => 'SELECT current_setting($$application_name$$)',
	expected_stdout => qr/^billing-admin$/);
$node->connect_ok(
	'dbname=postgres user=ops application_name=billing-admin',
	'a non-superuser admin (member of dba_team) is not refused',
	sql => 'SELECT current_user', expected_stdout => qr/^ops$/);
ok(monitor_poll(
		q{SELECT connections FROM lifeguard.policy_status() WHERE name = 'billing_cap'},
		'3'),
	'the admins\' sessions are uncounted when they end');

### A burst of simultaneous logins never overshoots the cap

close_sessions(@billing);
@billing = ();
ok(monitor_poll(
		q{SELECT connections FROM lifeguard.policy_status() WHERE name = 'billing_cap'},
		'0'),
	'sessions are uncounted when they end');

my $burst_seq = monitor_query('SELECT max(seq) FROM lifeguard.recent_events()');

my $burst_size = 12;
my $log_offset = -s $node->logfile;
my $connstr =
  $node->connstr('postgres') . ' user=app application_name=billing-burst';
my @burst;
foreach my $i (1 .. $burst_size)
{
	my $rec = { out => '', err => '' };
	$rec->{h} = IPC::Run::start(
		[
			'psql', '-XAtqw', '-d', $connstr,
			'-c', 'INSERT INTO burst(pid) VALUES (pg_backend_pid())',
			'-c', 'SELECT pg_sleep(3)',
			'-c',
			'UPDATE burst SET ended = clock_timestamp() WHERE pid = pg_backend_pid()'
		],
		'<', \'', '>', \$rec->{out}, '2>', \$rec->{err},
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	push @burst, $rec;
}

# Watch while they run: never more than 3 counted, never more than 3 in.
my ($max_counted, $max_seen, $samples) = (0, 0, 0);
my $deadline = time + $PostgreSQL::Test::Utils::timeout_default;
while (time < $deadline)
{
	my @running = grep { $_->{h}->pumpable } @burst;
	my ($counted, $seen) = split /\|/,
	  monitor_query(
		q{SELECT (SELECT connections FROM lifeguard.policy_status() WHERE name = 'billing_cap'),
		         (SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'billing%')});
	$samples++;
	$max_counted = $counted if $counted > $max_counted;
	$max_seen = $seen if $seen > $max_seen;
	last unless @running;
	$_->{h}->pump_nb foreach @running;
	usleep(20_000);
}
my $succeeded = 0;
my $refused_ok = 0;
foreach my $rec (@burst)
{
	if ($rec->{h}->finish)
	{
		$succeeded++;
	}
	elsif ($rec->{err} =~ $refused)
	{
		$refused_ok++;
	}
	else
	{
		diag "burst login failed otherwise: $rec->{err}";
	}
}
note "burst: $succeeded in, $refused_ok refused, $samples samples, "
  . "at most $max_counted counted, $max_seen seen";
cmp_ok($max_counted, '<=', 3,
	'burst: policy_status() never counted more than 3');
cmp_ok($max_seen, '<=', 3,
	'burst: pg_stat_activity never showed more than 3 billing sessions');
cmp_ok($succeeded, '<=', 3, 'burst: at most 3 of the 12 logins got in');
cmp_ok($succeeded, '>=', 1, 'burst: some got in');
is($refused_ok, $burst_size - $succeeded,
	'burst: every other login was refused by the cap');
is($node->safe_psql('postgres', 'SELECT count(*) FROM burst'),
	$succeeded, 'burst: each session that got in recorded itself');
# No two intervals [started, ended] overlap more than 3 at once
is( $node->safe_psql(
		'postgres',
		q{SELECT coalesce(max((SELECT count(*) FROM burst b
		                       WHERE b.started <= a.started AND b.ended > a.started)), 0) <= 3
		  FROM burst a}),
	't',
	'burst: never more than 3 sessions at once');

my @refusal_lines =
  grep { /FATAL:  53300: too many connections for pg_lifeguard policy "billing_cap"/ }
  split /\n/,
  substr(slurp_file($node->logfile), $log_offset);
is(scalar(@refusal_lines), $burst_size - $succeeded,
	'burst: each refusal is a FATAL with SQLSTATE 53300 in the server log');
ok( monitor_poll(
		qq{SELECT count(*) > 0 FROM lifeguard.recent_events()
		   WHERE kind = 'cap_refused' AND application_name = 'billing-burst'
		     AND seq > $burst_seq}),
	'burst: the refusals are reported as cap_refused events');

# Refusals since the burst, as the events tell them: one per recorded event,
# plus what the event rate limit held back and summarised ("N earlier events
# of this kind, policy and role were held back").  The burst stays within
# lifeguard.event_burst, so today every refusal is recorded; the count holds
# either way.
my $refusals_reported = qq{SELECT coalesce(sum(CASE
		WHEN detail ~ '^[0-9]+ earlier events? of this kind'
		THEN substring(detail FROM '^([0-9]+)')::int
		ELSE 1 END), 0)
	FROM lifeguard.recent_events() WHERE kind = 'cap_refused' AND seq > $burst_seq};
ok(monitor_poll($refusals_reported, $burst_size - $succeeded),
	'burst: every refusal is reported, without waiting for a later one');
ok(monitor_poll(
		q{SELECT connections FROM lifeguard.policy_status() WHERE name = 'billing_cap'},
		'0'),
	'burst: no session left counted afterwards');

### A policy change takes effect without a restart

@billing = map { open_session('app', 'billing-worker') } 1 .. 3;
is(cap_connections(), '3', 'three billing sessions again');
monitor_query(
	q{UPDATE lifeguard.policies SET max_connections = 5 WHERE name = 'billing_cap'});
ok(monitor_poll($status_sql, 'billing%|5|3'),
	'the new cap is in force, and the sessions already there are counted');
push @billing, map { open_session('app', 'billing-worker') } 1 .. 2;
is(cap_connections(), '5', 'five billing sessions held');
$node->connect_fails(
	'dbname=postgres user=app application_name=billing-api',
	'the sixth billing login is refused',
	expected_stderr =>
	  qr/$refused\nDETAIL:  The policy allows 5 connections and all are in use\./
);
# Every refusal since the burst is accounted for: recorded, or counted into
# a summary of what the rate limit held back.
ok( monitor_poll(
		qq{SELECT count(*) > 0 FROM lifeguard.recent_events()
		   WHERE kind = 'cap_refused' AND application_name = 'billing-api'
		     AND seq > $burst_seq}),
	'the sixth login\'s refusal is recorded');
ok(monitor_poll($refusals_reported, $refused_ok + 1),
	'every refusal since the burst is reported, the sixth login\'s too');
$node->connect_ok(
	'dbname=postgres application_name=billing-admin',
	'a superuser is still not refused with the cap full',
	sql => 'SELECT 1');

monitor_query(q{DELETE FROM lifeguard.policies WHERE name = 'billing_cap'});
ok( monitor_poll('SELECT count(*) FROM lifeguard.policy_status()', '0'),
	'the deleted policy is no longer in force');
$node->connect_ok(
	'dbname=postgres user=app application_name=billing-api',
	'the sixth billing login gets in once the policy is gone',
	sql => 'SELECT current_user', expected_stdout => qr/^app$/);

### Events

is( monitor_query(
		q{SELECT count(*) > 0, bool_and(role = 'app'), bool_and(action = 'refuse'),
		         bool_and(severity = 'warning'), bool_and(database = 'postgres')
		  FROM lifeguard.recent_events()
		  WHERE kind = 'cap_refused' AND policy = 'billing_cap'}),
	't|t|t|t|t',
	'cap_refused events name the policy, the role, the database, the action');
like(
	monitor_query(
		q{SELECT detail FROM lifeguard.recent_events()
		  WHERE kind = 'cap_refused' AND policy = 'billing_cap' ORDER BY seq LIMIT 1}),
	qr/^login of role "app" refused: policy "billing_cap" allows 3 connections and 3 are in use/,
	'cap_refused event says why');
is( monitor_query(
		q{SELECT count(*) FROM lifeguard.recent_events()
		  WHERE kind = 'cap_refused' AND role IN ('postgres', 'ops')}),
	'0',
	'no refusal of the superuser or the admin');

### A policy that names the admin's role applies to it

monitor_query(
	q{INSERT INTO lifeguard.policies(name, role_name, max_connections)
	  VALUES ('ops_none', 'ops', 0)});
ok( monitor_poll(
		q{SELECT max_connections FROM lifeguard.policy_status() WHERE name = 'ops_none'},
		'0'),
	'policy naming role ops is in force');
$node->connect_fails(
	'dbname=postgres user=ops',
	'an admin is refused by a policy that names its role',
	expected_stderr =>
	  qr/FATAL:  too many connections for pg_lifeguard policy "ops_none"/);

### A policy on a database caps that database only

monitor_query('CREATE DATABASE capdb');
monitor_query(
	q{INSERT INTO lifeguard.policies(name, database_name, max_connections)
	  VALUES ('capdb_one', 'capdb', 1)});
ok( monitor_poll(
		q{SELECT max_connections || ':' || coalesce(problem, 'ok')
		  FROM lifeguard.policy_status() WHERE name = 'capdb_one'},
		'1:ok'),
	'policy on database capdb is in force');
my $in_capdb = open_session('app', 'capdb-user', db => 'capdb');
is( monitor_query(
		q{SELECT connections FROM lifeguard.policy_status() WHERE name = 'capdb_one'}),
	'1',
	'the session in capdb is counted');
$node->connect_fails(
	'dbname=capdb user=app',
	'a second login to capdb is refused',
	expected_stderr =>
	  qr/FATAL:  too many connections for pg_lifeguard policy "capdb_one"/);
$node->connect_ok(
	'dbname=postgres user=app',
	'a login to another database is not',
	sql => 'SELECT current_database()', expected_stdout => qr/^postgres$/);
close_sessions($in_capdb);
ok( monitor_poll(
		q{SELECT connections FROM lifeguard.policy_status() WHERE name = 'capdb_one'},
		'0'),
	'the session is uncounted when it leaves');

### dry_run: the login that would be refused gets in, and the event says so

ok(worker_setting($node, $monitor, 'dry_run', 'on'), 'dry_run is in force');

# Refusals are rate-limited per kind, policy and role (lifeguard.event_burst),
# not per kind: a run of refusals under one policy never hides, nor delays,
# the first refusal under another, however close together they come.  Three
# logins capdb_one would refuse, then at once the one ops_none would.
my $dry_seq = monitor_query('SELECT max(seq) FROM lifeguard.recent_events()');
$in_capdb = open_session('app', 'capdb-user', db => 'capdb');
$node->connect_ok(
	'dbname=capdb user=app',
	"with dry_run, capdb_one's login $_ of 3 over the cap gets in",
	sql => 'SELECT 1') foreach 1 .. 3;
$node->connect_ok(
	'dbname=postgres user=ops',
	'with dry_run, the login the cap would refuse gets in',
	sql => 'SELECT current_user', expected_stdout => qr/^ops$/);
ok( monitor_poll(
		qq{SELECT count(*) = 1 FROM lifeguard.recent_events()
		  WHERE kind = 'cap_refused' AND policy = 'ops_none'
		    AND action = 'would_refuse' AND role = 'ops' AND seq > $dry_seq},
		't',
		qq{SELECT seq, policy, role, action, detail FROM lifeguard.recent_events()
		   WHERE kind = 'cap_refused' AND seq > $dry_seq}),
	'and a cap_refused event says it would have been refused, right after capdb_one\'s');
is( monitor_query(
		qq{SELECT count(*) FROM lifeguard.recent_events()
		   WHERE kind = 'cap_refused' AND policy = 'capdb_one'
		     AND action = 'would_refuse' AND role = 'app' AND seq > $dry_seq}),
	'3',
	'each of the three capdb_one logins is recorded in full');
close_sessions($in_capdb);
ok(worker_setting($node, $monitor, 'dry_run', 'off'), 'dry_run is off again');
$node->connect_fails(
	'dbname=postgres user=ops',
	'without dry_run, it is refused again',
	expected_stderr =>
	  qr/FATAL:  too many connections for pg_lifeguard policy "ops_none"/);

close_sessions(@billing, $monitor);
$node->stop;

note sprintf('011_caps took %.1f s', time - $t0);
done_testing();
