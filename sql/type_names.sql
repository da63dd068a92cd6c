--
-- Type names, as PostgreSQL's own type_sanity regression test checks them,
-- on the extension's schema.  Every table and view has a row type of its
-- name, whose array type is named "_" plus that name; a relation named "_x"
-- beside a relation "x" takes that name, x's array type gets another one,
-- and type_sanity fails in every database where the extension exists.
--
CREATE TEMP VIEW our_types AS
SELECT t.*
FROM pg_type t
WHERE t.typnamespace = (SELECT extnamespace FROM pg_extension
                        WHERE extname = 'pg_lifeguard');

-- There is something to check
SELECT count(*) > 0 AS have_types FROM our_types WHERE typcategory <> 'A';

-- Every type but an array has an array type, named "_" plus its own name
SELECT t.typname AS type, a.typname AS array_type
FROM our_types t
LEFT JOIN pg_type a ON a.oid = t.typarray
WHERE t.typcategory <> 'A'
  AND (a.oid IS NULL OR a.typelem <> t.oid
       OR a.typname <> ('_' || t.typname)::name)
ORDER BY 1;

-- No relation is named "_" plus the name of another one
SELECT c.relname, o.relname AS other
FROM pg_class c
JOIN pg_class o ON o.relnamespace = c.relnamespace
               AND c.relname = ('_' || o.relname)::name
WHERE c.relnamespace = (SELECT extnamespace FROM pg_extension
                        WHERE extname = 'pg_lifeguard')
ORDER BY 1;

DROP VIEW our_types;
