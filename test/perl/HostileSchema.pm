# Helpers for test/t/050_hostile_schema.pl: find every function and
# operator name that pg_lifeguard's SQL uses (the SPI text in src/**/*.c and the
# install script extension/pg_lifeguard--*.sql), and plant look-alikes of them.
#
# A planted object, when run, says so in the server log (a WARNING, which
# no rollback takes back), writes a row naming itself into the trap table
# trap.hits, tries to make its planter a superuser and to grant it
# pg_read_server_files (both succeed only when run by a superuser), and
# then returns what pg_catalog's own would have, so the calling code goes
# on as if nothing happened.
package HostileSchema;

use strict;
use warnings;

use Exporter 'import';

our @EXPORT = qw(scan_sql_text derive_names plant_types trap_marker
  trap_setup_sql probe_sql plant_function_sql fake_cron_sql);

# What a planted object writes to the server log, followed by its name
sub trap_marker { return 'LIFEGUARD-TRAP' }

# Argument types planted over: the types the code's columns, parameters
# and literals have, and a few more.  Each function name is planted for
# every one of these (one argument) and every pair of them (two), so that
# a call with arguments of these types finds a planted function at least
# as exact as pg_catalog's; names called with more arguments get every
# type in every position at once, and after a text first argument (a
# format string, a key).
sub plant_types
{
	#<<< one line each, not aligned in columns
	return (
		'text', 'name', 'integer', 'bigint', 'smallint', 'numeric',
		'double precision', 'boolean', 'interval',
		'timestamp with time zone', 'timestamp without time zone', 'date',
		'jsonb', 'oid', 'regclass', 'regrole', 'text[]', 'integer[]');
	#>>>
}

# Words the grammar turns into a call of a pg_catalog function whatever
# search_path says (EXTRACT(...) is pg_catalog.extract(...)): they cannot
# be shadowed, but they are calls the code makes, so they stay in the list
# and are planted like the others.
my %grammar_functions =
  map { $_ => 1 } qw(extract normalize overlay position substring);

# Words after which "name(" is a relation or an alias with a column list,
# not a call
my %not_call_after = map { $_ => 1 }
  qw(as into table references on index update view function
  procedure trigger type constraint only);

# ---------------------------------------------------------------------------
# Reading the code
# ---------------------------------------------------------------------------

# The string literals of a C file, adjacent ones joined ("a" "b", also
# across a macro between them, "a" MACRO(x) "b"): one text per group.
sub c_string_groups
{
	my ($src) = @_;
	my @groups;
	my $cur;
	my $pos = 0;
	my $len = length $src;
	while ($pos < $len)
	{
		my $rest = substr($src, $pos);
		if ($rest =~ m{\A/\*.*?\*/}s || $rest =~ m{\A//[^\n]*})
		{
			$pos += length $&;
			next;
		}
		if ($rest =~ m{\A'(?:\\.|[^'\\])*'})
		{
			push @groups, $cur if defined $cur;
			undef $cur;
			$pos += length $&;
			next;
		}
		if ($rest =~ m{\A"((?:\\.|[^"\\])*)"}s)
		{
			my ($s, $literal) = ($1, $&);

			$s =~ s/\\n/\n/g;
			$s =~ s/\\t/\t/g;
			$s =~ s/\\(.)/$1/g;
			$cur = defined $cur ? $cur . $s : $s;
			# the whole literal ($& is the substitutions' last match now)
			$pos += length $literal;
			next;
		}
		# whitespace, or a macro such as CppAsString2(X), keeps a group open
		if ($rest =~ m{\A(?:\s+|[A-Z][A-Z0-9_]*(?:\([A-Za-z0-9_]*\))?)})
		{
			$pos += length $&;
			next;
		}
		push @groups, $cur if defined $cur;
		undef $cur;
		$pos++;
	}
	push @groups, $cur if defined $cur;
	return @groups;
}

# Is this C string SQL text (rather than a message or a name)?  Taking a
# message for SQL costs nothing: a word that no pg_catalog function has is
# dropped when the signatures are probed.
sub looks_like_sql
{
	my ($s) = @_;
	return $s =~
	  /\b(?:SELECT|INSERT|UPDATE|DELETE|FROM|WHERE|VALUES|RETURNING|ORDER BY|GROUP BY|WITH|CALL|JOIN|LIMIT|CASE|WHEN|NOTIFY|LISTEN|LOCK|TABLE|SET|AND|OR)\b|OPERATOR\(|\$\d/;
}

# SQL text with comments removed and single-quoted literals emptied
# (dollar-quoted bodies stay: they are function bodies and the queries
# report() runs)
sub strip_sql
{
	my ($sql) = @_;
	my $out = '';
	while (length $sql)
	{
		if ($sql =~ s/\A--[^\n]*//)
		{
			next;
		}
		if ($sql =~ s{\A/\*.*?\*/}{}s)
		{
			next;
		}
		if ($sql =~ s/\A[Ee]?'(?:''|\\.|[^'\\])*(?:'|\z)//s)
		{
			$out .= " '' ";
			next;
		}
		if ($sql =~ s/\A\$([A-Za-z_]*)\$/ /)
		{
			next;    # a dollar quote: its text is scanned as SQL
		}
		if ($sql =~ s/\A"([^"]*)"/$1/)
		{
			$out .= qq{"$1"};
			next;
		}
		$sql =~ s/\A(.)//s;
		$out .= $1;
	}
	return $out;
}

# The number of arguments of the call whose "(" is at $open in $text, or
# undef when its ")" is not found
sub call_arity
{
	my ($text, $open) = @_;
	my ($depth, $commas, $any) = (0, 0, 0);
	for my $i ($open + 1 .. length($text) - 1)
	{
		my $c = substr($text, $i, 1);
		if ($c eq '(' || $c eq '[')
		{
			$depth++;
		}
		elsif ($c eq ')' || $c eq ']')
		{
			return $any ? $commas + 1 : 0 if $depth == 0 && $c eq ')';
			$depth--;
		}
		elsif ($c eq ',' && $depth == 0)
		{
			$commas++;
		}
		$any = 1 if $depth > 0 || $c =~ /\S/ && $c ne ')';
	}
	return undef;
}

# Scan one SQL text: calls (name => { arity => 1 }) and operator symbols
# (symbol => 1), unqualified or qualified with pg_catalog; those seen
# qualified with pg_catalog are also noted in %$pinned (name => 1).  A call
# that is pg_catalog's whatever the search path cannot be shadowed, but it
# is planted as well: should the qualification ever go, the test covers it
# already.  Names in other schemas (the extension's own lifeguard.*, cron.*)
# are not calls to shadow.  Keywords are not filtered here.
sub scan_sql_text
{
	my ($sql, $calls, $ops, $pinned) = @_;
	$pinned //= {};
	my $text = strip_sql($sql);

	# C format directives in SPI text built with appendStringInfo
	$text =~ s/%%/%/g;
	$text =~ s/%[-+ #0]*[0-9]*(?:\.[0-9]+)?(?:l|ll|z)?[sdiuxXfgc]/x/g;

	while ($text =~ /([A-Za-z_][A-Za-z0-9_\$]*)\s*\(/g)
	{
		my ($name, $start, $open) = (lc $1, $-[1], $+[0] - 1);
		my $before = substr($text, 0, $start);
		if ($before =~ /([A-Za-z_][A-Za-z0-9_]*|"[^"]*")\s*\.\s*\z/)
		{
			next unless lc($1) eq 'pg_catalog' || $1 eq '"pg_catalog"';
			$pinned->{$name} = 1;
		}
		my ($prev) = $before =~ /([A-Za-z_]+)\s*\z/;
		next if defined $prev && $not_call_after{ lc $prev };
		my $arity = call_arity($text, $open);
		$calls->{$name}{ defined $arity ? $arity : '?' } = 1;
	}

	# operators: OPERATOR(pg_catalog.op) is pg_catalog's whatever the path
	(my $bare = $text) =~
	  s/OPERATOR\s*\(\s*(?:pg_catalog|"pg_catalog")\s*\.\s*([^)\s]+)\s*\)/$ops->{$1} = $pinned->{$1} = 1; ' '/gie;
	$bare =~ s/OPERATOR\s*\([^)]*\)/ /gi;
	$bare =~ s/::/ /g;                      # casts
	$bare =~ s/:=/ /g;                      # PL/pgSQL assignment
	$bare =~ s/\$\d+/ /g;                   # parameters
	while ($bare =~ m{([-+*/<>=~!@#%^&|`?]+)}g)
	{
		my $op = $1;
		# as PostgreSQL's lexer: a multi-character operator ends in + or -
		# only when it has one of ~ ! @ # % ^ & | ` ?
		$op =~ s/[-+]+\z//
		  while length $op > 1 && $op =~ /[-+]\z/ && $op !~ /[~!@#%^&|`?]/;
		$ops->{$op} = 1;
	}
	return;
}

# derive_names($repo): scan $repo/src/**/*.c (their string literals that are
# SQL) and $repo/extension/pg_lifeguard--*.sql.  Returns (\%calls, \%ops,
# \@files, \%pinned): the names called, with the numbers of arguments seen
# ('?' when not counted), the operator symbols, the files read, and which
# of those names and symbols were seen qualified with pg_catalog.
sub derive_names
{
	my ($repo) = @_;
	my (%calls, %ops, @files, %pinned);
	for my $file (sort(glob("$repo/src/*.c"), glob("$repo/src/*/*.c")))
	{
		open my $fh, '<', $file or die "$file: $!";
		my $src = do { local $/; <$fh> };
		close $fh;
		my $n = 0;
		for my $s (c_string_groups($src))
		{
			next unless looks_like_sql($s);
			scan_sql_text($s, \%calls, \%ops, \%pinned);
			$n++;
		}
		push @files, "$file ($n SQL texts)" if $n;
	}
	for my $file (sort glob("$repo/extension/pg_lifeguard--*.sql"))
	{
		open my $fh, '<', $file or die "$file: $!";
		my $src = do { local $/; <$fh> };
		close $fh;
		# psql's own \echo line is not SQL
		$src =~ s/^\\[^\n]*$//mg;
		scan_sql_text($src, \%calls, \%ops, \%pinned);
		push @files, $file;
	}
	return (\%calls, \%ops, \@files, \%pinned);
}

# ---------------------------------------------------------------------------
# SQL run in the cluster
# ---------------------------------------------------------------------------

# The trap: a schema "trap" that only the superuser owns, and a table that
# everyone may insert into.  Run as a superuser in each database.
sub trap_setup_sql
{
	return q{
CREATE SCHEMA trap;
GRANT USAGE ON SCHEMA trap TO PUBLIC;
CREATE TABLE trap.hits (
    id       bigint GENERATED ALWAYS AS IDENTITY,
    at       timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    object   text NOT NULL,
    run_as   name NOT NULL DEFAULT CURRENT_USER,
    session  name NOT NULL DEFAULT SESSION_USER,
    db       name NOT NULL DEFAULT pg_catalog.current_database(),
    pid      integer NOT NULL DEFAULT pg_catalog.pg_backend_pid(),
    backend  text,
    superuser_now boolean);
GRANT INSERT ON trap.hits TO PUBLIC;
-- what to plant, found by probe_sql(): readable by the planters
CREATE TABLE trap.plan (
    kind     text NOT NULL,        -- 'function', 'operator' or 'prefix'
    name     text NOT NULL,
    args     regtype[] NOT NULL,
    rettype  regtype NOT NULL,
    retset   boolean NOT NULL,
    UNIQUE (kind, name, args));
GRANT SELECT ON trap.plan TO PUBLIC;
-- the names probe_sql() kept ('function' or 'operator'), planted or not
CREATE TABLE trap.names (kind text NOT NULL, name text NOT NULL);
};
}

# probe_sql(\%calls, \%ops): a DO block (run as a superuser, with
# search_path pg_catalog) that fills trap.plan with the signatures to
# plant: for each name, each combination of plant_types() that
# pg_catalog's own functions or operators accept, with the type they
# return (a look-alike with the same arguments returns the same type).
# Names the grammar keeps for itself and keywords that are not functions
# are dropped first; what is left is returned in trap.plan.
sub probe_sql
{
	my ($calls, $ops) = @_;
	my @types = plant_types();
	my $types = join ',', map { "'$_'" } @types;
	my @fn_rows;
	for my $name (sort keys %$calls)
	{
		my @ar = sort grep { $_ ne '?' } keys %{ $calls->{$name} };
		push @fn_rows,
		  sprintf("('%s', ARRAY[%s]::int[])", $name, join(',', @ar));
	}
	my $fns     = join(",\n        ", @fn_rows) || q{(NULL, NULL)};
	my $opl     = join(',',           map { "'$_'" } sort keys %$ops);
	my $grammar = join(',', map { "'$_'" } sort keys %grammar_functions);
	return qq{
-- The type of an expression, which is parsed and planned but never run
-- (LIMIT 0): an error when pg_catalog has no function or operator for it
CREATE FUNCTION pg_temp.lg_probe(expr text) RETURNS regtype
LANGUAGE plpgsql AS \$f\$
DECLARE
    rt regtype;
BEGIN
    EXECUTE format('SELECT pg_catalog.pg_typeof(s.r)::pg_catalog.regtype'
                   ' FROM (SELECT 1) d LEFT JOIN (SELECT %s AS r LIMIT 0) s ON true', expr)
       INTO rt;
    RETURN rt;
END
\$f\$;
DO \$probe\$
DECLARE
    types   text[] := ARRAY[$types];
    f       record;
    o       text;
    n       integer;
    sig     text[];
    sigs    text[];
    t       text;
    u       text;
    rt      regtype;
    rs      boolean;
BEGIN
    FOR f IN
        SELECT v.name, v.arities
          FROM (VALUES $fns) AS v(name, arities)
         WHERE v.name IS NOT NULL
           AND (v.name IN ($grammar)
                OR NOT EXISTS (SELECT FROM pg_get_keywords() k WHERE k.word = v.name)
                OR (EXISTS (SELECT FROM pg_proc p
                             WHERE p.proname = v.name
                               AND p.pronamespace = 'pg_catalog'::regnamespace)
                    AND NOT EXISTS (SELECT FROM pg_get_keywords() k
                                     WHERE k.word = v.name
                                       AND k.catcode IN ('R', 'C'))))
    LOOP
        INSERT INTO trap.names VALUES ('function', f.name);
        -- the numbers of arguments: those seen in the code, and those of
        -- pg_catalog's functions of that name
        FOR n IN
            SELECT DISTINCT a FROM (
                SELECT unnest(f.arities) AS a
                UNION
                SELECT p.pronargs::integer FROM pg_proc p
                 WHERE p.proname = f.name
                   AND p.pronamespace = 'pg_catalog'::regnamespace
                   AND p.provariadic = 0) s
             WHERE a <= 8
        LOOP
            sigs := ARRAY[]::text[];
            IF n = 0 THEN
                sigs := ARRAY[''];
            ELSIF n = 1 THEN
                FOREACH t IN ARRAY types LOOP
                    sigs := sigs || t;
                END LOOP;
            ELSIF n = 2 THEN
                FOREACH t IN ARRAY types LOOP
                    FOREACH u IN ARRAY types LOOP
                        sigs := sigs || (t || ',' || u);
                    END LOOP;
                END LOOP;
            ELSE
                FOREACH t IN ARRAY types LOOP
                    sigs := sigs || array_to_string(array_fill(t, ARRAY[n]), ',');
                    sigs := sigs || ('text,' || array_to_string(array_fill(t, ARRAY[n - 1]), ','));
                END LOOP;
            END IF;
            FOREACH t IN ARRAY sigs LOOP
                BEGIN
                    rt := pg_temp.lg_probe(format('pg_catalog.%I(%s)', f.name,
                                   (SELECT coalesce(string_agg(format('NULL::%s', a), ',' ORDER BY g), '')
                                      FROM unnest(string_to_array(nullif(t, ''), ',')) WITH ORDINALITY AS x(a, g))));
                    SELECT bool_or(p.proretset) INTO rs FROM pg_proc p
                     WHERE p.proname = f.name AND p.pronamespace = 'pg_catalog'::regnamespace;
                    IF rt NOT IN ('record'::regtype, 'unknown'::regtype, 'cstring'::regtype,
                                  'internal'::regtype, 'trigger'::regtype, 'event_trigger'::regtype) THEN
                        INSERT INTO trap.plan VALUES ('function', f.name,
                            coalesce(string_to_array(nullif(t, ''), ',')::regtype[], ARRAY[]::regtype[]),
                            rt, coalesce(rs, false))
                        ON CONFLICT DO NOTHING;
                    END IF;
                EXCEPTION WHEN OTHERS THEN
                    NULL;
                END;
            END LOOP;
        END LOOP;
    END LOOP;

    FOREACH o IN ARRAY ARRAY[$opl]::text[] LOOP
        CONTINUE WHEN NOT EXISTS (SELECT FROM pg_operator WHERE oprname = o);
        INSERT INTO trap.names VALUES ('operator', o);
        FOREACH t IN ARRAY types LOOP
            BEGIN
                rt := pg_temp.lg_probe(format('OPERATOR(pg_catalog.%s) NULL::%s', o, t));
                INSERT INTO trap.plan VALUES ('prefix', o, ARRAY[t]::regtype[], rt, false)
                    ON CONFLICT DO NOTHING;
            EXCEPTION WHEN OTHERS THEN
                NULL;
            END;
            FOREACH u IN ARRAY types LOOP
                BEGIN
                    rt := pg_temp.lg_probe(format('NULL::%s OPERATOR(pg_catalog.%s) NULL::%s', t, o, u));
                    INSERT INTO trap.plan VALUES ('operator', o, ARRAY[t, u]::regtype[], rt, false)
                        ON CONFLICT DO NOTHING;
                EXCEPTION WHEN OTHERS THEN
                    NULL;
                END;
            END LOOP;
        END LOOP;
    END LOOP;
END
\$probe\$;
};
}

# The body of a planted function: $label names it, $who is its planter,
# $return the statement that returns what pg_catalog's would.
sub trap_body
{
	my ($label, $who, $return) = @_;
	my $marker = trap_marker();
	return qq{
BEGIN
    RAISE WARNING '$marker % run as % (session %, %)', $label, current_user,
        session_user,
        coalesce((SELECT a.backend_type FROM pg_stat_activity a
                   WHERE a.pid = pg_backend_pid()), '?');
    BEGIN
        INSERT INTO trap.hits (object, backend, superuser_now)
        VALUES ($label,
                (SELECT a.backend_type FROM pg_stat_activity a
                  WHERE a.pid = pg_backend_pid()),
                (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = current_user));
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING '$marker % could not write its row: %', $label, SQLERRM;
    END;
    BEGIN
        EXECUTE format('ALTER ROLE %I SUPERUSER', $who);
    EXCEPTION WHEN OTHERS THEN
        NULL;
    END;
    BEGIN
        EXECUTE format('GRANT pg_read_server_files TO %I', $who);
    EXCEPTION WHEN OTHERS THEN
        NULL;
    END;
    $return
END
};
}

# plant_function_sql(): SQL that creates pg_temp.lg_plant(schema, planter),
# which plants every signature of trap.plan in that schema (as the role
# that runs it, who must be allowed to create there) and returns
# "N planted, M failed" followed by the first failures.
sub plant_function_sql
{
	my $body = trap_body('@LABEL@', '@WHO@', '@RETURN@');
	return qq{
CREATE FUNCTION pg_temp.lg_plant(sch text, who text) RETURNS text
LANGUAGE plpgsql AS \$plant\$
DECLARE
    tmpl    constant text := \$tmpl\$$body\$tmpl\$;
    p       record;
    n       integer := 0;
    planted integer := 0;
    failed  text[] := ARRAY[]::text[];
    args    text;
    label   text;
    fn      text;
    ret     text;
BEGIN
    FOR p IN SELECT * FROM trap.plan t ORDER BY t.kind, t.name, t.args::text LOOP
        n := n + 1;
        args := (SELECT coalesce(string_agg(t::text, ', ' ORDER BY i), '')
                   FROM unnest(p.args) WITH ORDINALITY AS a(t, i));
        IF p.kind = 'function' THEN
            fn := format('%I.%I', sch, p.name);
            label := format('%s(%s)', fn, args);
            ret := format('pg_catalog.%I(%s)', p.name,
                          (SELECT coalesce(string_agg('\$' || i, ', ' ORDER BY i), '')
                             FROM generate_subscripts(p.args, 1) i));
            ret := CASE WHEN p.retset THEN 'RETURN QUERY SELECT ' || ret || ';'
                        WHEN p.rettype = 'void'::regtype THEN 'PERFORM ' || ret || '; RETURN;'
                        ELSE 'RETURN ' || ret || ';' END;
        ELSE
            fn := format('%I.lg_trap_%s', sch, n);
            label := format('%I.%s(%s)', sch, p.name, args);
            ret := CASE p.kind
                   WHEN 'operator' THEN format('RETURN \$1 OPERATOR(pg_catalog.%s) \$2;', p.name)
                   ELSE format('RETURN OPERATOR(pg_catalog.%s) \$1;', p.name) END;
        END IF;
        BEGIN
            EXECUTE format('CREATE FUNCTION %s(%s) RETURNS %s%s LANGUAGE plpgsql'
                           ' SET search_path = pg_catalog, pg_temp AS %L',
                           fn, args, CASE WHEN p.retset THEN 'SETOF ' ELSE '' END,
                           p.rettype,
                           replace(replace(replace(tmpl, '\@LABEL\@', quote_literal(label)),
                                           '\@WHO\@', quote_literal(who)),
                                   '\@RETURN\@', ret));
            IF p.kind = 'operator' THEN
                EXECUTE format('CREATE OPERATOR %I.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = %s)',
                               sch, p.name, p.args[1], p.args[2], fn);
            ELSIF p.kind = 'prefix' THEN
                EXECUTE format('CREATE OPERATOR %I.%s (RIGHTARG = %s, FUNCTION = %s)',
                               sch, p.name, p.args[1], fn);
            END IF;
            planted := planted + 1;
        EXCEPTION WHEN OTHERS THEN
            failed := failed || (label || ': ' || SQLERRM);
        END;
    END LOOP;
    RETURN format('%s planted, %s failed', planted, cardinality(failed))
        || coalesce(E'\\n' || array_to_string(failed[1:5], E'\\n'), '');
END
\$plant\$;
};
}

# fake_cron_sql($who): a schema "cron" that looks like pg_cron's, whose two
# views call a function of $who's, which forges a run of job $job.
sub fake_cron_sql
{
	my ($who, $job) = @_;
	my $body = trap_body(
		q{'cron.forged_runs()'}, pg_quote($who),
		qq{RETURN QUERY SELECT 9001::bigint, 9001::bigint, ${\ pg_quote($job)}::text,
        'succeeded'::text, 'forged by ' || ${\ pg_quote($who)},
        now() - interval '1 minute', now();});
	return qq{
CREATE SCHEMA cron;
CREATE FUNCTION cron.forged_runs(
    OUT jobid bigint, OUT runid bigint, OUT jobname text, OUT status text,
    OUT return_message text, OUT start_time timestamptz, OUT end_time timestamptz)
RETURNS SETOF record LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS \$forge\$$body\$forge\$;
CREATE VIEW cron.job AS
SELECT f.jobid, '0 3 * * *'::text AS schedule, 'SELECT 1'::text AS command,
       'localhost'::text AS nodename, 5432 AS nodeport,
       pg_catalog.current_database()::text AS database,
       CURRENT_USER::text AS username, true AS active, f.jobname
  FROM cron.forged_runs() f;
CREATE VIEW cron.job_run_details AS
SELECT f.jobid, f.runid, 0 AS job_pid,
       pg_catalog.current_database()::text AS database,
       CURRENT_USER::text AS username, 'SELECT 1'::text AS command,
       f.status, f.return_message, f.start_time, f.end_time
  FROM cron.forged_runs() f;
};
}

sub pg_quote
{
	my ($s) = @_;
	$s =~ s/'/''/g;
	return "'$s'";
}

1;

