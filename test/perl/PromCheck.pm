# A strict checker for the Prometheus text exposition format (version 0.0.4),
# which lifeguard.metrics() and GET /metrics return.  promtool is not needed.
#
# prom_check($text) returns the list of what is wrong, each error as
# "line N: what", in line order; an empty list means the text is valid.
# prom_samples($text) returns the samples of valid text, as hashrefs
# { name => ..., labels => { name => unescaped value }, value => the value as
# written, and timestamp => ... only when the sample has one }; it dies,
# listing the errors, on invalid text.  prom_value($text, $name, %labels)
# returns the value of the sample with exactly that name and label set, or
# undef if there is none.
#
# Rules of the format, read strictly:
#  - the text is not empty, lines end in "\n" (the last one too) and contain
#    no "\r"; the text is valid UTF-8;
#  - metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
#    [a-zA-Z_][a-zA-Z0-9_]* and do not start with "__";
#  - "# HELP name docstring" and "# TYPE name type": at most one of each per
#    family, TYPE before the family's first sample, type one of counter,
#    gauge, histogram, summary, untyped; HELP docstrings escape only \\ and
#    \n.  Other lines starting with "#" are comments;
#  - a sample is: name, optionally {label="value",...} (a trailing comma and
#    blanks around the tokens are allowed), blanks, a value, optionally
#    blanks and an integer timestamp (int64), optionally trailing blanks.
#    Label values are double-quoted, escape only \\, \" and \n, and are not
#    repeated within a sample;
#  - a value is a decimal float as Go's ParseFloat reads it (within float64
#    range), or NaN, +Inf, -Inf;
#  - all lines of a family (HELP, TYPE, samples) are contiguous;
#  - a family's samples have the family's name, except that histograms have
#    name_bucket (with an "le" label), name_sum and name_count, and summaries
#    name (with a "quantile" label), name_sum and name_count; no other family
#    may be named like those samples;
#  - no two samples have the same name and label set (in any label order,
#    whatever their timestamps).
#
# Stricter than Prometheus itself (project rules):
#  - every family has a HELP line and a TYPE line, HELP first; a sample of a
#    family without a TYPE line is an error (Prometheus takes it as untyped);
#  - blank lines are errors (Prometheus skips them);
#  - the names of counter families end in "_total";
#  - infinities and NaN are spelled exactly +Inf, -Inf and NaN (ParseFloat
#    also takes "inf", "Infinity", "nan" in any case, and hex floats);
#  - at least one blank separates the value from the name or the "}" (the
#    Go parser also reads name{l="v"}1).
# An empty label set "{}" is accepted, as Prometheus does.
package PromCheck;

use strict;
use warnings;

use Carp;
use Exporter 'import';

our @EXPORT = qw(prom_check prom_samples prom_value);

my $metric_name_re = qr/[a-zA-Z_:][a-zA-Z0-9_:]*/;
my $label_name_re = qr/[a-zA-Z_][a-zA-Z0-9_]*/;
my $decimal_re =
  qr/[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/;
my %types = map { $_ => 1 } qw(counter gauge histogram summary untyped);

# The sample name suffixes each type adds to its family's name
my %suffixes = (
	histogram => [qw(_bucket _sum _count)],
	summary => [qw(_sum _count)]);

my $inf = 9**9**9;

# prom_check($text): the errors in $text, as "line N: what", in line order
sub prom_check
{
	my ($text) = @_;
	my $st = parse($text);
	return map { "line $_->[0]: $_->[1]" }
	  sort { $a->[0] <=> $b->[0] || $a->[2] <=> $b->[2] } @{ $st->{errors} };
}

# prom_samples($text): the samples of valid $text, in order; dies if $text
# is not valid
sub prom_samples
{
	my ($text) = @_;
	my @errors = prom_check($text);
	croak "prom_samples: invalid exposition text:\n" . join("\n", @errors)
	  if @errors;
	return @{ parse($text)->{samples} };
}

# prom_value($text, $name, %labels): the value of the sample named $name
# with exactly the labels %labels (unescaped values), or undef
sub prom_value
{
	my ($text, $name, %labels) = @_;
	foreach my $s (prom_samples($text))
	{
		return $s->{value}
		  if $s->{name} eq $name && same_labels($s->{labels}, \%labels);
	}
	return undef;
}

sub same_labels
{
	my ($x, $y) = @_;
	return 0 unless keys %$x == keys %$y;
	foreach my $k (keys %$x)
	{
		return 0 unless exists $y->{$k} && $y->{$k} eq $x->{$k};
	}
	return 1;
}

# The state of a parse:
#  errors: [line, message, sequence number]
#  fam: family name => { line (its first), help, type_line, type,
#       first_sample, split (its resumption was reported) }
#  order: family names in order of first appearance
#  current: the family of the last HELP, TYPE or sample line
#  series: series key => line of its sample
#  samples: the samples, as prom_samples returns them
sub parse
{
	my ($text) = @_;
	my $st = {
		errors => [],
		fam => {},
		order => [],
		current => '',
		series => {},
		samples => [] };

	if (!defined $text || $text eq '')
	{
		error($st, 1, 'empty input: there must be at least one line');
		return $st;
	}
	my @lines = split /\n/, $text, -1;
	if ($lines[-1] eq '')
	{
		pop @lines;
	}
	else
	{
		error($st, scalar @lines,
			'no "\n" at the end of the input: the last line is not terminated');
	}
	parse_line($st, $_ + 1, $lines[$_]) foreach 0 .. $#lines;
	check_families($st);
	return $st;
}

sub error
{
	my ($st, $line, $message) = @_;
	push @{ $st->{errors} }, [ $line, $message, scalar @{ $st->{errors} } ];
	return;
}

sub parse_line
{
	my ($st, $n, $line) = @_;

	error($st, $n, 'carriage return ("\r"): lines must end in "\n" alone')
	  if $line =~ s/\r//g;
	error($st, $n, 'not valid UTF-8') unless valid_utf8($line);
	if ($line =~ /^[ \t]*\z/)
	{
		error($st, $n, 'blank line (project rule: none allowed)');
		return;
	}
	if ($line =~ /^[ \t]*#[ \t]*(HELP|TYPE)(?:[ \t]+(.*))?\z/s)
	{
		my ($kind, $rest) = ($1, $2 // '');
		return $kind eq 'HELP'
		  ? parse_help($st, $n, $rest)
		  : parse_type($st, $n, $rest);
	}
	return if $line =~ /^[ \t]*#/;    # a comment
	return parse_sample_line($st, $n, $line);
}

sub valid_utf8
{
	my ($s) = @_;
	return 1 if utf8::is_utf8($s);
	return utf8::decode($s);
}

# "# HELP name docstring"; $rest is what follows "HELP"
sub parse_help
{
	my ($st, $n, $rest) = @_;
	my ($name, $doc) = $rest =~ /^([^ \t]*)(?:[ \t]+(.*))?\z/s;
	$doc //= '';
	return unless check_declared_name($st, $n, 'HELP', $name);

	my $bad = bad_escape($doc, '\\n');
	error($st, $n,
		qq{HELP for $name: invalid escape "$bad" in the docstring }
		  . '(only \\\\ and \\n are allowed)')
	  if defined $bad;

	my $f = family($st, $name, $n);
	if ($f->{help})
	{
		error($st, $n,
			"duplicate HELP line for $name (the first is on line $f->{help})");
		return;
	}
	$f->{help} = $n;
	error($st, $n,
		"HELP line for $name comes after its TYPE line (line $f->{type_line}); "
		  . 'HELP must come first (project rule)')
	  if $f->{type_line};
	return;
}

# "# TYPE name type"; $rest is what follows "TYPE"
sub parse_type
{
	my ($st, $n, $rest) = @_;
	my ($name, $type, @extra) = split /[ \t]+/, $rest;
	return unless check_declared_name($st, $n, 'TYPE', $name);

	my $f = family($st, $name, $n);
	if ($f->{type_line})
	{
		error($st, $n,
			"duplicate TYPE line for $name (the first is on line $f->{type_line})"
		);
		return;
	}
	$f->{type_line} = $n;
	$f->{type} = 'untyped';
	if (!defined $type)
	{
		error($st, $n, "TYPE line for $name names no type");
	}
	elsif (!$types{$type})
	{
		error($st, $n,
			qq{unknown type "$type" for $name }
			  . '(counter, gauge, histogram, summary or untyped)');
	}
	else
	{
		$f->{type} = $type;
	}
	error($st, $n, qq{unexpected text after the type of $name: "@extra"})
	  if @extra;
	error($st, $n,
		"TYPE line for $name comes after its first sample "
		  . "(line $f->{first_sample})")
	  if $f->{first_sample};
	error($st, $n,
		"counter $name: the name does not end in _total (project rule)")
	  if $f->{type} eq 'counter' && $name !~ /_total\z/;
	return;
}

# Whether a HELP or TYPE line names a valid metric; says why not
sub check_declared_name
{
	my ($st, $n, $kind, $name) = @_;
	if (!defined $name || $name eq '')
	{
		error($st, $n, "$kind line without a metric name");
		return 0;
	}
	if ($name !~ /^$metric_name_re\z/)
	{
		error($st, $n, qq{invalid metric name "$name" in $kind line});
		return 0;
	}
	return 1;
}

# family($st, $name, $n): the family $name, which line $n belongs to; says
# (once per family) when it resumes after another family's lines
sub family
{
	my ($st, $name, $n) = @_;
	my $f = $st->{fam}{$name};
	if (!$f)
	{
		$f = $st->{fam}{$name} = { name => $name, line => $n };
		push @{ $st->{order} }, $name;
	}
	elsif ($st->{current} ne $name && !$f->{split})
	{
		$f->{split} = 1;
		error($st, $n,
			"family $name is not contiguous: its lines (from line $f->{line}) "
			  . "resume here, after family $st->{current}");
	}
	$st->{current} = $name;
	return $f;
}

# The family a sample named $name belongs to: a histogram's or summary's
# when it has one of their suffixes, else its own
sub family_of
{
	my ($st, $name) = @_;
	foreach my $sfx (qw(_bucket _sum _count))
	{
		my ($base) = $name =~ /^(.+)\Q$sfx\E\z/ or next;
		my $f = $st->{fam}{$base};
		next unless $f && $f->{type} && $suffixes{ $f->{type} };
		return $base if grep { $_ eq $sfx } @{ $suffixes{ $f->{type} } };
	}
	return $name;
}

sub parse_sample_line
{
	my ($st, $n, $line) = @_;
	my ($s, $err) = parse_sample($line);
	if ($err)
	{
		error($st, $n, $err);
		return;
	}

	my $f = family($st, family_of($st, $s->{name}), $n);
	$f->{first_sample} //= $n;
	check_sample_of_type($st, $n, $s, $f);

	my $key = series_key($s);
	if (my $first = $st->{series}{$key})
	{
		error($st, $n,
			"duplicate series $s->{name}: same name and labels as on line $first"
		);
	}
	else
	{
		$st->{series}{$key} = $n;
	}
	push @{ $st->{samples} }, $s;
	return;
}

# What a histogram's or summary's samples need (not a deep check)
sub check_sample_of_type
{
	my ($st, $n, $s, $f) = @_;
	my $type = $f->{type} // '';
	my $name = $s->{name};
	if ($type eq 'histogram' && $name eq $f->{name})
	{
		error($st, $n,
			"histogram $name: a sample name must end in _bucket, _sum or _count"
		);
	}
	elsif ($type eq 'histogram' && $name eq "$f->{name}_bucket")
	{
		check_float_label($st, $n, $s, 'le');
	}
	elsif ($type eq 'summary' && $name eq $f->{name})
	{
		check_float_label($st, $n, $s, 'quantile');
	}
	return;
}

sub check_float_label
{
	my ($st, $n, $s, $label) = @_;
	my $v = $s->{labels}{$label};
	if (!defined $v)
	{
		error($st, $n, qq{$s->{name}: no "$label" label});
	}
	elsif (my $why = value_error($v))
	{
		error($st, $n, qq{$s->{name}: invalid "$label" label "$v": $why});
	}
	return;
}

# A key equal for samples of the same name and label set, in any order
sub series_key
{
	my ($s) = @_;
	my $l = $s->{labels};
	return join '',
	  map { length($_) . ':' . $_ } $s->{name},
	  map { ($_, $l->{$_}) } sort keys %$l;
}

# After the last line: every family has its HELP and TYPE, and no family is
# named like the samples of a histogram or summary
sub check_families
{
	my ($st) = @_;
	foreach my $name (@{ $st->{order} })
	{
		my $f = $st->{fam}{$name};
		my $line = $f->{first_sample} // $f->{line};
		error($st, $line,
			"family $name has no TYPE line (project rule: every family needs one)"
		) unless $f->{type_line};
		error($st, $f->{line},
			"family $name has no HELP line (project rule: every family needs one)"
		) unless $f->{help};
		foreach my $sfx (@{ $suffixes{ $f->{type} // '' } || [] })
		{
			my $other = $st->{fam}{"$name$sfx"} or next;
			error($st, $other->{line},
				"family $name$sfx clashes with the $sfx samples of $f->{type} $name"
			);
		}
	}
	return;
}

# parse_sample($line): (the sample, undef) or (undef, what is wrong)
sub parse_sample
{
	my ($line) = @_;
	my %s;

	pos($line) = 0;
	take(\$line, qr/[ \t]*/);
	my $name = take(\$line, qr/[^ \t{]*/);
	return (undef, 'sample line without a metric name') if $name eq '';
	return (undef, qq{invalid metric name "$name"})
	  unless $name =~ /^$metric_name_re\z/;
	$s{name} = $name;
	$s{labels} = {};

	if ($line =~ /\G[ \t]*\{/gc)
	{
		my $err = parse_labels(\$line, $s{labels});
		return (undef, "$name: $err") if $err;
	}

	my $blank = take(\$line, qr/[ \t]*/);
	my $value = take(\$line, qr/[^ \t]*/);
	return (undef, "$name: missing value") if $value eq '';
	return (undef, qq{$name: no space or tab before the value "$value"})
	  if $blank eq '';
	if (my $why = value_error($value))
	{
		return (undef, qq{$name: invalid value "$value": $why});
	}
	$s{value} = $value;

	if ($line =~ /\G[ \t]+([^ \t]+)/gc)
	{
		my $ts = $1;
		return (undef,
			qq{$name: text after the value is not a timestamp (an integer): "$ts"}
		) unless $ts =~ /^[+-]?[0-9]+\z/;
		return (undef, "$name: timestamp $ts is out of int64 range")
		  unless int64_ok($ts);
		$s{timestamp} = $ts;
	}
	$line =~ /\G[ \t]*/gc;
	return (undef, qq{$name: unexpected text after the timestamp: "$1"})
	  if $line =~ /\G(.+)/gcs;
	return (\%s, undef);
}

# parse_labels(\$line, \%labels): reads the labels after "{" and the "}",
# into %labels; returns what is wrong, or undef
sub parse_labels
{
	my ($lr, $labels) = @_;
	while (1)
	{
		$$lr =~ /\G[ \t]*/gc;
		return undef if $$lr =~ /\G\}/gc;    # also "{}" and a trailing comma
		my $lname = take($lr, qr/[^ \t=,{}"]*/);
		return 'expected a label name or "}", found ' . found($lr)
		  if $lname eq '';
		return qq{invalid label name "$lname"}
		  unless $lname =~ /^$label_name_re\z/;
		return qq{label name "$lname" starts with "__" (reserved)}
		  if $lname =~ /^__/;
		return qq{duplicate label name "$lname"} if exists $labels->{$lname};

		$$lr =~ /\G[ \t]*/gc;
		return qq{label "$lname": expected "=", found } . found($lr)
		  unless $$lr =~ /\G=/gc;
		$$lr =~ /\G[ \t]*/gc;
		return qq{label "$lname": the value must be double-quoted, found }
		  . found($lr)
		  unless $$lr =~ /\G"/gc;
		return qq{label "$lname": the value's closing quote is missing }
		  . '(a raw newline in the value?)'
		  unless $$lr =~ /\G((?:[^"\\]|\\.)*)"/gc;
		my $raw = $1;
		my $bad = bad_escape($raw, '\\"n');
		return qq{label "$lname": invalid escape "$bad" in the value }
		  . '(only \\\\, \\" and \\n are allowed)'
		  if defined $bad;
		$labels->{$lname} = unescape($raw);

		$$lr =~ /\G[ \t]*/gc;
		next if $$lr =~ /\G,/gc;
		return undef if $$lr =~ /\G\}/gc;
		return qq{label "$lname": expected "," or "\}" after the value, found }
		  . found($lr)
		  . ' (an unescaped quote in the value?)';
	}
}

# take(\$line, $re): the text $re matches at pos($line), moving past it; ''
# when it matches nothing there.  (Not $1 after a /gc match: a zero-length
# match right after another fails, and leaves $1 as it was.)
sub take
{
	my ($lr, $re) = @_;
	return $$lr =~ /\G($re)/gc ? $1 : '';
}

# What the parse of $$lr finds at its position, for messages
sub found
{
	my ($lr) = @_;
	my $rest = substr($$lr, pos($$lr) // 0);
	return 'the end of the line' if $rest eq '';
	return '"' . substr($rest, 0, 16) . '"';
}

# The first backslash escape in $raw whose character is not in $allowed
# (as "\x", or "\" alone at the end), or undef
sub bad_escape
{
	my ($raw, $allowed) = @_;
	while ($raw =~ /\\(.?)/gs)
	{
		return "\\$1" if $1 eq '' || index($allowed, $1) < 0;
	}
	return undef;
}

sub unescape
{
	my ($raw) = @_;
	return $raw =~ s/\\(.)/$1 eq 'n' ? "\n" : $1/gesr;
}

# Why $v is not a sample value, or undef if it is one
sub value_error
{
	my ($v) = @_;
	return undef if $v eq 'NaN' || $v eq '+Inf' || $v eq '-Inf';
	return 'hex floats are not allowed' if $v =~ /^[+-]?0[xX]/;
	return 'write NaN, +Inf or -Inf exactly (project rule)'
	  if $v =~ /^[+-]?(?:inf|infinity|nan)\z/i;
	return 'not a decimal float' unless $v =~ /^$decimal_re\z/;
	return 'out of float64 range' if abs($v) == $inf;
	return undef;
}

sub int64_ok
{
	my ($ts) = @_;
	my ($sign, $digits) = $ts =~ /^([+-]?)0*([0-9]*)\z/;
	my $max = $sign eq '-' ? '9223372036854775808' : '9223372036854775807';
	return length($digits) < length($max)
	  || (length($digits) == length($max) && $digits le $max);
}

1;
