# The privilege matrix: every SQL object of pg_lifeguard and its HTTP
# endpoint, against seven classes of role (a plain role, a member of
# pg_monitor, a member of pg_signal_backend, a job's owner, the database's
# owner, a member of a role in lifeguard.admin_roles, a superuser), each
# cell checked by running the statement as that role:
#  - one data structure (@matrix) holds every cell; docs/security.md's table
#    under "## Privilege matrix" must be exactly the table rendered from it, and
#    every member of the extension (pg_depend) must have a row, so a new
#    function, table or view without one fails here;
#  - "yes" cells must run without error, "42501" (and "39P01") cells must
#    fail with that SQLSTATE, for every statement of the row (writes use
#    statements that change no row: the privilege check comes first);
#  - shed_idle() (dry run, nothing is ended) is called by each class while
#    an idle session of every class is open: each caller gets exactly the
#    sessions it may end, superusers' and admins' never, and for a session
#    of a role whose privileges it lacks, client_addr and idle_for are NULL
#    unless it has pg_read_all_stats, as pg_stat_activity (checked in the
#    same query, as the same caller) hides state_change;
#  - anyone may LISTEN on channel lifeguard (lifeguard.notify = on): every
#    class gets the notification of a login refused by a cap, and it says
#    only the event's seq, time, kind and severity, not the role or the
#    application it is about;
#  - the HTTP endpoint has no database role: with lifeguard.http_token set,
#    /metrics, /health and /events answer 401 without the token or with a
#    wrong one, and answer with it; who may read the token is a row too.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use LifeguardTest;
use LifeguardHttp;
use JSON::PP;
use Time::HiRes qw(time usleep);

# --- the matrix ---------------------------------------------------------------

# Role classes, in the order of the README's columns: key, column title,
# the login role that stands for the class here.
my @classes = (
	[ plain => 'plain role', 'matrix_plain' ],
	[ monitor => '`pg_monitor` member', 'matrix_monitor' ],
	[ signal => '`pg_signal_backend` member', 'matrix_signal' ],
	[ job_owner => 'job owner', 'matrix_jobowner' ],
	[ db_owner => 'database owner', 'matrix_dbowner' ],
	[ admin => '`admin_roles` member', 'matrix_admin' ],
	[ superuser => 'superuser', 'matrix_super' ],);

# What a cell may say (README.md explains each under the table)
my %outcomes =
  map { $_ => 1 } qw(yes 42501 39P01 own all masked summary token);

# The job the job owner owns
my $job = 'matrix_job';

# row($label, $cells, $objects, @statements): one row of the matrix.
# $label is the README's first column; $cells one outcome per class, in the
# order of @classes; $objects the extension members the row is about (as
# pg_depend names them: regprocedure or regclass text), or undef; each
# statement must give the cell's outcome.
sub row
{
	my ($label, $cells, $objects, @sql) = @_;
	my @cells = split ' ', $cells;
	die "row $label: " . scalar(@cells) . ' cells' unless @cells == @classes;
	die "row $label: unknown outcome" if grep { !$outcomes{$_} } @cells;
	return {
		label => $label,
		cells => \@cells,
		objects => ref $objects ? $objects : [ $objects // () ],
		sql => \@sql
	};
}

my $shed_sql = q{SELECT s.pid, s.role, s.database, s.application,
       s.client_addr IS NULL, s.idle_for IS NULL, s.terminated,
       (SELECT a.state_change IS NULL FROM pg_stat_activity a WHERE a.pid = s.pid)
  FROM lifeguard.shed_idle('0', NULL, 'matrix_idle') s ORDER BY s.pid};

# Cells, in the order of @classes: plain, pg_monitor, pg_signal_backend,
# job owner, database owner, admin_roles, superuser.
my @matrix = (
	row('`worker_status()`', '42501 yes 42501 42501 42501 42501 yes',
		'lifeguard.worker_status()',
		'SELECT count(*) FROM lifeguard.worker_status()'),
	row('`recent_events()`', '42501 yes 42501 42501 42501 42501 yes',
		'lifeguard.recent_events(timestamp with time zone)',
		'SELECT count(*) FROM lifeguard.recent_events()'),
	row('`slots()`', '42501 yes 42501 42501 42501 42501 yes',
		'lifeguard.slots()',
		'SELECT count(*) FROM lifeguard.slots()'),
	row('`slot_usage()`', '42501 yes 42501 42501 42501 42501 yes',
		'lifeguard.slot_usage(text)',
		q{SELECT count(*) FROM lifeguard.slot_usage('role')},
		q{SELECT count(*) FROM lifeguard.slot_usage('client_addr')}),
	row('`slot_history()`', '42501 yes 42501 42501 42501 42501 yes',
		'lifeguard.slot_history(interval)',
		'SELECT count(*) FROM lifeguard.slot_history()'),
	row('`policy_status()`', '42501 yes 42501 42501 42501 42501 yes',
		'lifeguard.policy_status()',
		'SELECT count(*) FROM lifeguard.policy_status()'),
	row('`shed_idle()` (rows returned, `dry_run`)',
		'own own masked own own own all',
		'lifeguard.shed_idle(interval,text,text,boolean)', $shed_sql),
	row('`blockers()`', '42501 yes 42501 42501 42501 42501 yes',
		'lifeguard.blockers()',
		'SELECT count(*) FROM lifeguard.blockers()'),
	row('`partitions()`', '42501 yes 42501 42501 42501 42501 yes',
		'lifeguard.partitions()',
		'SELECT count(*) FROM lifeguard.partitions()'),
	row('`metrics()`', '42501 yes 42501 42501 42501 42501 yes',
		'lifeguard.metrics()', 'SELECT length(lifeguard.metrics()) > 0'),
	row('`report()`', '42501 yes 42501 42501 42501 42501 yes',
		'lifeguard.report(integer)',
		'SELECT count(*) FROM lifeguard.report()'),
	row('`job_status()`', 'yes yes yes yes yes yes yes',
		'lifeguard.job_status(interval,interval,timestamp with time zone,timestamp with time zone,integer,timestamp with time zone)',
		q{SELECT lifeguard.job_status('1 hour', '1 day', now(), NULL, 0)}),
	row('`job_start()`', '42501 42501 42501 yes 42501 42501 yes',
		'lifeguard.job_start(text)', qq{SELECT lifeguard.job_start('$job')}),
	row('`job_success()`', '42501 42501 42501 yes 42501 42501 yes',
		'lifeguard.job_success(text)',
		qq{SELECT lifeguard.job_success('$job')}),
	row('`job_failure()`', '42501 42501 42501 yes 42501 42501 yes',
		'lifeguard.job_failure(text,text)',
		qq{SELECT lifeguard.job_failure('$job', 'matrix')}),
	row('`CALL run_maintenance()`',
		'42501 42501 42501 yes 42501 42501 yes',
		'lifeguard.run_maintenance(text,text,interval,integer,interval)',
		qq{CALL lifeguard.run_maintenance('$job', 'SELECT 1')}),
	row('`_cron_ingest()` (internal, the worker calls it)',
		'42501 42501 42501 42501 42501 42501 yes',
		'lifeguard._cron_ingest(regclass,regclass)',
		'SELECT lifeguard._cron_ingest(NULL, NULL)'),
	row('`_policies_changed()` (internal), called directly',
		'42501 42501 42501 42501 42501 42501 39P01',
		'lifeguard._policies_changed()',
		'SELECT lifeguard._policies_changed()'),
	row('`_policies_changed()`, as a trigger on a table of the caller\'s',
		'42501 42501 42501 42501 42501 42501 yes',
		'lifeguard._policies_changed()',
		q{BEGIN;
CREATE TEMP TABLE matrix_t (k int);
CREATE TRIGGER matrix_t_changed AFTER INSERT ON matrix_t
  FOR EACH STATEMENT EXECUTE FUNCTION lifeguard._policies_changed();
INSERT INTO matrix_t VALUES (1);
ROLLBACK}),
	row('`policies`: `SELECT`', '42501 yes 42501 42501 42501 42501 yes',
		'lifeguard.policies', 'SELECT count(*) FROM lifeguard.policies'),
	row('`policies`: `INSERT`, `UPDATE`, `DELETE`',
		'42501 42501 42501 42501 42501 42501 yes',
		'lifeguard.policies',
		q{INSERT INTO lifeguard.policies (name) SELECT 'matrix_probe' WHERE false},
		'UPDATE lifeguard.policies SET comment = NULL WHERE false',
		'DELETE FROM lifeguard.policies WHERE false'),
	row('`events`: `SELECT`', '42501 yes 42501 42501 42501 42501 yes',
		'lifeguard.events', 'SELECT count(*) FROM lifeguard.events'),
	row('`events`: `INSERT`, `UPDATE`, `DELETE`',
		'42501 42501 42501 42501 42501 42501 yes',
		'lifeguard.events',
		q{INSERT INTO lifeguard.events (event_time, seq, kind, severity, detail)
SELECT now(), 0, 'matrix', 'info', '{}' WHERE false},
		q{UPDATE lifeguard.events SET detail = '{}' WHERE false},
		'DELETE FROM lifeguard.events WHERE false'),
	row('`jobs` (view): `SELECT`', '42501 yes 42501 42501 42501 42501 yes',
		'lifeguard.jobs', 'SELECT count(*) FROM lifeguard.jobs'),
	row('`jobs` (view): `INSERT`, `UPDATE`, `DELETE` (without a grant)',
		'42501 42501 42501 42501 42501 42501 yes',
		'lifeguard.jobs',
		q{INSERT INTO lifeguard.jobs (name, expected_every)
SELECT 'matrix_probe', interval '1 day' WHERE false},
		'UPDATE lifeguard.jobs SET comment = NULL WHERE false',
		'DELETE FROM lifeguard.jobs WHERE false'),
	row('`job_registry`: `SELECT`, `INSERT`, `UPDATE`, `DELETE`',
		'42501 42501 42501 42501 42501 42501 yes',
		'lifeguard.job_registry',
		'SELECT count(*) FROM lifeguard.job_registry',
		q{INSERT INTO lifeguard.job_registry (name, expected_every)
SELECT 'matrix_probe', interval '1 day' WHERE false},
		'UPDATE lifeguard.job_registry SET comment = NULL WHERE false',
		'DELETE FROM lifeguard.job_registry WHERE false'),
	row('`job_runs`: `SELECT`', '42501 yes 42501 42501 42501 42501 yes',
		'lifeguard.job_runs', 'SELECT count(*) FROM lifeguard.job_runs'),
	row('`job_runs`: `INSERT`, `UPDATE`, `DELETE`',
		'42501 42501 42501 42501 42501 42501 yes',
		'lifeguard.job_runs',
		qq{INSERT INTO lifeguard.job_runs (job_name, source, status)
SELECT '$job', 'heartbeat', 'running' WHERE false},
		'UPDATE lifeguard.job_runs SET error = NULL WHERE false',
		'DELETE FROM lifeguard.job_runs WHERE false'),
	row('`events_id_seq`, `job_runs_run_id_seq`: `SELECT`',
		'42501 42501 42501 42501 42501 42501 yes',
		[ 'lifeguard.events_id_seq', 'lifeguard.job_runs_run_id_seq' ],
		'SELECT last_value FROM lifeguard.events_id_seq',
		'SELECT last_value FROM lifeguard.job_runs_run_id_seq'),
	row('schema `lifeguard`: `USAGE`', 'yes yes yes yes yes yes yes',
		undef, q{SELECT 'lifeguard.policies'::regclass}),
	row('schema `lifeguard`: `CREATE`',
		'42501 42501 42501 42501 42501 42501 yes',
		undef, q{BEGIN;
CREATE TABLE lifeguard.matrix_probe (k int);
ROLLBACK}),
	row('`SHOW lifeguard.http_token`',
		'42501 yes 42501 42501 42501 42501 yes',
		undef, 'SHOW lifeguard.http_token'),
	row('`LISTEN lifeguard` (`lifeguard.notify = on`)',
		'summary summary summary summary summary summary summary', undef),
	row('HTTP endpoint (`/metrics`, `/health`, `/events`): no database role, the bearer token `lifeguard.http_token`',
		'token token token token token token token', undef),);

# The README table, rendered from @matrix
sub render_table
{
	my @lines = (
		'| object | ' . join(' | ', map { $_->[1] } @classes) . ' |',
		'|' . (' --- |' x (1 + @classes)));
	push @lines, "| $_->{label} | " . join(' | ', @{ $_->{cells} }) . ' |'
	  foreach @matrix;
	return @lines;
}

# --- docs/security.md says the same -------------------------------------------

my $readme = "$FindBin::RealBin/../../docs/security.md";
my @readme_table;
if (open my $fh, '<', $readme)
{
	my $in_section = 0;
	while (my $line = <$fh>)
	{
		chomp $line;
		if ($line =~ /^## /)
		{
			last if $in_section;
			$in_section = $line eq '## Privilege matrix';
			next;
		}
		next unless $in_section;
		if ($line =~ /^\|/)
		{
			$line =~ s/\s+$//;
			push @readme_table, $line;
		}
		elsif (@readme_table)
		{
			last;
		}
	}
	close $fh;
}
ok(@readme_table, 'docs/security.md has a table under "## Privilege matrix"');
is(join("\n", @readme_table), join("\n", render_table()),
	"docs/security.md's privilege matrix is the one this test checks")
  or diag "the table rendered from \@matrix:\n" . join("\n", render_table());

# --- the cluster and the roles ----------------------------------------------------

my $port = PostgreSQL::Test::Cluster::get_free_port();
my $token = 'matrix-token-7f3a';
my $node = start_node(
	'matrix', qq{
max_connections = 40
lifeguard.admin_roles = 'matrix_admins'
lifeguard.http_port = $port
lifeguard.http_token = '$token'
lifeguard.notify = on
});

$node->safe_psql(
	'postgres', qq{
CREATE ROLE matrix_plain LOGIN;
CREATE ROLE matrix_monitor LOGIN IN ROLE pg_monitor;
CREATE ROLE matrix_signal LOGIN IN ROLE pg_signal_backend;
CREATE ROLE matrix_jobowner LOGIN;
CREATE ROLE matrix_dbowner LOGIN;
CREATE ROLE matrix_admins NOLOGIN;
CREATE ROLE matrix_admin LOGIN IN ROLE matrix_admins;
CREATE ROLE matrix_super LOGIN SUPERUSER;
CREATE ROLE matrix_signal_stats LOGIN IN ROLE pg_signal_backend, pg_read_all_stats;
CREATE ROLE matrix_capped LOGIN;
ALTER DATABASE postgres OWNER TO matrix_dbowner;
INSERT INTO lifeguard.jobs (name, expected_every, owner)
VALUES ('$job', '1 day', 'matrix_jobowner');
});
is( $node->safe_psql(
		'postgres', q{
SELECT string_agg(r.rolname || ':' || pg_has_role(r.rolname, 'pg_monitor', 'USAGE')
                  || ':' || pg_has_role(r.rolname, 'pg_signal_backend', 'USAGE')
                  || ':' || r.rolsuper, ' ' ORDER BY r.rolname)
  FROM pg_roles r WHERE r.rolname LIKE 'matrix\_%' AND r.rolcanlogin}),
	'matrix_admin:false:false:false matrix_capped:false:false:false '
	  . 'matrix_dbowner:false:false:false '
	  . 'matrix_jobowner:false:false:false matrix_monitor:true:false:false '
	  . 'matrix_plain:false:false:false matrix_signal:false:true:false '
	  . 'matrix_signal_stats:false:true:false matrix_super:true:true:true',
	'each role has the privileges of its class and no other');
is( $node->safe_psql(
		'postgres', qq{
SELECT (SELECT datdba::regrole FROM pg_database WHERE datname = 'postgres')
       || ' ' || (SELECT owner FROM lifeguard.jobs WHERE name = '$job')}),
	'matrix_dbowner matrix_jobowner',
	'matrix_dbowner owns the database, matrix_jobowner the job');

# --- every member of the extension has a row ---------------------------------------

my %in_matrix = map { $_ => 1 } map { @{ $_->{objects} } } @matrix;
my %members = map { $_ => 1 } split /\n/, $node->safe_psql(
	'postgres', q{
SELECT CASE d.classid
         WHEN 'pg_proc'::regclass THEN d.objid::regprocedure::text
         WHEN 'pg_class'::regclass THEN d.objid::regclass::text
         ELSE pg_describe_object(d.classid, d.objid, d.objsubid) END
  FROM pg_depend d
 WHERE d.refclassid = 'pg_extension'::regclass
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_lifeguard')
   AND d.deptype = 'e'
   -- the row type of a relation, and its array type, are members of their
   -- own in PostgreSQL 18 (not 15): the relation's row covers them
   AND NOT (d.classid = 'pg_type'::regclass
            AND EXISTS (SELECT FROM pg_type t LEFT JOIN pg_type e ON e.oid = t.typelem
                         WHERE t.oid = d.objid
                           AND (t.typrelid <> 0 OR e.typrelid <> 0)))});
ok(keys %members > 20, 'the extension has its members (' . scalar(keys %members) . ')');
is(join(', ', sort grep { !$in_matrix{$_} } keys %members),
	'', 'every function, procedure, table, view and sequence of the extension has a row');
is(join(', ', sort grep { !$members{$_} } keys %in_matrix),
	'', 'every object named in the matrix is a member of the extension');

# --- sessions: one idle session of every class, one caller of every class ----

sub open_session { return LifeguardTest::open_session($node, @_); }

my (%victim, %caller);
foreach my $c (@classes)
{
	my ($key, undef, $role) = @$c;
	$victim{$key} = open_session($role, 'matrix_idle');
	$victim{$key}{role} = $role;
	$victim{$key}{exempt} = ($key eq 'admin' || $key eq 'superuser');
	$caller{$key} = open_session($role, 'matrix_caller', on_error_stop => 0);
	$caller{$key}{role} = $role;
}
$caller{signal_stats} =
  open_session('matrix_signal_stats', 'matrix_caller', on_error_stop => 0);
$caller{signal_stats}{role} = 'matrix_signal_stats';
foreach my $s (values %caller)
{
	$s->{h}->query_safe('\set VERBOSITY verbose');
	$s->{h}->query_safe('\set SHOW_CONTEXT never');
}
ok( $node->poll_query_until(
		'postgres', q{
SELECT count(*) = 7 FROM pg_stat_activity
 WHERE application_name = 'matrix_idle' AND state = 'idle'}),
	'an idle session of every class is open');

# run_sql($session, $sql): 'yes' when it ran without error, else the
# SQLSTATE of its first error, and that error's message.
sub run_sql
{
	my ($s, $sql) = @_;
	$s->{h}{stderr} = '';
	my $out = $s->{h}->query($sql);
	my $err = $s->{h}{stderr};
	$s->{h}{stderr} = '';
	return ('yes', $out) unless $err =~ /(ERROR|FATAL)/;
	return ($1, $2) if $err =~ /(?:ERROR|FATAL):\s+([0-9A-Z]{5}):\s*([^\n]*)/;
	return ("unparsed error", $err);
}

# The rows shed_idle() must return to $class, as $shed_sql prints them:
# for 'own', the idle sessions of its own role; for 'all' and 'masked',
# every one; never a superuser's or an admin's.  'masked' hides client_addr
# and idle_for of other roles' sessions, as pg_stat_activity hides their
# state_change.
sub shed_expected
{
	my ($class, $outcome) = @_;
	my $role = $caller{$class}{role};
	my @rows;
	foreach my $v (sort { $a->{pid} <=> $b->{pid} } values %victim)
	{
		next if $v->{exempt};
		my $own = $v->{role} eq $role;
		next if $outcome eq 'own' && !$own;
		my $hidden = ($outcome eq 'masked' && !$own) ? 't' : 'f';
		push @rows,
		  join('|', $v->{pid}, $v->{role}, 'postgres', 'matrix_idle',
			$hidden, $hidden, 'f', $hidden);
	}
	return join("\n", @rows);
}

# --- every cell -------------------------------------------------------------------

foreach my $r (@matrix)
{
	for my $i (0 .. $#classes)
	{
		my ($key, $title) = @{ $classes[$i] }[ 0, 1 ];
		my $want = $r->{cells}[$i];
		my $name = "$r->{label} / $title: $want";
		$name =~ s/`//g;
		my $s = $caller{$key};

		if ($want eq 'token' || $want eq 'summary')
		{
			next;    # checked below, for every class at once
		}
		elsif ($want eq 'own' || $want eq 'all' || $want eq 'masked')
		{
			my ($got, $out) = run_sql($s, $r->{sql}[0]);
			is("$got\n$out", "yes\n" . shed_expected($key, $want), $name);
			next;
		}

		my @got;
		foreach my $sql (@{ $r->{sql} })
		{
			my ($got, $msg) = run_sql($s, $sql);
			push @got, $got;
			diag "$name: $sql\n-> $got: $msg" if $got ne $want;
		}
		my %seen;
		is(join(',', grep { !$seen{$_}++ } @got), $want, $name);
	}
}

# pg_stat_activity's rule is about pg_read_all_stats, not about signalling:
# with it as well as pg_signal_backend, nothing is hidden
{
	my ($got, $out) = run_sql($caller{signal_stats}, $shed_sql);
	is( "$got\n$out",
		"yes\n" . shed_expected('signal_stats', 'all'),
		'shed_idle() / pg_signal_backend and pg_read_all_stats member: all, nothing hidden'
	);
}

# Nothing was ended: every idle session is still there
is( $node->safe_psql(
		'postgres', q{
SELECT count(*) FROM pg_stat_activity WHERE application_name = 'matrix_idle'}),
	'7', 'shed_idle() in dry run ended no session');

# --- LISTEN lifeguard: anyone, and the payload says only what anyone may know

$_->{h}->query_safe('LISTEN lifeguard') foreach values %caller;
$node->safe_psql('postgres',
	q{INSERT INTO lifeguard.policies (name, role_name, max_connections)
	  VALUES ('matrix_cap', 'matrix_capped', 0)});
ok( $node->poll_query_until(
		'postgres',
		q{SELECT count(*) = 1 FROM lifeguard.policy_status() WHERE name = 'matrix_cap'}),
	'the worker publishes a cap of 0 for matrix_capped');
{
	local $ENV{PGAPPNAME} = 'matrix_secret_app';
	my ($rc, $out, $err) = $node->psql(
		'postgres', 'SELECT 1',
		extra_params => [ '-U', 'matrix_capped' ]);
	like($err, qr/too many connections for pg_lifeguard policy "matrix_cap"/,
		'a login of matrix_capped is refused (an event naming its role and application)');
}

# notified($session): the payload of the cap_refused notification the
# session received, waiting for it until the deadline; undef without one.
sub notified
{
	my ($s) = @_;
	my $deadline = time + $PostgreSQL::Test::Utils::timeout_default;
	my $seen = '';
	while (time < $deadline)
	{
		$seen .= $s->{h}->query('SELECT 1') . "\n";
		return $1
		  if $seen =~ /notification "lifeguard" with payload "(\{[^\n]*"cap_refused"[^\n]*\})" received/;
		usleep(50_000);
	}
	diag "no cap_refused notification; received:\n$seen";
	return undef;
}

my ($listen) = grep { $_->{label} =~ /^`LISTEN/ } @matrix;
for my $i (0 .. $#classes)
{
	my ($key, $title) = @{ $classes[$i] }[ 0, 1 ];
	my $payload = notified($caller{$key});
	my $got = 'none';
	if (defined $payload)
	{
		my $event = eval { decode_json($payload) } // {};
		$got = join(',', sort keys %$event);
		$got = 'summary' if $got eq 'event_time,kind,seq,severity';
		$got .= ' (names the role or application)'
		  if $payload =~ /matrix_capped|matrix_secret_app/;
		diag "payload: $payload" if $got ne 'summary';
	}
	is($got, $listen->{cells}[$i],
		"LISTEN lifeguard / " . ($title =~ s/`//gr) . ": $listen->{cells}[$i]");
}

# --- the HTTP endpoint: the bearer token, not a role -----------------------------------

foreach my $path ('/metrics', '/health', '/events')
{
	is(http_status($port, $path), 401, "GET $path without the token: 401");
	is(http_status($port, $path, Authorization => "Bearer $token-x"),
		401, "GET $path with a wrong token: 401");
	my $status = http_status($port, $path, Authorization => "Bearer $token");
	ok( defined $status && ($status == 200 || ($path eq '/health' && $status == 503)),
		"GET $path with the token: answered (" . ($status // 'none') . ')');
}
is( $caller{monitor}{h}->query_safe('SHOW lifeguard.http_token'),
	$token, 'a pg_monitor member reads the token the endpoint wants');

close_sessions(values %victim, values %caller);
$node->stop;
done_testing();
