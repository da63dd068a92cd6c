# The Prometheus text format checker (test/perl/PromCheck.pm) that the
# metrics tests rely on, checked on its own (no cluster): it accepts a
# realistic document and reads its samples back unescaped, and it rejects
# documents that break one rule each, naming the line and the problem.  A
# checker that accepted everything would pass every metrics test, so this
# proves that it can fail.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::RealBin/../perl";
use PromCheck;
use Test::More;

# doc(@lines): the lines, each ended by "\n"
sub doc
{
	return join '', map { "$_\n" } @_;
}

# A gauge family that is valid on its own, to put before a broken one
my @gauge = ('# HELP g A gauge.', '# TYPE g gauge', 'g 1');

### A valid document

my $valid = <<'EOF';
# pg_lifeguard metrics, as the extension would expose them
# HELP lifeguard_up Whether the worker runs (1) or not (0).
# TYPE lifeguard_up gauge
lifeguard_up 1
# HELP lifeguard_events_total Events recorded, by kind.\nA backslash: \\ (escaped).
# TYPE lifeguard_events_total counter
lifeguard_events_total{kind="slot_reserved"} 3
lifeguard_events_total{kind="idle_terminated",database="app"} 12 1700000000000
lifeguard_events_total{ kind = "job_late" , database = "postgres" , } 0
# HELP lifeguard_session_age_seconds Age of the oldest session, by application.
# TYPE lifeguard_session_age_seconds gauge
lifeguard_session_age_seconds{application_name="say \"hi\"",path="C:\\tmp\\",query="SELECT 1;\nSELECT 2"} 1.5e3
lifeguard_session_age_seconds{application_name="psql"}<TAB><TAB>-0.25
lifeguard_session_age_seconds{application_name="never"} +Inf
lifeguard_session_age_seconds{application_name="idle"} -Inf
lifeguard_session_age_seconds{application_name="unknown"} NaN
lifeguard_session_age_seconds{application_name="small"} 1.5E-3 -1
lifeguard_session_age_seconds{application_name="dot"} .5
# a plain comment between families; # HELP inside a comment is no HELP
# HELP lifeguard_lost_events_total Events lost before they were written.
# TYPE lifeguard_lost_events_total counter
lifeguard_lost_events_total 0
# HELP lifeguard_lock_wait_seconds Lock waits.
# TYPE lifeguard_lock_wait_seconds histogram
lifeguard_lock_wait_seconds_bucket{le="0.1"} 1
lifeguard_lock_wait_seconds_bucket{le="+Inf"} 2
lifeguard_lock_wait_seconds_sum 3.5
lifeguard_lock_wait_seconds_count 2
# HELP lifeguard_tick_seconds Tick durations.
# TYPE lifeguard_tick_seconds summary
lifeguard_tick_seconds{quantile="0.5"} 0.01
lifeguard_tick_seconds_sum 1e3
lifeguard_tick_seconds_count 100000
# HELP lifeguard_build_info Build information.
# TYPE lifeguard_build_info untyped
lifeguard_build_info{version="0.1",pg="15"} 1
EOF
$valid =~ s/<TAB>/\t/g;

my @errors = prom_check($valid);
is_deeply(\@errors, [], 'the valid document passes')
  or diag explain \@errors;

my @samples = prom_samples($valid);
is(scalar @samples, 20, 'prom_samples returns every sample');
is_deeply(
	$samples[0],
	{ name => 'lifeguard_up', labels => {}, value => '1' },
	'a sample without labels');
is_deeply(
	$samples[4],
	{
		name => 'lifeguard_session_age_seconds',
		labels => {
			application_name => 'say "hi"',
			path => 'C:\\tmp\\',
			query => "SELECT 1;\nSELECT 2"
		},
		value => '1.5e3'
	},
	'label values come back unescaped');
is($samples[2]{timestamp}, '1700000000000', 'a timestamp is read');
ok(!exists $samples[1]{timestamp}, 'no timestamp key without a timestamp');

is(prom_value($valid, 'lifeguard_up'), '1', 'prom_value without labels');
is( prom_value(
		$valid, 'lifeguard_events_total',
		database => 'app',
		kind => 'idle_terminated'),
	'12',
	'prom_value with labels in another order');
is( prom_value(
		$valid, 'lifeguard_events_total',
		kind => 'job_late',
		database => 'postgres'),
	'0',
	'prom_value of a sample written with blanks and a trailing comma');
is( prom_value(
		$valid, 'lifeguard_session_age_seconds',
		application_name => 'say "hi"',
		path => 'C:\\tmp\\',
		query => "SELECT 1;\nSELECT 2"),
	'1.5e3',
	'prom_value matches unescaped label values');
is( prom_value(
		$valid, 'lifeguard_session_age_seconds',
		application_name => 'psql'),
	'-0.25',
	'a value after tabs');
is( prom_value(
		$valid, 'lifeguard_session_age_seconds',
		application_name => 'never'),
	'+Inf',
	'+Inf');
is( prom_value(
		$valid, 'lifeguard_session_age_seconds',
		application_name => 'unknown'),
	'NaN',
	'NaN');
is( prom_value(
		$valid, 'lifeguard_lock_wait_seconds_bucket', le => '+Inf'),
	'2',
	'a histogram bucket');
is(prom_value($valid, 'lifeguard_events_total', kind => 'slot_reserved'),
	'3', 'prom_value finds the sample with exactly those labels');
is(prom_value($valid, 'lifeguard_events_total'),
	undef, 'prom_value: a subset of the labels does not match');
is(prom_value($valid, 'lifeguard_events_total', kind => 'job_late'),
	undef, 'prom_value: neither does a subset of another sample\'s');
is(prom_value($valid, 'lifeguard_nothing'), undef, 'prom_value: no such name');

is_deeply(
	[ prom_check(doc(@gauge, 'g2{} 2')) ],
	[
		'line 4: family g2 has no TYPE line '
		  . '(project rule: every family needs one)',
		'line 4: family g2 has no HELP line '
		  . '(project rule: every family needs one)'
	],
	'errors name their line, in line order');

ok(!eval { prom_samples(doc('g 1')); 1 }, 'prom_samples dies on invalid text');
like($@, qr/line 1: family g has no TYPE/, 'and lists the errors');
ok(!eval { prom_value("g 1", 'g'); 1 }, 'so does prom_value');

### Malformed documents: one broken rule each, the line it is on, and a
### pattern the error on that line must match

my @bad = (
	[ 'empty input', '', 1, qr/empty input/ ],
	[
		'bad metric name',
		doc(@gauge, '# HELP 1g A gauge.', '# TYPE 1g gauge', '1g 1'),
		4, qr/invalid metric name "1g"/
	],
	[
		'bad metric name in a sample',
		doc(@gauge, 'g-2 1'), 4, qr/invalid metric name "g-2"/
	],
	[
		'bad label name',
		doc(@gauge, 'g{a-b="x"} 2'), 4, qr/invalid label name "a-b"/
	],
	[
		'label name starting with __',
		doc(@gauge, 'g{__name="x"} 2'), 4, qr/"__name" starts with "__"/
	],
	[
		'unescaped quote in a label value',
		doc(@gauge, 'g{a="say "hi""} 2'), 4, qr/unescaped quote/
	],
	[
		'bad escape \t in a label value',
		doc(@gauge, 'g{a="x\ty"} 2'), 4, qr/invalid escape "\\t"/
	],
	[
		'backslash at the end of a label value',
		doc(@gauge, 'g{a="x\\\\\\"} 2'), 4, qr/closing quote is missing/
	],
	[
		'raw newline in a label value',
		doc(@gauge, "g{a=\"one\ntwo\"} 2"), 4, qr/raw newline/
	],
	[
		'label value not quoted',
		doc(@gauge, 'g{a=x} 2'), 4, qr/must be double-quoted/
	],
	[
		'label set not closed',
		doc(@gauge, 'g{a="x" 2'), 4, qr/expected "," or "\}"/
	],
	[
		'empty label between commas',
		doc(@gauge, 'g{a="x",,b="y"} 2'), 4, qr/expected a label name/
	],
	[
		'duplicate label name',
		doc(@gauge, 'g{a="x",a="y"} 2'), 4, qr/duplicate label name "a"/
	],
	[
		'missing TYPE',
		doc(@gauge, '# HELP h Another gauge.', 'h 2'), 5, qr/h has no TYPE/
	],
	[
		'sample of an undeclared family',
		doc(@gauge, 'h 2'), 4, qr/h has no TYPE/
	],
	[
		'missing HELP',
		doc(@gauge, '# TYPE h gauge', 'h 2'), 4, qr/h has no HELP/
	],
	[
		'HELP after TYPE',
		doc('# TYPE g gauge', '# HELP g A gauge.', 'g 1'),
		2, qr/HELP line for g comes after its TYPE/
	],
	[
		'TYPE after the first sample',
		doc('# HELP g A gauge.', 'g 1', '# TYPE g gauge'),
		3, qr/TYPE line for g comes after its first sample/
	],
	[
		'duplicate TYPE',
		doc('# HELP g A gauge.', '# TYPE g gauge', '# TYPE g gauge', 'g 1'),
		3, qr/duplicate TYPE/
	],
	[
		'duplicate HELP',
		doc('# HELP g A gauge.', '# HELP g Again.', '# TYPE g gauge', 'g 1'),
		2, qr/duplicate HELP/
	],
	[
		'unknown type',
		doc('# HELP g A gauge.', '# TYPE g meter', 'g 1'),
		2, qr/unknown type "meter"/
	],
	[
		'TYPE without a type',
		doc('# HELP g A gauge.', '# TYPE g', 'g 1'), 2, qr/names no type/
	],
	[
		'interleaved families',
		doc(
			@gauge, '# HELP h Another gauge.',
			'# TYPE h gauge', 'h 2', 'g{a="b"} 3'),
		7, qr/family g is not contiguous/
	],
	[
		'duplicate series',
		doc(@gauge, 'g 2'), 4, qr/duplicate series g: .* line 3/
	],
	[
		'duplicate series with reordered labels',
		doc(@gauge, 'g{a="1",b="2"} 2', 'g{b="2",a="1"} 3'),
		5, qr/duplicate series g: .* line 4/
	],
	[
		'duplicate series with another timestamp',
		doc(@gauge, 'g{a="1"} 2 1000', 'g{a="1"} 2 2000'),
		5, qr/duplicate series/
	],
	[
		'bad value "1,5"',
		doc(@gauge, 'g{a="b"} 1,5'), 4, qr/invalid value "1,5"/
	],
	[
		'hex value',
		doc(@gauge, 'g{a="b"} 0x1p3'), 4, qr/invalid value "0x1p3": hex/
	],
	[
		'lowercase inf',
		doc(@gauge, 'g{a="b"} inf'), 4, qr/write NaN, \+Inf or -Inf exactly/
	],
	[
		'value out of float64 range',
		doc(@gauge, 'g{a="b"} 1e999'), 4, qr/out of float64 range/
	],
	[ 'missing value', doc(@gauge, 'g{a="b"}'), 4, qr/missing value/ ],
	[
		'missing value after blanks',
		doc(@gauge, 'g{a="b"} '), 4, qr/missing value/
	],
	[
		'no blank before the value',
		doc(@gauge, 'g{a="b"}2'), 4, qr/no space or tab before the value/
	],
	[
		'garbage after the value',
		doc(@gauge, 'g{a="b"} 2 abc'), 4, qr/after the value is not a timestamp/
	],
	[
		'non-integer timestamp',
		doc(@gauge, 'g{a="b"} 2 1.5'), 4, qr/not a timestamp/
	],
	[
		'garbage after the timestamp',
		doc(@gauge, 'g{a="b"} 2 1000 x'),
		4, qr/unexpected text after the timestamp/
	],
	[
		'timestamp out of int64 range',
		doc(@gauge, 'g{a="b"} 2 9223372036854775808'),
		4, qr/out of int64 range/
	],
	[
		'missing trailing newline',
		doc('# HELP g A gauge.', '# TYPE g gauge') . 'g 1',
		3, qr/no "\\n" at the end/
	],
	[
		'CRLF line ends',
		join('', map { "$_\r\n" } @gauge), 1, qr/carriage return/
	],
	[
		'blank line',
		doc('# HELP g A gauge.', '# TYPE g gauge', '', 'g 1'),
		3, qr/blank line/
	],
	[
		'line of blanks',
		doc('# HELP g A gauge.', '# TYPE g gauge', " \t", 'g 1'),
		3, qr/blank line/
	],
	[
		'counter not ending in _total',
		doc('# HELP events Events.', '# TYPE events counter', 'events 1'),
		2, qr/counter events: the name does not end in _total/
	],
	[
		'HELP with the bad escape \t',
		doc('# HELP g A\tgauge.', '# TYPE g gauge', 'g 1'),
		1, qr/invalid escape "\\t" in the docstring/
	],
	[
		'HELP ending in a backslash',
		doc('# HELP g A gauge\\', '# TYPE g gauge', 'g 1'),
		1, qr/invalid escape "\\" in the docstring/
	],
	[
		'histogram sample without a suffix',
		doc('# HELP hi Waits.', '# TYPE hi histogram', 'hi 1'),
		3, qr/must end in _bucket, _sum or _count/
	],
	[
		'histogram bucket without le',
		doc('# HELP hi Waits.', '# TYPE hi histogram', 'hi_bucket 1'),
		3, qr/no "le" label/
	],
	[
		'invalid UTF-8',
		doc(@gauge, "g{a=\"\xff\"} 2"), 4, qr/not valid UTF-8/
	],);

foreach my $case (@bad)
{
	my ($what, $text, $line, $pattern) = @$case;
	my @errors = prom_check($text);
	ok(@errors > 0, "rejected: $what");
	ok((grep { /^line $line: / && $_ =~ $pattern } @errors),
		"$what: the error on line $line says $pattern")
	  or diag explain \@errors;
	note explain \@errors;
}

done_testing();
