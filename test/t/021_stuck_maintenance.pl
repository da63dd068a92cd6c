# Replay of the stuck-maintenance outage: a maintenance job takes ACCESS
# EXCLUSIVE on a hot table and then hangs, and the application's requests
# queue behind it.
#
#   1. Without a policy the stall lasts as long as the lock: pgbench's
#      per-second throughput drops to zero for the whole time the job holds
#      it.
#   2. With a blocking_timeout policy on the job's role the worker cancels
#      the job a little after the limit: the client of the job is told why,
#      the job's transaction is rolled back, pgbench's throughput comes back
#      within the limit plus a tick or two, and every transaction pgbench
#      counted as committed is in the table.
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);
use FindBin;
use lib "$FindBin::RealBin/../perl";
use LifeguardTest;

my $node = start_node('stuck_maintenance', 'max_connections = 40');
$node->safe_psql(
	'postgres', q{
CREATE ROLE app LOGIN;
CREATE ROLE maint LOGIN;
CREATE TABLE hot (id int PRIMARY KEY, v int NOT NULL);
INSERT INTO hot SELECT g, 0 FROM generate_series(1, 100) g;
CREATE TABLE app_log (id bigserial PRIMARY KEY, at timestamptz DEFAULT now());
GRANT SELECT ON hot TO app;
GRANT INSERT ON app_log TO app;
GRANT USAGE ON SEQUENCE app_log_id_seq TO app;
GRANT ALL ON hot TO maint;

-- The job: one statement, as pg_partman's run_maintenance() is, that takes
-- the table's strongest lock, changes a row, then hangs.
CREATE FUNCTION maintenance_job(hang_seconds float8) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	LOCK TABLE hot IN ACCESS EXCLUSIVE MODE;
	INSERT INTO hot VALUES (-1, -1);
	PERFORM pg_sleep(hang_seconds);
END $$;
GRANT EXECUTE ON FUNCTION maintenance_job(float8) TO maint;
});

my $script = $node->basedir . '/app.sql';
PostgreSQL::Test::Utils::append_to_file(
	$script, q{\set id random(1, 100)
BEGIN;
SELECT v FROM hot WHERE id = :id;
INSERT INTO app_log DEFAULT VALUES;
END;
});

# Start pgbench as role app for $seconds, reporting throughput every second
sub start_pgbench
{
	my ($seconds) = @_;
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(
		[
			'pgbench', '-n', '-c', '4', '-j', '2', '-T', $seconds,
			'-P', '1', '-f', $script,
			'-h', $node->host, '-p', $node->port, '-U', 'app', 'postgres'
		],
		'>', \$out, '2>', \$err);
	return { h => $h, out => \$out, err => \$err };
}

# Wait for pgbench; returns (committed transactions, [tps per second])
sub finish_pgbench
{
	my ($run) = @_;
	$run->{h}->finish;
	my ($committed) =
	  ${ $run->{out} } =~ /number of transactions actually processed: (\d+)/;
	my @tps = ${ $run->{err} } =~ /^progress: [\d.]+ s, ([\d.]+) tps/mg;
	diag "pgbench said:\n${$run->{out}}${$run->{err}}"
	  unless defined $committed && @tps;
	return ($committed // -1, \@tps);
}

# The longest run of seconds in which no transaction completed
sub longest_stall
{
	my ($tps) = @_;
	my ($run, $longest) = (0, 0);
	foreach (@$tps)
	{
		$run = $_ == 0 ? $run + 1 : 0;
		$longest = $run if $run > $longest;
	}
	return $longest;
}

sub app_rows { return $node->safe_psql('postgres', 'SELECT count(*) FROM app_log'); }

my $monitor = LifeguardTest::open_session($node, 'postgres', 'monitor');

# 1. No policy: the job holds the lock for 6 s, and so long the app stalls
my $rows_before = app_rows();
my $bench = start_pgbench(11);
sleep 2;
my $job = LifeguardTest::open_session($node, 'maint', 'maintenance');
$job->{h}->query_safe('SELECT maintenance_job(6)');
my ($committed, $tps) = finish_pgbench($bench);
note 'without a policy, tps per second: ' . join(' ', @$tps);
cmp_ok(longest_stall($tps), '>=', 5,
	'without a policy the app stalls as long as the job holds its lock (6 s)');
cmp_ok($committed, '>', 0, 'the app committed transactions around the stall');
is(app_rows() - $rows_before, $committed,
	'every transaction pgbench counted is in the table');
$node->safe_psql('postgres', 'DELETE FROM hot WHERE id = -1');

# 2. With blocking_timeout 2 s on role maint, the hung job is cancelled
$node->safe_psql(
	'postgres', q{
INSERT INTO lifeguard.policies (name, role_name, blocking_timeout)
VALUES ('maintenance_may_block', 'maint', '2 s');
});
ok( poll_session(
		$monitor,
		q{SELECT count(*) = 1 FROM lifeguard.policy_status()
		  WHERE name = 'maintenance_may_block' AND action = 'cancel'}),
	'the worker publishes the policy');

$rows_before = app_rows();
$bench = start_pgbench(12);
sleep 2;
my $started = time;
my ($stdout, $stderr) = ('', '');
my $ret = $node->psql(
	'postgres', 'SELECT maintenance_job(60)',
	stdout => \$stdout,
	stderr => \$stderr,
	extra_params => [ '-U', 'maint' ]);
my $held = time - $started;
($committed, $tps) = finish_pgbench($bench);
note 'with the policy, tps per second: ' . join(' ', @$tps);
note sprintf('the job ended after %.1f s', $held);

isnt($ret, 0, 'the hung job fails');
like(
	$stderr,
	qr/canceling statement due to pg_lifeguard policy "maintenance_may_block": blocking_timeout of 2 s exceeded/,
	'its client is told pg_lifeguard cancelled it, by which policy and limit');
cmp_ok($held, '<', 10, 'the job is stopped long before its 60 s hang ends');
cmp_ok(longest_stall($tps), '<=', 4,
	'the app stalls for at most the limit plus a tick or two');
cmp_ok((grep { $_ > 0 } @$tps[ -3 .. -1 ]), '==', 3,
	'the app\'s throughput is back in the last seconds of the run');
is(app_rows() - $rows_before, $committed,
	'no transaction the app committed is lost');
is($node->safe_psql('postgres', 'SELECT count(*) FROM hot WHERE id = -1'),
	'0', 'the job\'s transaction is rolled back');
like(
	$monitor->{h}->query_safe(
		q{SELECT string_agg(kind || ':' || policy || ':' || action || ':' || detail, E'\n')
		  FROM lifeguard.recent_events() WHERE kind = 'blocking_timeout'}),
	qr/^blocking_timeout:maintenance_may_block:cancel:blocking \d+ sessions? for [\d.]+ s, longer than blocking_timeout 2 s$/,
	'the cancel is one blocking_timeout event naming the policy');

close_sessions($job, $monitor);
$node->stop;
done_testing();
