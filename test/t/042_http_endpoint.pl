# The HTTP endpoint during the outage it exists for: every client slot is
# taken (no one, not even a superuser, can log in), and
# `curl http://127.0.0.1:PORT/metrics` still answers, from the HTTP worker
# that holds no client slot and is connected to no database, with slots
# critical; /health says critical (503).  Then: the metrics text passes the
# strict exposition-format checker, /events pages through the ring, and
# malformed, oversized, slow and idle requests get an error or a close while
# the watch loop keeps ticking; a bearer token, once set, is required.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use JSON::PP;
use lib "$FindBin::RealBin/../perl";
use LifeguardTest;
use LifeguardHttp;
use PromCheck;
use Time::HiRes qw(time usleep);

my $port = PostgreSQL::Test::Cluster::get_free_port();
my $node = start_node(
	'http', qq{
max_connections = 10
superuser_reserved_connections = 1
lifeguard.reserved_admin_slots = 2
lifeguard.http_port = $port
});
$node->safe_psql('postgres', 'CREATE ROLE app LOGIN');

# The HTTP worker: a background worker with no database
is( $node->safe_psql(
		'postgres', q{
SELECT count(*) || ':' || bool_and(datname IS NULL)
FROM pg_stat_activity WHERE backend_type = 'pg_lifeguard http'}),
	'1:true',
	'one HTTP worker, connected to no database');

# poll_http($path, $code): GET until it answers with $code
sub poll_http
{
	my ($path, $code) = @_;
	my $deadline = time + $PostgreSQL::Test::Utils::timeout_default;
	my $r;
	while (time < $deadline)
	{
		$r = eval { http_get($port, $path) };
		return $r if $r && defined $r->{status} && $r->{status} == $code;
		usleep(100_000);
	}
	diag "GET $path: wanted $code, last: " . ($r ? $r->{raw} : $@);
	return $r;
}

my $health = poll_http('/health', 200);
is($health->{status}, 200, '/health answers 200 before the outage');
is(decode_json($health->{body})->{status}, 'ok', '... and says ok');

# The SQL function and the endpoint: the same families, both valid
my $sql_text = $node->safe_psql('postgres', 'SELECT lifeguard.metrics()');
$sql_text =~ s/\n*\z/\n/;    # psql's output, less its own newline
my @sql_errors = prom_check($sql_text);
is_deeply(\@sql_errors, [], 'lifeguard.metrics() passes the strict format checker')
  or diag join "\n", @sql_errors;
my $r = http_get($port, '/metrics');
is($r->{status}, 200, 'GET /metrics answers 200');
like($r->{headers}{'content-type'}, qr{^text/plain; version=0\.0\.4},
	'... as Prometheus text 0.0.4');
my @http_errors = prom_check($r->{body});
is_deeply(\@http_errors, [], '... which passes the strict format checker')
  or diag join "\n", @http_errors;
my @sql_families = sort($sql_text =~ /^# TYPE (\S+)/mg);
my @http_families = sort($r->{body} =~ /^# TYPE (\S+)/mg);
is_deeply(\@http_families, \@sql_families,
	'... with the same metric families as lifeguard.metrics()');
cmp_ok(scalar @http_families, '>=', 30, '... some 30 of them');

# Fill every client slot: the 7 usable ones (the test's monitor session and
# 6 of app), then the 2 admin and 1 superuser reserved ones with superuser
# sessions
my $mon = LifeguardTest::open_session($node, 'postgres', 'monitor');
my @sessions = ($mon);
push @sessions, LifeguardTest::open_session($node, 'app', "app$_") for 1 .. 6;
push @sessions, LifeguardTest::open_session($node, 'postgres', "su$_")
  for 1 .. 3;
ok( poll_session($mon,
		q{SELECT used = 10 AND status = 'critical' FROM lifeguard.slots()}),
	'all 10 client slots taken, slots critical');
my ($rc, $out, $err) = $node->psql('postgres', 'SELECT 1');
isnt($rc, 0, 'not even a superuser can log in now');
like($err, qr/too many clients|remaining connection slots/,
	'... the server says it is full');

my $t = time;
$r = http_get($port, '/metrics');
my $took = time - $t;
is($r->{status}, 200, 'with every slot taken, GET /metrics still answers 200');
cmp_ok($took, '<', 2, '... at once');
is_deeply([ prom_check($r->{body}) ], [], '... in valid Prometheus text');
is(prom_value($r->{body}, 'pg_lifeguard_slots_used'), 10, '... slots_used 10');
is(prom_value($r->{body}, 'pg_lifeguard_slots_free'), 0, '... slots_free 0');
is(prom_value($r->{body}, 'pg_lifeguard_slots_status'),
	2, '... slots_status 2 (critical)');
is(prom_value($r->{body}, 'pg_lifeguard_role_sessions', role => 'app'),
	6, '... 6 sessions of role app');
is(prom_value($r->{body}, 'pg_lifeguard_application_sessions',
		application_name => 'app3'),
	1, '... one of application app3');

# The worker records the crossing at its next slot sample (once a second)
my $deadline = time + $PostgreSQL::Test::Utils::timeout_default;
my $critical_events = 0;
while (time < $deadline)
{
	$critical_events = prom_value(http_get($port, '/metrics')->{body},
		'pg_lifeguard_events_total', kind => 'slot_critical');
	last if $critical_events >= 1;
	usleep(100_000);
}
cmp_ok($critical_events, '>=', 1,
	'the slot_critical event is counted in /metrics');

$r = http_get($port, '/health');
is($r->{status}, 503, 'GET /health answers 503');
my $h = decode_json($r->{body});
is($h->{status}, 'critical', '... status critical');
ok((grep { /^client slots critical: 10 of 7 usable slots/ } @{ $h->{reasons} }),
	'... because of the client slots')
  or diag $r->{body};
is($h->{slots}{used}, 10, '... 10 slots used');

# /events: the ring, in pages from a sequence number
$r = http_get($port, '/events?since=0');
is($r->{status}, 200, 'GET /events?since=0 answers 200');
my $ev = decode_json($r->{body});
ok((grep { $_->{kind} eq 'slot_critical' } @{ $ev->{events} }),
	'... listing the slot_critical event');
my $next = $ev->{next_since};
is($next, $ev->{events}[-1]{seq}, '... next_since is the last seq returned');
$r = http_get($port, "/events?since=$next");
is_deeply(decode_json($r->{body})->{events}, [],
	'... and asking from there returns nothing new');
is_deeply(decode_json(http_get($port, '/events?since=18446744073709551615')->{body})->{events},
	[], 'since at the top of the range returns nothing (no wrap-around)');
is(http_status($port, '/events?since=abc'), 400, 'since=abc is a 400');
is(http_status($port, '/events?since=-1'), 400, 'since=-1 is a 400');

close_sessions(@sessions);

# Malformed requests: an error or a close, never a hang
my $ticks_before = $node->safe_psql('postgres',
	'SELECT ticks FROM lifeguard.worker_status()');
is(http_raw($port, "garbage\r\n\r\n")->{status}, 400, 'garbage: 400');
$r = http_raw($port, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
is($r->{status}, 405, 'POST: 405');
is($r->{headers}{allow}, 'GET', '... Allow: GET');
is(http_raw($port, "HEAD /metrics HTTP/1.1\r\n\r\n")->{status},
	405, 'HEAD: 405');
# A request body is never read: the answer comes after the head, and the
# connection ends within seconds even though this client does not close it
# (the server reads and drops the rest for at most 1 s).  On loopback an
# immediate close delivers the 405 too; the lingering read is for real
# networks, where closing with unread input resets the connection.
$r = http_raw($port,
	"POST /metrics HTTP/1.1\r\nContent-Length: 200000\r\n\r\n" . ('x' x 200000));
is($r->{status}, 405, 'POST with a 200 kB body: the 405 arrives');
cmp_ok($r->{closed_after}, '<', 4, '... and the connection is closed within seconds');
is(http_status($port, '/'), 404, 'GET /: 404');
is(http_status($port, '/metrics/../health'), 404, 'GET /metrics/../health: 404');
is(http_raw($port, "GET /metrics\r\n\r\n")->{status},
	400, 'no HTTP version: 400');
is(http_raw($port, "GET /metrics HTTP/2.0\r\n\r\n")->{status},
	400, 'HTTP/2.0 request line: 400');
is(http_raw($port, "GET /met\0rics HTTP/1.1\r\n\r\n")->{status},
	400, 'a NUL byte: 400');
is( http_raw($port,
		"GET /metrics HTTP/1.1\r\nX-Big: " . ('a' x 10000) . "\r\n\r\n")
	  ->{status},
	431,
	'10 kB of headers: 431');

# Slow clients are cut off after 5 s: a partial request, and one that sends
# its second half too late
$r = http_raw($port, "GET /metr", { timeout => 15 });
ok(!defined $r->{status} && $r->{raw} eq '', 'a partial request gets no answer');
cmp_ok($r->{closed_after}, '>=', 4, '... and is closed after the 5 s limit');
cmp_ok($r->{closed_after}, '<', 10, '... not much later');
$r = http_raw($port, "GET /met", "rics HTTP/1.1\r\n\r\n",
	{ pause => 6, timeout => 15 });
ok(!defined $r->{status}, 'a request trickling in over 6 s gets no answer');

# Idle connections cannot lock a real client out: 40 at once, then a GET
my @idle = map {
	IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port)
	  or die "connect: $!"
} 1 .. 40;
$t = time;
is(http_status($port, '/health'), 200,
	'with 40 idle connections open, GET /health still answers');
cmp_ok(time - $t, '<', 2, '... at once');
close $_ foreach @idle;

ok( $node->poll_query_until(
		'postgres',
		"SELECT ticks > $ticks_before + 20 FROM lifeguard.worker_status()"),
	'the worker kept ticking through all of it');
is(http_status($port, '/metrics'), 200, 'and the endpoint still answers');

# A REINDEX of pg_authid left open in a transaction locks its indexes, which
# a name lookup would scan: /metrics must not wait for it (labels by oid)
$node->safe_psql('postgres', 'CREATE ROLE fresh LOGIN');
my $fresh = LifeguardTest::open_session($node, 'fresh', 'freshapp');
my $reindexer = LifeguardTest::open_session($node, 'postgres', 'reindexer');
$reindexer->{h}->query_safe('BEGIN; REINDEX TABLE pg_authid');
$t = time;
$r = http_get($port, '/metrics');
cmp_ok(time - $t, '<', 3, 'with pg_authid being reindexed, GET /metrics answers at once');
is($r->{status}, 200, '... with 200');
like($r->{body}, qr/^pg_lifeguard_role_sessions\{role="oid:\d+"\} 1$/m,
	'... naming roles by oid meanwhile');
$reindexer->{h}->query_safe('COMMIT');
like(http_get($port, '/metrics')->{body},
	qr/^pg_lifeguard_role_sessions\{role="fresh"\} 1$/m,
	'and by name again once it is done');
close_sessions($fresh, $reindexer);

# A bearer token, once set, is required
$node->append_conf('postgresql.conf', "lifeguard.http_token = 's3cret'\n");
$node->reload;
$r = poll_http('/metrics', 401);
is($r->{status}, 401, 'with lifeguard.http_token set, no token: 401');
like($r->{headers}{'www-authenticate'}, qr/^Bearer/, '... asking for Bearer');
is(http_get($port, '/metrics', Authorization => 'Bearer wrong')->{status},
	401, 'a wrong token: 401');
is(http_get($port, '/metrics', Authorization => 'Bearer s3cre')->{status},
	401, 'a prefix of the token: 401');
is(http_get($port, '/health', Authorization => 'Basic czNjcmV0')->{status},
	401, 'Basic authentication: 401');
is(http_get($port, '/metrics', Authorization => 'Bearer s3cret')->{status},
	200, 'the token: 200');
is(http_get($port, '/health', authorization => 'bearer s3cret')->{status},
	200, 'header name and scheme are case-insensitive');

unlike(slurp_file($node->logfile), qr/terminated by signal|server process .* was terminated/,
	'no process crashed');
$node->stop('fast');
ok(!eval { http_get($port, '/health'); 1 }, 'after a clean stop the port is closed');

done_testing();
