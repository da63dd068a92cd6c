# lifeguard.events: the worker writes the event ring into the table in small
# batches, and what it wrote survives a worker restart and a server restart
# without duplicates.  While the table is locked the worker waits for nothing:
# events stay in the ring (events_pending) and are written once the lock is
# gone.  Rows older than lifeguard.event_retention are deleted (none with
# 0).  With lifeguard.notify on, each event is also sent on channel
# "lifeguard" as JSON; with it off, nothing is sent.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use JSON::PP;
use lib "$FindBin::RealBin/../perl";
use LifeguardTest;
use Time::HiRes qw(time usleep);

my $node = start_node(
	'events', q{
lifeguard.check_interval = 1
});
$node->safe_psql(
	'postgres', q{
CREATE ROLE slow LOGIN;
INSERT INTO lifeguard.policies (name, role_name, statement_timeout, action)
VALUES ('slow_stmt', 'slow', '200ms', 'cancel');
});

my $mon = LifeguardTest::open_session($node, 'postgres', 'monitor');
my $slow = LifeguardTest::open_session($node, 'slow', 'slowapp',
	on_error_stop => 0);

sub mon { return $mon->{h}->query_safe($_[0]); }

sub poll
{
	my ($sql, $expected) = @_;
	return poll_session($mon, $sql, $expected,
		q{SELECT * FROM lifeguard.worker_status()},
		q{SELECT id, seq, kind, event_time FROM lifeguard.events ORDER BY id});
}

# One statement of role slow, cancelled by the policy: one event
sub cancelled_statement
{
	$slow->{h}->query('SELECT pg_sleep(10)');
	$slow->{h}->{stderr} = '';
	return;
}

ok(poll(q{SELECT count(*) > 0 FROM lifeguard.events WHERE kind = 'worker_started'}),
	'the worker_started event reaches lifeguard.events');
ok(poll(q{SELECT events_pending = 0 AND events_written > 0 FROM lifeguard.worker_status()}),
	'nothing is left pending');

cancelled_statement() for 1 .. 3;
ok(poll(q{SELECT count(*) = 3 FROM lifeguard.events WHERE kind = 'statement_timeout'}),
	'three cancelled statements, three rows');

# The rows carry the ring's events field by field
is( mon(q{
SELECT count(*) FROM lifeguard.events e
JOIN lifeguard.recent_events() r USING (seq)
WHERE e.event_time = r.event_time AND e.kind = r.kind
  AND e.severity = r.severity AND e.pid IS NOT DISTINCT FROM r.pid
  AND e.role IS NOT DISTINCT FROM r.role
  AND e.database IS NOT DISTINCT FROM r.database
  AND e.application_name IS NOT DISTINCT FROM r.application_name
  AND e.policy IS NOT DISTINCT FROM r.policy
  AND e.action IS NOT DISTINCT FROM r.action
  AND e.detail->>'message' = r.detail}),
	mon(q{SELECT count(*) FROM lifeguard.recent_events()}),
	'every event of the ring is in the table, with the same fields');
is( mon(q{
SELECT string_agg(DISTINCT role || '/' || application_name || '/' || policy || '/' || action, ',')
FROM lifeguard.events WHERE kind = 'statement_timeout'}),
	'slow/slowapp/slow_stmt/cancel',
	'statement_timeout rows name role, application, policy and action');

# A worker restart: the rows stay, the restart is written, nothing twice
my $worker_pid = mon('SELECT pid FROM lifeguard.worker_status()');
mon("SELECT pg_terminate_backend($worker_pid)");
ok(poll(q{SELECT count(*) = 1 FROM lifeguard.events WHERE kind = 'worker_restarted'}),
	'after pg_terminate_backend the new worker writes worker_restarted');
is(mon(q{SELECT count(*) FROM lifeguard.events WHERE kind = 'statement_timeout'}),
	3, 'the rows written before the restart are still there');
is(mon(q{SELECT count(*) = count(DISTINCT seq) FROM lifeguard.events}),
	't', 'no event was written twice');
is( mon(q{SELECT count(*) FROM lifeguard.events WHERE kind = 'worker_stopped'}),
	'1', 'the old worker stopping was written too');

# A server restart: the rows stay; the ring starts again at seq 1
close_sessions($mon, $slow);
my $rows_before = $node->safe_psql('postgres', 'SELECT count(*) FROM lifeguard.events');
$node->restart;
$mon = LifeguardTest::open_session($node, 'postgres', 'monitor');
$slow = LifeguardTest::open_session($node, 'slow', 'slowapp', on_error_stop => 0);
ok(poll(q{SELECT count(*) = 2 FROM lifeguard.events WHERE kind = 'worker_started'}),
	'after a server restart, the new worker_started is written');
cmp_ok(mon('SELECT count(*) FROM lifeguard.events'), '>', $rows_before,
	'all rows from before the restart survive');
is(mon(q{SELECT count(*) FROM lifeguard.events WHERE kind = 'statement_timeout'}),
	3, '... the statement_timeout rows among them');

# Locked table: the worker does not wait; events stay pending, then land
my $locker = LifeguardTest::open_session($node, 'postgres', 'locker');
$locker->{h}->query_safe('BEGIN; LOCK lifeguard.events IN ACCESS EXCLUSIVE MODE');
my $written = mon('SELECT events_written FROM lifeguard.worker_status()');
my $ticks = mon('SELECT ticks FROM lifeguard.worker_status()');
cancelled_statement() for 1 .. 2;
ok(poll(q{SELECT events_pending >= 2 FROM lifeguard.worker_status()}),
	'with the table locked, the events wait in the ring');
ok(poll("SELECT ticks > $ticks + 20 FROM lifeguard.worker_status()"),
	'... while the worker keeps ticking');
is(mon('SELECT events_written FROM lifeguard.worker_status()'), $written,
	'... and writes nothing');
is( mon(q{SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
		   WHERE NOT l.granted AND a.backend_type = 'pg_lifeguard'}),
	'0', '... and waits on no lock');

# report() meanwhile: its events section reads the ring, not the table; a
# section whose table is locked says so within its 2 s lock_timeout
$locker->{h}->query_safe('LOCK lifeguard.job_registry IN ACCESS EXCLUSIVE MODE');
my $t0 = time;
my $report = mon('SELECT string_agg(r, E\'\\n\') FROM lifeguard.report(3) r');
cmp_ok(time - $t0, '<', 5, 'report() with lifeguard.job_registry locked returns within seconds');
like($report,
	qr/^Maintenance jobs with problems \(this database\):\n  unavailable \(canceling statement due to lock timeout\)$/m,
	'... saying the jobs section is unavailable');
like($report, qr/^Worker: running .*\n  events: \d+ written to lifeguard\.events, [1-9]\d* waiting, 0 lost$/m,
	'... and still giving the worker, with the events waiting');
like($report, qr/^  \d\d:\d\d:\d\d statement_timeout /m, '... and the last events');
$locker->{h}->query_safe('COMMIT');
ok(poll(q{SELECT count(*) = 5 FROM lifeguard.events WHERE kind = 'statement_timeout'}),
	'once the lock is gone, they are written');
is(mon('SELECT events_pending FROM lifeguard.worker_status()'), '0',
	'... and none is pending');
is(mon('SELECT events_dropped FROM lifeguard.worker_status()'), '0',
	'... and none was lost');

# Retention: older rows go, within a check interval; 0 keeps everything
mon(q{
INSERT INTO lifeguard.events (event_time, seq, kind, severity, detail) VALUES
  (now() - interval '8 days', 0, 'slot_ok', 'info', '{"message": "old"}'),
  (now() - interval '6 days', 0, 'slot_ok', 'info', '{"message": "recent"}')});
ok(poll(q{SELECT count(*) = 0 FROM lifeguard.events WHERE detail->>'message' = 'old'}),
	'a row older than the 7-day default retention is deleted');
is(mon(q{SELECT count(*) FROM lifeguard.events WHERE detail->>'message' = 'recent'}),
	'1', 'a 6-day-old row stays');
ok(worker_setting($node, $mon, 'event_retention', '1d'),
	'retention set to 1 day');
ok(poll(q{SELECT count(*) = 0 FROM lifeguard.events WHERE detail->>'message' = 'recent'}),
	'... the 6-day-old row goes');
ok(worker_setting($node, $mon, 'event_retention', '0'), 'retention 0');
mon(q{
INSERT INTO lifeguard.events (event_time, seq, kind, severity, detail) VALUES
  (now() - interval '400 days', 0, 'slot_ok', 'info', '{"message": "ancient"}')});
my $checks_sql = q{SELECT split_part(m, ' ', 2)::bigint FROM
	regexp_split_to_table(lifeguard.metrics(), E'\n') m WHERE m LIKE 'pg_lifeguard_checks_total %'};
my $checks = mon($checks_sql);
ok(poll("SELECT ($checks_sql) >= $checks + 3"), 'three check intervals pass');
is(mon(q{SELECT count(*) FROM lifeguard.events WHERE detail->>'message' = 'ancient'}),
	'1', '... and with retention 0 a 400-day-old row stays');

# NOTIFY: nothing while off; every event as JSON once on
my $listener = LifeguardTest::open_session($node, 'postgres', 'listener');
$listener->{h}->query_safe('LISTEN lifeguard');
cancelled_statement();
ok(poll(q{SELECT count(*) = 6 FROM lifeguard.events WHERE kind = 'statement_timeout'}),
	'an event while lifeguard.notify is off');
unlike($listener->{h}->query_safe('SELECT 1'), qr/Asynchronous notification/,
	'... is not sent');
ok(worker_setting($node, $mon, 'notify', 'on'), 'lifeguard.notify on');
cancelled_statement();
ok(poll(q{SELECT count(*) = 7 FROM lifeguard.events WHERE kind = 'statement_timeout'}),
	'an event with lifeguard.notify on');
my $got = '';
my $deadline = time + $PostgreSQL::Test::Utils::timeout_default;
while (time < $deadline && $got !~ /Asynchronous notification "lifeguard"/)
{
	$got .= $listener->{h}->query_safe('SELECT 1');
	usleep(100_000);
}
$worker_pid = mon('SELECT pid FROM lifeguard.worker_status()');
like($got,
	qr/Asynchronous notification "lifeguard" with payload "\{.*\}" received from server process with PID $worker_pid/,
	'... is sent on channel lifeguard by the worker');
my ($payload) = $got =~ /with payload "(\{.*?\})" received/;
my $json = eval { decode_json($payload) };
ok($json, '... as a JSON object') or diag $payload;
is($json->{kind}, 'statement_timeout', '... of kind statement_timeout');
is($json->{severity}, 'warning', '... with its severity');
# Any role may LISTEN: the payload says nothing pg_monitor alone may read
is( join(',', sort keys %$json),
	'event_time,kind,seq,severity',
	'... and nothing else: no role, application, policy or message');
unlike($payload, qr/slow_stmt|"slow"|pg_sleep/,
	'... neither the policy, the role nor the statement appears in it');
is( $json->{seq},
	mon(q{SELECT max(seq) FROM lifeguard.events WHERE kind = 'statement_timeout'}),
	'... with the seq of its row');
cmp_ok(
	prom_notified(),
	'>=', 1, 'pg_lifeguard_events_notified_total counts it');

sub prom_notified
{
	return mon(q{SELECT split_part(m, ' ', 2) FROM
		regexp_split_to_table(lifeguard.metrics(), E'\n') m
		WHERE m LIKE 'pg_lifeguard_events_notified_total %'});
}

close_sessions($mon, $slow, $locker, $listener);
$node->stop('fast');
done_testing();
