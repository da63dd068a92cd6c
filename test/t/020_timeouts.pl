# Time limits by policy, enforced by the worker whatever the session set.
# statement_timeout cancels a statement even after SET statement_timeout = 0:
# the client gets SQLSTATE 57014 with an error naming pg_lifeguard, the
# policy and the limit, and its session stays usable.
# idle_in_transaction_timeout terminates, with a FATAL naming the policy.
# lock_wait_timeout cancels a waiting ALTER TABLE, leaves the lock holder
# alone, and the reader queued behind the ALTER proceeds.  dry_run reports
# an offence once and touches nothing.  A policy that does not name their
# role leaves superusers and members of lifeguard.admin_roles alone; one
# naming the superuser's role applies to it.  blocking_timeout cancels the
# blocker; when the cancel aborts its transaction, releasing the locks, that
# is all, and when it only rolls back to a savepoint, keeping them, the
# worker escalates to a termination.  transaction_timeout likewise: a
# cancel, then a termination when the transaction stays open.  Each action
# is one event naming the policy and saying why.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use LifeguardTest;
use Time::HiRes qw(time);

my $t0 = time;

my $node = start_node(
	'timeouts', q{
max_connections = 40
lifeguard.admin_roles = 'ops'
});
$node->safe_psql(
	'postgres', q{
CREATE ROLE app LOGIN;
CREATE ROLE idler LOGIN;
CREATE ROLE holder LOGIN;
CREATE ROLE ddl LOGIN;
CREATE ROLE reader LOGIN;
CREATE ROLE dry LOGIN;
CREATE ROLE ops NOLOGIN;
CREATE ROLE alice LOGIN IN ROLE ops;
CREATE ROLE plain LOGIN;
CREATE ROLE maint LOGIN;
CREATE ROLE reporter LOGIN;
CREATE ROLE txn LOGIN;
CREATE TABLE t(a int);
ALTER TABLE t OWNER TO ddl;
GRANT SELECT ON t TO holder, reader;
CREATE TABLE hot(a int);
INSERT INTO hot VALUES (1), (2), (3);
ALTER TABLE hot OWNER TO maint;
GRANT SELECT ON hot TO reporter;
});

# Sessions go on after an error: the test reads it from the handle
sub open_session { return LifeguardTest::open_session($node, @_, on_error_stop => 0); }

# The superuser session everything is watched through
my $monitor = open_session('postgres', 'monitor');

sub monitor_query
{
	return $monitor->{h}->query_safe($_[0]);
}

sub monitor_poll
{
	my ($sql, $expected) = @_;
	return poll_session($monitor, $sql, $expected,
		q{SELECT name, role_name, database_name, statement_timeout, lock_wait_timeout,
		         idle_in_transaction_timeout, transaction_timeout, blocking_timeout, action
		  FROM lifeguard.policy_status()},
		q{SELECT pid, usename, application_name, state, wait_event_type, now() - query_start, query
		  FROM pg_stat_activity WHERE backend_type = 'client backend'},
		q{SELECT seq, kind, pid, role, policy, action, detail FROM lifeguard.recent_events()
		  WHERE kind LIKE '%_timeout'});
}

# Insert a policy and wait until the worker has published it
sub add_policy
{
	my ($name, $columns, $values) = @_;
	monitor_query("INSERT INTO lifeguard.policies (name, $columns) VALUES ('$name', $values)");
	return monitor_poll(
		"SELECT count(*) FROM lifeguard.policy_status() WHERE name = '$name'", '1');
}

# Delete policies and wait until the worker no longer has them
sub drop_policies
{
	my $list = join(',', map { "'$_'" } @_);
	monitor_query("DELETE FROM lifeguard.policies WHERE name IN ($list)");
	return monitor_poll(
		"SELECT count(*) FROM lifeguard.policy_status() WHERE name IN ($list)", '0');
}

# The timeout events about a session, oldest first, as "kind:policy:action"
# joined by commas
sub events_sql
{
	my ($s) = @_;
	return qq{SELECT coalesce(string_agg(kind || ':' || policy || ':' || action, ',' ORDER BY seq), '')
		FROM lifeguard.recent_events() WHERE pid = $s->{pid} AND kind LIKE '%_timeout'};
}

sub events_of
{
	return monitor_query(events_sql($_[0]));
}

# Wait until the session's events are these.  The worker records an event
# right after the signal: the client may see its error, and pg_stat_activity
# the session gone, a moment before.
sub events_are
{
	my ($s, $expected) = @_;
	return monitor_poll(events_sql($s), $expected);
}

# A statement sent without waiting for it: its output comes later
sub start_query
{
	my ($s, $sql) = @_;
	$s->{h}->query_until(qr/started/, "\\echo started\n$sql\n");
	return;
}

# Run $sql in the session; returns what psql wrote to stdout, then what it
# wrote to stderr since the last look: an error, or the loss of the
# connection, shows in the result rather than ending the test.
sub run_sql
{
	my ($s, $sql) = @_;
	my $out = eval { scalar $s->{h}->query($sql) } // '';
	my $err = $s->{h}->{stderr};
	$s->{h}->{stderr} = '';
	return $out . $err;
}

# Wait for the statement sent by start_query to end, then return what it
# wrote, followed by "1" (a SELECT 1 run after it), as run_sql does.  One
# still running past the poll's deadline is cancelled, so that a failing
# test fails rather than hangs.
sub finish_query
{
	my ($s) = @_;
	monitor_query("SELECT pg_cancel_backend($s->{pid})")
	  unless monitor_poll(
		"SELECT count(*) FROM pg_stat_activity WHERE pid = $s->{pid} AND state = 'active'",
		'0');
	return run_sql($s, 'SELECT 1');
}

# Let the worker run n more ticks
sub wait_ticks
{
	my ($n) = @_;
	my $ticks = monitor_query('SELECT ticks FROM lifeguard.worker_status()');
	return monitor_poll(
		"SELECT ticks >= $ticks + $n FROM lifeguard.worker_status()");
}

sub alive
{
	my ($s) = @_;
	return monitor_query("SELECT count(*) FROM pg_stat_activity WHERE pid = $s->{pid}");
}

# Wait for a terminated session's backend to be gone, then have its psql
# find out: returns what psql wrote, as run_sql.  The handle is finished.
sub terminated_stderr
{
	my ($s) = @_;
	monitor_poll("SELECT count(*) FROM pg_stat_activity WHERE pid = $s->{pid}", '0');
	# psql exits when it finds the connection lost
	my $err = run_sql($s, 'SELECT 2');
	eval { $s->{h}->{run}->finish };
	return $err;
}

### 1. statement_timeout, whatever the session set

ok( add_policy(
		'app_stmt', 'role_name, statement_timeout', q{'app', '1 s'}),
	'statement_timeout policy published');
my $app = open_session('app', 'app');
$app->{h}->query_safe('\set VERBOSITY verbose');
my $t = time;
my $err = run_sql($app, "SET statement_timeout = 0;\nSELECT pg_sleep(30);");
my $elapsed = time - $t;
note sprintf('pg_sleep(30) ended after %.1f s', $elapsed);
cmp_ok($elapsed, '<', 10,
	'SET statement_timeout = 0 does not escape the policy: pg_sleep(30) ends within seconds');
like(
	$err,
	qr/ERROR:  57014: canceling statement due to pg_lifeguard policy "app_stmt": statement_timeout of 1 s exceeded\n/,
	'the error is a query cancel (57014) naming pg_lifeguard, the policy and the limit');
like($err, qr/DETAIL:  The statement had run for \d+\.\d s\./,
	'the error says how long the statement ran');
like(
	$err,
	qr/HINT:  The limit is set in lifeguard\.policies; lifeguard\.recent_events\(\) shows what pg_lifeguard did\./,
	'the error says where to look');
ok(events_are($app, 'statement_timeout:app_stmt:cancel'),
	'one statement_timeout event, action cancel');
like(
	monitor_query(
		"SELECT detail FROM lifeguard.recent_events() WHERE pid = $app->{pid} AND kind = 'statement_timeout'"),
	qr/^statement running for \d+\.\d s, longer than statement_timeout 1 s$/,
	'the event says why');
is(run_sql($app, 'SELECT 1'), '1',
	'the session is still usable: cancelled, not terminated');
is(run_sql($app, 'SHOW statement_timeout'),
	'0', 'its own statement_timeout is untouched');
close_sessions($app);
ok(drop_policies('app_stmt'), 'policy app_stmt dropped');

### 2. idle_in_transaction_timeout terminates

ok( add_policy(
		'idle_xact', 'role_name, idle_in_transaction_timeout', q{'idler', '1 s'}),
	'idle_in_transaction_timeout policy published');
my $idler = open_session('idler', 'idler');
my $idle_ok = open_session('idler', 'idler-ok');
$idler->{h}->query_safe('\set VERBOSITY verbose');
$idler->{h}->query_safe("BEGIN;\nSELECT 1;");
ok( monitor_poll(
		"SELECT count(*) FROM pg_stat_activity WHERE pid = $idler->{pid}", '0'),
	'a session idle in its transaction past the limit is terminated');
ok(events_are($idler, 'idle_in_transaction_timeout:idle_xact:terminate'),
	'one idle_in_transaction_timeout event, action terminate');
like(
	monitor_query(
		"SELECT detail FROM lifeguard.recent_events() WHERE pid = $idler->{pid}"),
	qr/^idle in transaction for \d+\.\d s, longer than idle_in_transaction_timeout 1 s$/,
	'the event says why');
like(
	terminated_stderr($idler),
	qr/FATAL:  57P01: terminating connection due to pg_lifeguard policy "idle_xact": idle_in_transaction_timeout of 1 s exceeded\n/,
	'the client is told, by a FATAL (57P01) naming the policy and the limit');
is(alive($idle_ok), '1',
	'a session of the same role idle outside a transaction stays');
close_sessions($idle_ok);
ok(drop_policies('idle_xact'), 'policy idle_xact dropped');

### 3. lock_wait_timeout cancels a waiting DDL

# 2 s: the queued reader must be seen waiting before the cancel
ok( add_policy(
		'ddl_lock', 'role_name, lock_wait_timeout', q{'ddl', '2 s'}),
	'lock_wait_timeout policy published');
my $holder = open_session('holder', 'holder');
my $ddl = open_session('ddl', 'ddl');
my $reader = open_session('reader', 'reader');
$ddl->{h}->query_safe('\set VERBOSITY verbose');
$holder->{h}->query_safe("BEGIN;\nSELECT count(*) FROM t;");
start_query($ddl, 'ALTER TABLE t ADD COLUMN x int;');
ok( monitor_poll(
		"SELECT wait_event_type FROM pg_stat_activity WHERE pid = $ddl->{pid}",
		'Lock'),
	'the ALTER TABLE waits for the lock the holder keeps');
start_query($reader, 'SELECT count(*) FROM t;');
ok( monitor_poll(
		"SELECT wait_event_type FROM pg_stat_activity WHERE pid = $reader->{pid}",
		'Lock'),
	'a reader is queued behind the ALTER TABLE');
ok(events_are($ddl, 'lock_wait_timeout:ddl_lock:cancel'),
	'the worker acts on the waiting ALTER TABLE: one lock_wait_timeout event, action cancel');
like(
	monitor_query(
		"SELECT detail FROM lifeguard.recent_events() WHERE pid = $ddl->{pid}"),
	qr/^waiting for a lock for \d+\.\d s, longer than lock_wait_timeout 2 s$/,
	'the event says why');
like(
	finish_query($ddl),
	qr/ERROR:  57014: canceling statement due to pg_lifeguard policy "ddl_lock": lock_wait_timeout of 2 s exceeded\nDETAIL:  The statement had waited \d+\.\d s for a lock\./,
	'the ALTER TABLE is cancelled with the policy named');
is(finish_query($reader), "0\n1",
	'the queued reader proceeds, without an error');
is( monitor_query(
		"SELECT state FROM pg_stat_activity WHERE pid = $holder->{pid}"),
	'idle in transaction',
	'the lock holder is untouched, still in its transaction');
is(run_sql($holder, 'COMMIT'), '', 'the holder commits');
is(events_of($holder) . events_of($reader), '',
	'no event for the holder or the reader');
is( monitor_query(
		q{SELECT count(*) FROM information_schema.columns WHERE table_name = 't' AND column_name = 'x'}),
	'0',
	'the column was not added');
close_sessions($holder, $ddl, $reader);
ok(drop_policies('ddl_lock'), 'policy ddl_lock dropped');

### 4. dry_run only reports

ok(add_policy('dry_stmt', 'role_name, statement_timeout', q{'dry', '1 s'}),
	'statement_timeout policy for the dry_run check published');
ok(worker_setting($node, $monitor, 'dry_run', 'on'), 'dry_run is in force');
my $dry = open_session('dry', 'dry');
$t = time;
is(run_sql($dry, 'SELECT pg_sleep(3)'), '',
	'dry_run: a statement over its limit runs to completion');
cmp_ok(time - $t, '>=', 3, 'dry_run: it ran its full 3 s');
ok(events_are($dry, 'statement_timeout:dry_stmt:would_cancel'),
	'dry_run: one would_cancel event for it, not one per tick');
like(
	monitor_query(
		"SELECT detail FROM lifeguard.recent_events() WHERE pid = $dry->{pid}"),
	qr/^statement running for \d+\.\d s, longer than statement_timeout 1 s$/,
	'dry_run: the event says why');
ok(worker_setting($node, $monitor, 'dry_run', 'off'), 'dry_run is off again');
close_sessions($dry);
ok(drop_policies('dry_stmt'), 'policy dry_stmt dropped');

### 5. Superusers and admins are left alone, unless a policy names the role
# (one rule for caps, idle limits and time limits: src/policy/policy.c)

ok( add_policy(
		'everyone', 'database_name, statement_timeout', q{'postgres', '1 s'}),
	'a statement_timeout policy for every session of "postgres" published');
my $su = open_session('postgres', 'su');
my $alice = open_session('alice', 'alice');
my $plain = open_session('plain', 'plain');
start_query($su, 'SELECT pg_sleep(3);');
start_query($alice, 'SELECT pg_sleep(3);');
start_query($plain, 'SELECT pg_sleep(30);');
# Collect them in order: the ordinary role's cancel comes first
$t = time;
$err = run_sql($plain, 'SELECT 1');
cmp_ok(time - $t, '<', 10, 'an ordinary role\'s pg_sleep(30) ends within seconds');
like(
	$err,
	qr/ERROR:  canceling statement due to pg_lifeguard policy "everyone": statement_timeout of 1 s exceeded/,
	'it is cancelled by the policy');
is(finish_query($su), "\n1",
	'the superuser\'s pg_sleep(3) runs to completion');
is(finish_query($alice), "\n1",
	'the admin role member\'s pg_sleep(3) runs to completion');
is(events_of($su) . events_of($alice), '',
	'no event for the superuser or the admin');
ok(events_are($plain, 'statement_timeout:everyone:cancel'),
	'the ordinary role\'s cancel is an event');
close_sessions($alice, $plain);
ok(drop_policies('everyone'), 'policy everyone dropped');

ok( add_policy(
		'su_named', 'role_name, statement_timeout', q{'postgres', '1 s'}),
	'a statement_timeout policy naming the superuser role published');
$t = time;
$err = run_sql($su, 'SELECT pg_sleep(30)');
cmp_ok(time - $t, '<', 10,
	'the superuser\'s pg_sleep(30) ends within seconds');
like(
	$err,
	qr/ERROR:  canceling statement due to pg_lifeguard policy "su_named": statement_timeout of 1 s exceeded/,
	'a policy naming the superuser\'s role cancels its statement');
ok(events_are($su, 'statement_timeout:su_named:cancel'),
	'the superuser\'s cancel is an event');
close_sessions($su);
ok(drop_policies('su_named'), 'policy su_named dropped');

# The same rule binds an admin (lifeguard.admin_roles) that is not a
# superuser: a policy naming its role applies to it, as for a cap.
ok( add_policy(
		'alice_named', 'role_name, statement_timeout', q{'alice', '1 s'}),
	'a statement_timeout policy naming the admin\'s role published');
$alice = open_session('alice', 'alice');
$t = time;
$err = run_sql($alice, 'SELECT pg_sleep(30)');
cmp_ok(time - $t, '<', 10, 'the admin\'s pg_sleep(30) ends within seconds');
like(
	$err,
	qr/ERROR:  canceling statement due to pg_lifeguard policy "alice_named": statement_timeout of 1 s exceeded/,
	'a policy naming the admin\'s role cancels its statement');
ok(events_are($alice, 'statement_timeout:alice_named:cancel'),
	'the admin\'s cancel is an event');
close_sessions($alice);
ok(drop_policies('alice_named'), 'policy alice_named dropped');

### 6. blocking_timeout: cancel the blocker, terminate it if its locks stay

ok( add_policy(
		'maint_block', 'role_name, blocking_timeout, action',
		q{'maint', '2 s', 'cancel'}),
	'blocking_timeout policy published');
my $reporter = open_session('reporter', 'reporter');

# A maintenance session locks "hot" in a transaction, then runs a long
# statement; the reporter's SELECT waits behind it.
sub block_hot
{
	my ($maint) = @_;
	$maint->{h}->query_until(qr/locked/,
		"BEGIN;\nLOCK TABLE hot IN ACCESS EXCLUSIVE MODE;\n\\echo locked\nSELECT pg_sleep(60);\n");
	start_query($reporter, 'SELECT count(*) FROM hot;');
	return monitor_poll(
		"SELECT wait_event_type FROM pg_stat_activity WHERE pid = $reporter->{pid}",
		'Lock');
}

# The cancelled statement aborts the transaction, which releases its locks:
# the cancel is enough, nothing is escalated.
my $maint = open_session('maint', 'maint');
ok(block_hot($maint), 'the reporter waits for the maintenance session\'s lock');
$t = time;
is(finish_query($reporter), "3\n1",
	'the blocked SELECT completes, without an error');
cmp_ok(time - $t, '<', 10, 'within seconds');
ok(events_are($maint, 'blocking_timeout:maint_block:cancel'),
	'one blocking_timeout event for the blocker, action cancel');
like(
	monitor_query(
		"SELECT detail FROM lifeguard.recent_events() WHERE pid = $maint->{pid}"),
	qr/^blocking 1 session for \d+\.\d s, longer than blocking_timeout 2 s$/,
	'the event says why');
ok(wait_ticks(20), '20 worker ticks (2 s) pass: twice the escalation delay');
is(alive($maint), '1', 'the blocker whose cancel released its locks is not terminated');
is(events_of($maint), 'blocking_timeout:maint_block:cancel',
	'no escalation event');
like(
	run_sql($maint, 'ROLLBACK'),
	qr/ERROR:  canceling statement due to pg_lifeguard policy "maint_block": blocking_timeout of 2 s exceeded\nDETAIL:  The session had kept 1 other session waiting for its locks for \d+\.\d s\./,
	'the blocker\'s statement was cancelled, the policy named');
close_sessions($maint);

# With ON_ERROR_ROLLBACK, psql runs each statement of a transaction in a
# savepoint: the cancel rolls back to it and the transaction, and its lock,
# stay.  The worker escalates to a termination.
$maint = open_session('maint', 'maint-savepoint');
$maint->{h}->query_safe('\set ON_ERROR_ROLLBACK on');
ok(block_hot($maint), 'the reporter waits for the lock again');
ok( monitor_poll(
		"SELECT count(*) FROM pg_stat_activity WHERE pid = $maint->{pid}", '0'),
	'the blocker that kept its lock after the cancel is terminated');
ok(events_are($maint,
	'blocking_timeout:maint_block:cancel,blocking_timeout:maint_block:terminate'),
	'first a cancel, then a terminate, both blocking_timeout events');
like(
	monitor_query(
		qq{SELECT detail FROM lifeguard.recent_events()
		   WHERE pid = $maint->{pid} AND action = 'terminate'}),
	qr/^blocking 1 session for \d+\.\d s, longer than blocking_timeout 2 s; still so [\d.]+ s after a cancel$/,
	'the terminate event says the cancel did not end the blocking');
my $maint_err = terminated_stderr($maint);
like(
	$maint_err,
	qr/ERROR:  canceling statement due to pg_lifeguard policy "maint_block": blocking_timeout of 2 s exceeded/,
	'the blocker\'s statement was cancelled first');
like(
	$maint_err,
	qr/FATAL:  terminating connection due to pg_lifeguard policy "maint_block": blocking_timeout of 2 s exceeded/,
	'then its connection was terminated, the policy named again');
is(finish_query($reporter), "3\n1",
	'the blocked SELECT completes, without an error');
is(events_of($reporter), '', 'no event for the blocked session');
close_sessions($reporter);
ok(drop_policies('maint_block'), 'policy maint_block dropped');

### 7. transaction_timeout

ok( add_policy(
		'txn_limit', 'role_name, transaction_timeout', q{'txn', '2 s'}),
	'transaction_timeout policy published');
# Two sessions run a long statement in a transaction.  The first rolls back
# right after the cancel.  The second runs it under ON_ERROR_ROLLBACK: psql
# rolls back to its savepoint, the transaction stays open, still past the
# limit, and the worker escalates to a termination.
my $txn = open_session('txn', 'txn');
my $txn_open = open_session('txn', 'txn-open');
$txn_open->{h}->query_safe('\set ON_ERROR_ROLLBACK on');
start_query($txn_open, "BEGIN;\nSELECT pg_sleep(30);");
$t = time;
$err = run_sql($txn, "BEGIN;\nSELECT pg_sleep(30);\nROLLBACK;");
cmp_ok(time - $t, '<', 10,
	'a statement in a transaction open past its limit ends within seconds');
like(
	$err,
	qr/ERROR:  canceling statement due to pg_lifeguard policy "txn_limit": transaction_timeout of 2 s exceeded\nDETAIL:  The transaction had been open for \d+\.\d s\./,
	'it is cancelled, the policy and the limit named');
ok(events_are($txn, 'transaction_timeout:txn_limit:cancel'),
	'a transaction_timeout event, action cancel');
like(
	monitor_query(
		"SELECT detail FROM lifeguard.recent_events() WHERE pid = $txn->{pid}"),
	qr/^in a transaction for \d+\.\d s, longer than transaction_timeout 2 s$/,
	'the event says why');
ok( monitor_poll(
		"SELECT count(*) FROM pg_stat_activity WHERE pid = $txn_open->{pid}", '0'),
	'the session that kept its transaction open after the cancel is terminated');
ok( events_are(
		$txn_open,
		'transaction_timeout:txn_limit:cancel,transaction_timeout:txn_limit:terminate'),
	'its events: a cancel, then a terminate');
like(
	monitor_query(
		qq{SELECT detail FROM lifeguard.recent_events()
		   WHERE pid = $txn_open->{pid} AND action = 'terminate'}),
	qr/^in a transaction for \d+\.\d s, longer than transaction_timeout 2 s; still so [\d.]+ s after a cancel$/,
	'the terminate event says why');
like(
	terminated_stderr($txn_open),
	qr/FATAL:  terminating connection due to pg_lifeguard policy "txn_limit": transaction_timeout of 2 s exceeded/,
	'its client is told, the policy named');
ok(wait_ticks(5), 'a few more worker ticks pass');
is(run_sql($txn, 'SELECT 1'), '1',
	'the session that rolled back is still usable');
is(events_of($txn), 'transaction_timeout:txn_limit:cancel',
	'and was not escalated');
close_sessions($txn);
ok(drop_policies('txn_limit'), 'policy txn_limit dropped');

# Every offence above was remembered while it lasted, without the memory
# ever running full (it would forget, and act twice)
like(monitor_query('SELECT lifeguard.metrics()'),
	qr/^pg_lifeguard_acted_memory_overflows_total 0$/m,
	'the acted-on memory never overflowed');

close_sessions($monitor);
$node->stop;

note sprintf('020_timeouts took %.1f s', time - $t0);
done_testing();
