# Strings a client controls reach SQL output as valid text.
#  - A client names any bytes as its database in the startup packet, and
#    PostgreSQL cuts a name longer than 63 bytes in the middle of a
#    character if need be.  A login refused by a cap records that name in a
#    cap_refused event; recent_events() and lifeguard.events then read it
#    back, bytes that are not UTF-8 as '?', with client_encoding LATIN1
#    (which converts, and would fail on an invalid byte), from a SQL_ASCII
#    database (which passes bytes through unchecked to a UTF-8 client) and
#    from a LATIN1 database (which converts the UTF-8 text of the ring into
#    its own encoding, '?' for what it lacks).
#  - A role created in a SQL_ASCII database may be named in any bytes; its
#    refused login is recorded the same way, in the event's role and in its
#    detail.
#  - A policy's application_name pattern is held in 63 bytes: the CHECK
#    constraint counts bytes, so 32 two-byte characters are refused rather
#    than cut inside the last one, and 63 bytes are published intact.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use LifeguardTest;

# Perl strings below are bytes: "\xc3\xa9" is e-acute in UTF-8, "\xe9" in
# LATIN1, "\xe2\x82\xac" the euro sign (not in LATIN1).
my $node = start_node('strings', '', initdb => [ '--encoding=UTF8', '--locale=C' ]);

$node->safe_psql(
	'postgres', q{
CREATE ROLE capped LOGIN;
INSERT INTO lifeguard.policies (name, role_name, max_connections)
VALUES ('capped_cap', 'capped', 0);
INSERT INTO lifeguard.policies (name, application_name, max_connections)
VALUES ('odd_cap', 'odd-app', 0);
CREATE DATABASE ascii_db TEMPLATE template0 ENCODING 'SQL_ASCII'
  LC_COLLATE 'C' LC_CTYPE 'C';
CREATE DATABASE latin1_db TEMPLATE template0 ENCODING 'LATIN1'
  LC_COLLATE 'C' LC_CTYPE 'C';
});
$node->safe_psql($_, 'CREATE EXTENSION pg_lifeguard') foreach ('ascii_db', 'latin1_db');
ok( $node->poll_query_until(
		'postgres', q{SELECT count(*) = 2 FROM lifeguard.policy_status()}),
	'both cap policies are in force');

# psql's output of $sql in $db with that client_encoding: (exit code, out, err)
sub read_as
{
	my ($db, $encoding, $sql) = @_;
	my ($ret, $out, $err) =
	  $node->psql($db, "SET client_encoding = '$encoding';\n$sql");
	return ($ret, $out, $err);
}

sub valid_utf8
{
	my ($bytes) = @_;
	return utf8::decode(my $copy = $bytes);
}

# Wait for the refusal limiter's second to pass since the last cap_refused
# event, so that the next refusal is recorded with its subject
sub refusal_second_passes
{
	return $node->poll_query_until(
		'postgres', q{SELECT coalesce(now() - max(event_time) > interval '1.2 s', true)
		  FROM lifeguard.recent_events() WHERE kind = 'cap_refused'});
}

### A database name in raw bytes, cut by PostgreSQL at 63 bytes

# "caf", a byte that starts a 3-byte sequence followed by one that never
# appears in UTF-8, "-", then 30 e-acutes: 66 bytes, which PostgreSQL cuts
# to 63, in the middle of the 29th e-acute.
my $dbname = "caf\xe9\xff-" . ("\xc3\xa9" x 30);
$node->connect_fails(
	"dbname=$dbname user=capped",
	'a login of the capped role, to a database named in raw bytes, is refused',
	expected_stderr => qr/too many connections for pg_lifeguard policy "capped_cap"/);
ok( $node->poll_query_until(
		'postgres', q{SELECT count(*) = 1 FROM lifeguard.recent_events()
		  WHERE kind = 'cap_refused' AND policy = 'capped_cap'}),
	'the refusal is a cap_refused event');

my $db_utf8 = "caf??-" . ("\xc3\xa9" x 28) . '?';
my $db_latin1 = "caf??-" . ("\xe9" x 28) . '?';
my $events_sql = q{SELECT database, role, detail FROM lifeguard.recent_events()
  WHERE kind = 'cap_refused' AND policy = 'capped_cap'};

my ($ret, $out, $err) = read_as('postgres', 'LATIN1', $events_sql);
is($ret, 0, 'recent_events() reads with client_encoding LATIN1')
  or diag $err;
is( $out,
	"$db_latin1|capped|login of role \"capped\" refused: policy \"capped_cap\" allows 0 connections and 0 are in use",
	'... the database name with "?" for the bytes that are not UTF-8, cut at a character');

($ret, $out, $err) = read_as('ascii_db', 'UTF8', $events_sql);
is($ret, 0, 'recent_events() reads in a SQL_ASCII database') or diag $err;
ok(valid_utf8($out), '... which passes valid UTF-8 to a UTF-8 client');
like($out, qr/^\Q$db_utf8\E\|capped\|/, '... the same name');

($ret, $out, $err) = read_as('latin1_db', 'UTF8', $events_sql);
is($ret, 0, 'recent_events() reads in a LATIN1 database') or diag $err;
like($out, qr/^\Q$db_utf8\E\|capped\|/,
	'... converted to LATIN1 and back: the same name');

ok( $node->poll_query_until(
		'postgres', q{SELECT count(*) = 1 FROM lifeguard.events
		  WHERE kind = 'cap_refused' AND policy = 'capped_cap'}),
	'the worker wrote the event to lifeguard.events');
($ret, $out, $err) = read_as(
	'postgres', 'LATIN1', q{SELECT database, role, detail->>'message'
	  FROM lifeguard.events WHERE kind = 'cap_refused' AND policy = 'capped_cap'});
is($ret, 0, 'lifeguard.events reads with client_encoding LATIN1') or diag $err;
like($out, qr/^\Q$db_latin1\E\|capped\|login of role "capped" refused/,
	'... the same name');

### A role named in raw bytes, created in a SQL_ASCII database

my $role = "odd\xffrole\xe2\x82\xac";
{
	local $ENV{PGCLIENTENCODING} = 'SQL_ASCII';
	$node->safe_psql('ascii_db', qq{CREATE ROLE "$role" LOGIN});
}
ok(refusal_second_passes(), 'a second passes since the last refusal event');
$node->connect_fails(
	"dbname=postgres user=$role application_name=odd-app",
	'a login of a role named in raw bytes is refused by a cap',
	expected_stderr => qr/too many connections for pg_lifeguard policy "odd_cap"/);
ok( $node->poll_query_until(
		'postgres', q{SELECT count(*) = 1 FROM lifeguard.events
		  WHERE kind = 'cap_refused' AND policy = 'odd_cap'}),
	'the refusal is an event, written to lifeguard.events');

my $role_utf8 = "odd?role\xe2\x82\xac";
my $odd_sql = q{SELECT role, detail FROM lifeguard.recent_events()
  WHERE kind = 'cap_refused' AND policy = 'odd_cap'};
($ret, $out, $err) = read_as('postgres', 'UTF8', $odd_sql);
is($ret, 0, 'recent_events() reads the event') or diag $err;
ok(valid_utf8($out), '... as valid UTF-8');
is( $out,
	"$role_utf8|login of role \"$role_utf8\" refused: policy \"odd_cap\" allows 0 connections and 0 are in use",
	'... the role name, in the role and in the detail, with "?" for the byte that is not UTF-8');

($ret, $out, $err) = read_as('ascii_db', 'UTF8', $odd_sql);
is($ret, 0, 'recent_events() reads it in a SQL_ASCII database') or diag $err;
ok(valid_utf8($out), '... as valid UTF-8');

($ret, $out, $err) = read_as('latin1_db', 'UTF8', $odd_sql);
is($ret, 0, 'recent_events() reads it in a LATIN1 database') or diag $err;
like($out, qr/^odd\?role\?\|/,
	'... the euro sign, which LATIN1 lacks, as "?"');

($ret, $out, $err) = read_as(
	'postgres', 'UTF8', q{SELECT role, detail->>'message' FROM lifeguard.events
	  WHERE kind = 'cap_refused' AND policy = 'odd_cap'});
is($ret, 0, 'lifeguard.events reads the event') or diag $err;
ok(valid_utf8($out), '... as valid UTF-8');
like($out, qr/^\Q$role_utf8\E\|login of role "\Q$role_utf8\E" refused/,
	'... the same role name');

### application_name patterns are held in 63 bytes

($ret, $out, $err) = $node->psql(
	'postgres', q{INSERT INTO lifeguard.policies (name, application_name, max_connections)
	  VALUES ('wide_pattern', repeat(U&'\00e9', 32), 10)});
isnt($ret, 0, 'a pattern of 32 two-byte characters (64 bytes) is refused');
like(
	$err,
	qr/violates check constraint "policies_application_name_check"/,
	'... by policies_application_name_check');
$node->safe_psql(
	'postgres', q{INSERT INTO lifeguard.policies (name, application_name, max_connections)
	  VALUES ('full_pattern', repeat(U&'\00e9', 31) || '%', 10)});
ok( $node->poll_query_until(
		'postgres', q{SELECT count(*) = 1 FROM lifeguard.policy_status()
		  WHERE name = 'full_pattern'}),
	'a pattern of exactly 63 bytes is accepted and published');
($ret, $out, $err) = read_as(
	'postgres', 'LATIN1', q{SELECT application_name,
	    application_name = repeat(U&'\00e9', 31) || '%'
	  FROM lifeguard.policy_status() WHERE name = 'full_pattern'});
is($ret, 0, 'policy_status() reads with client_encoding LATIN1') or diag $err;
is($out, ("\xe9" x 31) . '%|t', '... the pattern intact');

$node->stop;
done_testing();
