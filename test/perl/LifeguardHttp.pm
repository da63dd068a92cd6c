# A minimal HTTP/1.1 client for pg_lifeguard's endpoint (lifeguard.http_port),
# on raw sockets so tests can also send what no real client would.
package LifeguardHttp;

use strict;
use warnings;

use Exporter 'import';
use IO::Socket::INET;
use IO::Select;
use PostgreSQL::Test::Utils;
use Time::HiRes qw(time usleep);

our @EXPORT = qw(http_raw http_get http_status);

# http_raw($port, @chunks, { pause => seconds, timeout => seconds }): connect
# to 127.0.0.1:$port, send each chunk (pausing between chunks), then read
# until the server closes.  Returns { status => code or undef, headers =>
# { lower-case name => value }, body => ..., closed_after => seconds,
# raw => everything received }.
sub http_raw
{
	my ($port, @chunks) = @_;
	my $opt = ref $chunks[-1] eq 'HASH' ? pop @chunks : {};
	my $timeout = $opt->{timeout} // $PostgreSQL::Test::Utils::timeout_default;
	my $t0 = time;
	my $sock = IO::Socket::INET->new(
		PeerAddr => '127.0.0.1',
		PeerPort => $port,
		Proto => 'tcp',
		Timeout => $timeout) or die "connect to port $port: $!";
	$sock->autoflush(1);
	local $SIG{PIPE} = 'IGNORE';
	for my $i (0 .. $#chunks)
	{
		last unless defined $sock->send($chunks[$i]);
		usleep($opt->{pause} * 1e6) if $opt->{pause} && $i < $#chunks;
	}
	my $raw = '';
	my $sel = IO::Select->new($sock);
	my $deadline = $t0 + $timeout;
	while (time < $deadline)
	{
		last unless $sel->can_read($deadline - time);
		my $buf;
		my $n = $sock->sysread($buf, 65536);
		last if !defined $n || $n == 0;
		$raw .= $buf;
	}
	close $sock;
	my %r = (raw => $raw, closed_after => time - $t0, headers => {});
	if ($raw =~ m{\AHTTP/1\.1 (\d{3}) [^\r\n]*\r\n(.*?)\r\n\r\n(.*)\z}s)
	{
		$r{status} = $1;
		$r{body} = $3;
		for my $h (split /\r\n/, $2)
		{
			my ($k, $v) = split /:\s*/, $h, 2;
			$r{headers}{ lc $k } = $v;
		}
	}
	return \%r;
}

# http_get($port, $path, %headers): a well-formed GET.
sub http_get
{
	my ($port, $path, %headers) = @_;
	my $req = "GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\n";
	$req .= "$_: $headers{$_}\r\n" foreach sort keys %headers;
	return http_raw($port, "$req\r\n");
}

# http_status($port, $path): the status code of a GET, or undef.
sub http_status
{
	return http_get(@_)->{status};
}

1;
