-- Bulk writes at PostgreSQL's speed (issue 22, docs/performance.md "Bulk import"): per-row costs
-- of writing records that a batch of them paid for nothing.

-- 1. records' foreign key to resources goes. Its check ran once per written row (an RI trigger
-- and a query each: about a third of the store's time in an import of plain rows). Every
-- statement of the hub that creates records (a push, an import batch) also creates or updates
-- the resource's record_sequences row (the change numbers, in the same statement), and that
-- table keeps its foreign key to resources, checked at the end of the statement; a resource is
-- never deleted (hub_app may not), and its code never changes.
ALTER TABLE records DROP CONSTRAINT records_resource_code_fkey;

-- 2. A unique item's claim (024_quality.sql) was computed by a function call of its own for each
-- value: declared IMMUTABLE over STABLE calls (convert_to, to_jsonb), PostgreSQL would not inline
-- it, and each call cost about 8 µs, more than writing the row. Declared STABLE, as their bodies
-- are, both are inlined into the statement or the trigger's expression (about 2 µs); the values
-- are the same, so the claims already stored stay valid. None of the three is used in an index;
-- hub_items_digest (objections' record digests) calls hub_canonical, so it follows.
ALTER FUNCTION hub_canonical(jsonb) STABLE;
ALTER FUNCTION hub_claim(text, jsonb) STABLE;
ALTER FUNCTION hub_items_digest(jsonb, text[]) STABLE;
