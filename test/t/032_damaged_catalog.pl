# A damaged table stops only the part of the worker that reads it.  Each
# table the worker reads is damaged in turn by a superuser, then repaired:
#  - lifeguard.policies without its blocking_timeout column: the policy
#    reload fails, the policies published before stay in force (a
#    statement_timeout policy still cancels), the slot history, the event
#    ring, the event log and the job checks go on;
#  - lifeguard.events with a column renamed: writing the event log fails,
#    the events stay in the ring (recent_events() shows new ones) and are
#    written once the table is repaired;
#  - the lifeguard.jobs view with a column renamed: the job check fails,
#    the partition check goes on;
#  - lifeguard.job_registry with a column renamed: reading pg_cron's runs fails,
#    the job check goes on.
# Each time, over many failed tries, the failing part is reported exactly
# once (one worker_error event, one WARNING in the server log), is counted
# at every try (worker_status().errors, last_error), no other part and no
# whole tick fails, the worker is not restarted; once repaired, the next try
# succeeds and says so once (a worker_recovered event).
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use LifeguardTest;

# pg_cron is not built for PostgreSQL 18 here (its source package is not
# served): without it, the part that reads its runs is not tried.
my $have_cron = extension_installed('pg_cron');
my $node = start_node(
	'damaged', pg_cron_conf() . q{
lifeguard.check_interval = 1
});

$node->safe_psql('postgres', 'CREATE EXTENSION pg_cron') if $have_cron;
$node->safe_psql(
	'postgres', q{
CREATE ROLE app LOGIN;
INSERT INTO lifeguard.policies (name, role_name, statement_timeout)
VALUES ('stmt', 'app', '500ms');
INSERT INTO lifeguard.jobs (name, kind, expected_every)
VALUES ('nightly', 'pg_cron', '1 hour');
BEGIN;
CREATE TABLE gappy (k int) PARTITION BY RANGE (k);
CREATE TABLE gappy_1 PARTITION OF gappy FOR VALUES FROM (0) TO (10);
CREATE TABLE gappy_3 PARTITION OF gappy FOR VALUES FROM (20) TO (30);
COMMIT;
});

sub open_session
{
	return LifeguardTest::open_session($node, @_, on_error_stop => 0);
}

my $monitor = open_session('postgres', 'monitor');
my $app = open_session('app', 'app');

sub monitor_query { return $monitor->{h}->query_safe($_[0]); }

sub monitor_poll
{
	my ($sql, $expected) = @_;
	return poll_session($monitor, $sql, $expected,
		q{SELECT state, ticks, errors, last_error, restarts, events_written, events_pending FROM lifeguard.worker_status()},
		q{SELECT seq, kind, detail FROM lifeguard.recent_events() WHERE kind NOT LIKE 'slot%' ORDER BY seq});
}

ok( monitor_poll(
		q{SELECT count(*) = 1 FROM lifeguard.policy_status()
		  WHERE name = 'stmt' AND statement_timeout = interval '500ms'}),
	'the worker publishes the statement_timeout policy');
ok( monitor_poll(
		q{SELECT count(*) = 1 FROM lifeguard.recent_events()
		  WHERE kind = 'partition_warning' AND detail LIKE 'public.gappy: %'}),
	'the partition check runs');

my $restarts = monitor_query('SELECT restarts FROM lifeguard.worker_status()');

# The policy still cancels a long statement of app's, which a SET of its own
# cannot avoid: the client is told by pg_lifeguard.
sub policy_cancels
{
	$app->{h}->query('SET statement_timeout = 0');
	my $out = eval { scalar $app->{h}->query('SELECT pg_sleep(5)') } // '';
	my $err = $app->{h}->{stderr};
	$app->{h}->{stderr} = '';
	return $err =~ /policy "stmt": statement_timeout of [0-9.]+ s exceeded/;
}

sub last_seq
{
	return monitor_query(
		'SELECT coalesce(max(seq), 0) FROM lifeguard.recent_events()');
}

sub errors { return monitor_query('SELECT errors FROM lifeguard.worker_status()'); }

# The worker_error and worker_recovered events since $seq, as
# "kind:detail" lines, oldest first
sub worker_events
{
	my ($seq) = @_;
	return monitor_query(
		qq{SELECT coalesce(string_agg(kind || ':' || detail, E'\\n' ORDER BY seq), '')
		   FROM lifeguard.recent_events()
		   WHERE kind IN ('worker_error', 'worker_recovered') AND seq > $seq});
}

# How often the server log says, after $offset, that $part failed
sub log_failures
{
	my ($part, $offset) = @_;
	my $n = () = slurp_file($node->logfile, $offset) =~
	  /WARNING:  \Q$part\E in database "postgres" failed: /g;
	return $n;
}

# Damage a table, check that $part fails at every try but is reported once
# while the rest of the worker goes on (the checks in $during), repair it,
# and check that the part recovers, said once.
sub damage
{
	my (%t) = @_;
	my $part = $t{part};
	my $seq = last_seq();
	my $errors = errors();
	my $offset = -s $node->logfile;

	$node->safe_psql('postgres', $t{damage});
	$t{during}->($seq) if $t{during};
	ok( monitor_poll(
			qq{SELECT errors >= $errors + 10 FROM lifeguard.worker_status()}),
		"$part: damaged, it fails at every try (10 tries counted)");
	like(
		monitor_query('SELECT last_error FROM lifeguard.worker_status()'),
		qr/^\Q$part\E failed: $t{error}/,
		"$part: worker_status().last_error says what failed and why");
	like(worker_events($seq), qr/^worker_error:\Q$part\E failed: $t{error}\z/,
		"$part: one worker_error event over all those tries, and no other");
	is(log_failures($part, $offset), 1, "$part: one WARNING in the server log");

	$seq = last_seq();
	$node->safe_psql('postgres', $t{repair});
	ok( monitor_poll(
			qq{SELECT count(*) = 1 FROM lifeguard.recent_events()
			   WHERE kind = 'worker_recovered' AND seq > $seq}),
		"$part: repaired, the next try succeeds and says so");
	$errors = errors();
	$t{after}->($seq) if $t{after};
	ok(monitor_poll(qq{SELECT ticks > 0 AND errors = $errors FROM lifeguard.worker_status()}),
		"$part: no error since");
	is(worker_events($seq), "worker_recovered:$part works again",
		"$part: one worker_recovered event, and no worker_error");
	is(monitor_query('SELECT restarts FROM lifeguard.worker_status()'),
		$restarts, "$part: the worker was never restarted");
	return;
}

### lifeguard.policies

damage(
	part => 'policy reload',
	error => 'column "blocking_timeout" does not exist',
	# a change to the table makes the worker reload it at once, and again
	# at every tick while that fails
	damage => q{ALTER TABLE lifeguard.policies DROP COLUMN blocking_timeout;
		UPDATE lifeguard.policies SET enabled = true},
	during => sub {
		my ($seq) = @_;
		is( monitor_query(
				q{SELECT name || ' ' || statement_timeout FROM lifeguard.policy_status()}),
			'stmt 00:00:00.5',
			'policy reload: the policies published before are still in force');
		ok(policy_cancels(), '... and the statement_timeout policy still cancels');
		ok( monitor_poll(
				qq{SELECT count(*) = 1 FROM lifeguard.recent_events()
				   WHERE kind = 'statement_timeout' AND policy = 'stmt' AND seq > $seq}),
			'... and records it in the event ring');
		ok( monitor_poll(
				qq{SELECT count(*) = 1 FROM lifeguard.events
				   WHERE kind = 'statement_timeout' AND seq > $seq}),
			'... which the event log writes to lifeguard.events');
		my $samples = monitor_query(
			q{SELECT count(*) FROM lifeguard.slot_history('1 hour')});
		ok( monitor_poll(
				qq{SELECT count(*) >= $samples + 2 FROM lifeguard.slot_history('1 hour')}),
			'... and the slot history goes on');
		monitor_query(
			q{INSERT INTO lifeguard.jobs (name, expected_every) VALUES ('hourly', '1 s')});
		ok( monitor_poll(
				qq{SELECT count(*) = 1 FROM lifeguard.recent_events()
				   WHERE kind = 'job_late' AND detail LIKE 'job "hourly" is late%'
				     AND seq > $seq}),
			'... and so do the job checks');
	},
	repair => q{ALTER TABLE lifeguard.policies ADD COLUMN blocking_timeout interval},
	after => sub {
		monitor_query(q{UPDATE lifeguard.policies SET statement_timeout = '700ms'});
		ok( monitor_poll(
				q{SELECT statement_timeout = interval '700ms' FROM lifeguard.policy_status()
				  WHERE name = 'stmt'}),
			'policy reload: a change made after the repair is in force');
	});

### lifeguard.events

my $written;
damage(
	part => 'event log write',
	error => 'column "detail" of relation "events" does not exist',
	damage => q{ALTER TABLE lifeguard.events RENAME COLUMN detail TO detail_was},
	during => sub {
		my ($seq) = @_;
		ok(policy_cancels(), 'event log write: the policy still cancels');
		ok( monitor_poll(
				qq{SELECT count(*) = 1 FROM lifeguard.recent_events()
				   WHERE kind = 'statement_timeout' AND seq > $seq}),
			'... and the event is in the ring');
		is( monitor_query(
				qq{SELECT count(*) FROM lifeguard.events WHERE seq > $seq}),
			'0',
			'... but not in lifeguard.events');
		ok(monitor_poll('SELECT events_pending > 0 FROM lifeguard.worker_status()'),
			'... where it waits to be written');
		$written = $seq;
	},
	repair => q{ALTER TABLE lifeguard.events RENAME COLUMN detail_was TO detail},
	after => sub {
		ok( monitor_poll(
				qq{SELECT count(*) = 1 FROM lifeguard.events
				   WHERE kind = 'statement_timeout' AND seq > $written}),
			'event log write: repaired, the events held in the ring are written');
		ok( monitor_poll(
				qq{SELECT string_agg(kind || ':' || (detail->>'message'), ',' ORDER BY seq)
				   FROM lifeguard.events WHERE kind LIKE 'worker_%' AND seq > $written},
				'worker_error:event log write failed: column "detail" of relation "events" does not exist,'
				  . 'worker_recovered:event log write works again'),
			'... and so are the failure and the recovery, once each');
	});

### lifeguard.jobs (the view the job check reads)

damage(
	part => 'job check',
	error => 'column "status" does not exist',
	damage => q{ALTER VIEW lifeguard.jobs RENAME COLUMN status TO state},
	during => sub {
		my ($seq) = @_;
		$node->safe_psql(
			'postgres', q{
BEGIN;
CREATE TABLE holey (k int) PARTITION BY RANGE (k);
CREATE TABLE holey_1 PARTITION OF holey FOR VALUES FROM (0) TO (10);
CREATE TABLE holey_3 PARTITION OF holey FOR VALUES FROM (20) TO (30);
COMMIT;
});
		ok( monitor_poll(
				qq{SELECT count(*) = 1 FROM lifeguard.recent_events()
				   WHERE kind = 'partition_warning' AND seq > $seq
				     AND detail LIKE 'public.holey: 1 gap%'}),
			'job check: the partition check goes on');
	},
	repair => q{ALTER VIEW lifeguard.jobs RENAME COLUMN state TO status});

### lifeguard.job_registry (pg_cron's runs are read into it)
SKIP:
{
	# damage()'s 9 checks and the 1 of "during"
	skip 'pg_cron is not installed for PostgreSQL ' . pg_major(), 10 unless $have_cron;

	damage(
		part => 'pg_cron check',
		error => 'column "cron_last_runid" does not exist',
		damage => q{ALTER TABLE lifeguard.job_registry RENAME COLUMN cron_last_runid TO cron_last},
		during => sub {
			my ($seq) = @_;
			monitor_query(
				q{INSERT INTO lifeguard.jobs (name, expected_every) VALUES ('often', '1 s')});
			ok( monitor_poll(
					qq{SELECT count(*) = 1 FROM lifeguard.recent_events()
					   WHERE kind = 'job_late' AND detail LIKE 'job "often" is late%'
					     AND seq > $seq}),
				'pg_cron check: the job check goes on');
		},
		repair => q{ALTER TABLE lifeguard.job_registry RENAME COLUMN cron_last TO cron_last_runid});
}

is( monitor_query(
		q{SELECT count(*) FROM lifeguard.recent_events()
		  WHERE kind = 'worker_error' AND detail LIKE 'tick failed%'}),
	'0',
	'no tick failed as a whole');

$node->stop;
done_testing();
