# On a hot standby nothing can be written: the worker runs there too, acts
# by policy, and keeps every event in the shared-memory ring, which answers
# through lifeguard.recent_events(); lifeguard.events is never written (no
# error, no waiting), and once the ring has wrapped, the dropped counter
# says how many events were lost, in worker_status() and in the metrics.
# NOTIFY, on there, sends nothing and raises nothing.  (The events of one
# role and policy wrap the ring here only because the standby records every
# event: lifeguard.event_burst = 0; 045_event_flood.pl shows the limit.)
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use IPC::Run;
use lib "$FindBin::RealBin/../perl";
use LifeguardTest;
use PromCheck;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'pg_lifeguard'
lifeguard.naptime = 100
max_connections = 40
});
$primary->start;
$primary->safe_psql(
	'postgres', q{
CREATE EXTENSION pg_lifeguard;
CREATE ROLE slow LOGIN;
INSERT INTO lifeguard.policies (name, role_name, statement_timeout, action)
VALUES ('slow_stmt', 'slow', '100ms', 'cancel');
});
$primary->backup('backup');

my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'backup', has_streaming => 1);
$standby->append_conf(
	'postgresql.conf', q{
lifeguard.event_ring_size = 64
lifeguard.notify = on
lifeguard.event_burst = 0
});
$standby->start;
$primary->wait_for_catchup($standby);

is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'),
	't', 'the standby is in recovery');
ok( $standby->poll_query_until(
		'postgres',
		"SELECT state = 'running' AND ticks > 5 FROM lifeguard.worker_status()"),
	'the worker runs on the standby');

# 80 statements of role slow, 8 psql processes of 10 each, all cancelled by
# the replicated policy: 80 events for a ring of 64
my $script = join '', map { "SELECT pg_sleep(10);\n" } 1 .. 10;
my @runs;
for my $i (1 .. 8)
{
	my ($in, $out, $err) = ($script, '', '');    # IPC::Run eats its input
	push @runs,
	  IPC::Run::start(
		[
			'psql', '-X', '-d', $standby->connstr('postgres'),
			'-U', 'slow', '-v', 'ON_ERROR_STOP=0', '-f', '-'
		],
		'<', \$in, '>', \$out, '2>', \$err,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
}
$_->finish foreach @runs;

is( $standby->safe_psql(
		'postgres',
		q{SELECT count(*) FROM lifeguard.recent_events() WHERE kind = 'login_refused'}),
	'0',
	'every one of the 8 sessions got in');
ok( $standby->poll_query_until(
		'postgres',
		q{SELECT (SELECT count(*) FROM lifeguard.recent_events()) = 64
		     AND events_dropped >= 17 FROM lifeguard.worker_status()}),
	'the ring still answers (64 events, its size) and the dropped counter moved')
  or diag $standby->safe_psql('postgres',
	'SELECT events_written, events_pending, events_dropped FROM lifeguard.worker_status()');
is( $standby->safe_psql(
		'postgres',
		q{SELECT count(*) FROM lifeguard.recent_events() WHERE kind = 'statement_timeout'}),
	'64',
	'the ring holds the newest statement_timeout events');
is( $standby->safe_psql(
		'postgres',
		q{SELECT events_written || '/' || errors FROM lifeguard.worker_status()}),
	'0/0',
	'nothing was written on the standby, and no error raised');
is( $standby->safe_psql(
		'postgres', q{SELECT count(*) FROM lifeguard.events WHERE kind = 'statement_timeout'}),
	'0',
	'lifeguard.events holds no standby event');

my $metrics = $standby->safe_psql('postgres', 'SELECT lifeguard.metrics()');
$metrics =~ s/\n*\z/\n/;
is_deeply([ prom_check($metrics) ], [], 'the standby\'s metrics are valid');
is( prom_value($metrics, 'pg_lifeguard_events_dropped_total'),
	$standby->safe_psql('postgres',
		'SELECT events_dropped FROM lifeguard.worker_status()'),
	'pg_lifeguard_events_dropped_total is the dropped counter');
cmp_ok(prom_value($metrics, 'pg_lifeguard_events_total', kind => 'statement_timeout'),
	'>=', 80, 'all 80 events are counted by kind, dropped or not');
is(prom_value($metrics, 'pg_lifeguard_events_notified_total'),
	0, 'no NOTIFY was sent on the standby');
unlike(slurp_file($standby->logfile), qr/NOTIFY|could not write lifeguard\.events|terminated by signal/,
	'the standby log shows no NOTIFY or write failure, no crash');

# The primary is untouched by all this
is( $primary->safe_psql(
		'postgres', q{SELECT count(*) FROM lifeguard.events WHERE kind = 'statement_timeout'}),
	'0',
	'the primary wrote no standby event either');

$standby->stop('fast');
$primary->stop('fast');
done_testing();
