-- Data quality (API.md Part 2, docs/exchange.md "Quality"): the rules a stored record breaks
-- (a resource in quality_mode "flag" keeps such records, marked), and items whose values no two
-- live records of a resource may share (the `unique` rule).

-- The rules a stored record breaks, as "item.rule" (e.g. "credit_code.check"); NULL when none.
ALTER TABLE records ADD COLUMN broken text[];
-- The claims the record holds on its unique items' values, as "item:hash" (the first 128 bits of
-- the SHA-256 of the value's JSON text as PostgreSQL stores it, in hex); NULL when the resource
-- has no unique item. A writer sets it to the names of the resource's unique items; the trigger
-- below turns them into the claims it could take.
ALTER TABLE records ADD COLUMN claims text[];
ALTER TABLE resources ADD COLUMN flagged_count bigint NOT NULL DEFAULT 0;

-- Who holds each unique value of a resource: at most one live record.
CREATE TABLE record_unique (
  resource_code text NOT NULL,
  claim         text NOT NULL,
  key           text NOT NULL,
  PRIMARY KEY (resource_code, claim)
);
CREATE INDEX record_unique_key ON record_unique (resource_code, key);

-- A value as compared: a number by its value (the hub keeps a number as written, so 1.0 and
-- 1.00 are stored apart), anything else as its JSON text.
CREATE FUNCTION hub_canonical(value jsonb) RETURNS jsonb
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN jsonb_typeof(value) = 'number'
              THEN to_jsonb(trim_scale(value::text::numeric)) ELSE value END;

-- A unique item's claim for a value.
CREATE FUNCTION hub_claim(item text, value jsonb) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN item || ':' ||
         left(encode(sha256(convert_to(hub_canonical(value)::text, 'UTF8')), 'hex'), 32);

-- The unique items of a resource's current version (the key item is unique already).
CREATE FUNCTION hub_unique_items(target text) RETURNS text[]
  LANGUAGE sql STABLE
  RETURN (SELECT array_agg(i->>'name' ORDER BY i->>'name')
            FROM resources r, jsonb_array_elements(r.document->'items') AS i
           WHERE r.code = target AND i->>'unique' = 'true'
             AND i->>'name' IS DISTINCT FROM r.document->>'key');

-- Before a record row is written: the claims of its unique items' values are taken, and those of
-- its old values it no longer holds given back. Every writer of a resource's records first
-- takes the row lock of its record_sequences row (the change number, in the same statement), so
-- the writers of one resource run one at a time and this trigger never races itself; the
-- primary key of record_unique is the last word all the same.
--
-- A claim another live record holds is a broken `unique` rule: in quality_mode "reject" the row
-- is not written (the statement's RETURNING leaves it out, and the caller answers 422 or rejects
-- the import line) and what this write claimed is given back; in "flag" it is written, marked
-- "item.unique", holding only the claims it could take.
CREATE FUNCTION records_claim() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  names  text[];
  c      text;
  n      text;
  holder text;
  mark   text;
  flag   boolean;
  held   text[] := '{}';
  fresh  text[] := '{}';
BEGIN
  IF NOT NEW.deleted THEN
    IF NEW.claims IS NULL THEN
      -- A writer that did not name the unique items (its catalogue was a version behind, or the
      -- rule was removed): the current version decides.
      names := hub_unique_items(NEW.resource_code);
    ELSE
      -- Names, or (the update step of an upsert, after the insert step) claims already made.
      FOREACH c IN ARRAY NEW.claims LOOP
        names := names || split_part(c, ':', 1);
      END LOOP;
    END IF;
    FOREACH n IN ARRAY coalesce(names, '{}') LOOP
      CONTINUE WHEN NEW.data IS NULL OR NOT NEW.data ? n OR jsonb_typeof(NEW.data->n) = 'null';
      c := hub_claim(n, NEW.data->n);
      INSERT INTO record_unique (resource_code, claim, key) VALUES (NEW.resource_code, c, NEW.key)
        ON CONFLICT DO NOTHING;
      IF FOUND THEN
        fresh := fresh || c;
        held := held || c;
        CONTINUE;
      END IF;
      SELECT u.key INTO holder FROM record_unique u
       WHERE u.resource_code = NEW.resource_code AND u.claim = c;
      IF NOT FOUND THEN
        -- Given back between the two statements: only a writer that skipped the change
        -- counter's lock could do that. The statement fails whole, and a retry settles it.
        RAISE EXCEPTION 'a unique value of % changed hands meanwhile', NEW.resource_code
          USING ERRCODE = '40001';
      END IF;
      IF holder = NEW.key THEN
        held := held || c;
        CONTINUE;
      END IF;
      IF flag IS NULL THEN
        SELECT coalesce(r.document->>'quality_mode', 'reject') = 'flag' INTO flag
          FROM resources r WHERE r.code = NEW.resource_code;
      END IF;
      IF NOT flag THEN
        -- quality_mode reject: the row is not written, and what this write claimed is given
        -- back (on an update, also what the key holds beyond its stored record's claims: the
        -- insert step of this statement may have taken those).
        IF TG_OP = 'INSERT' THEN
          DELETE FROM record_unique u
           WHERE u.resource_code = NEW.resource_code AND u.key = NEW.key AND u.claim = ANY (fresh);
        ELSE
          DELETE FROM record_unique u
           WHERE u.resource_code = NEW.resource_code AND u.key = NEW.key
             AND (OLD.claims IS NULL OR NOT u.claim = ANY (OLD.claims));
        END IF;
        RETURN NULL;
      END IF;
      mark := n || '.unique';
      IF NEW.broken IS NULL THEN
        NEW.broken := ARRAY[mark];
      ELSIF NOT mark = ANY (NEW.broken) THEN
        NEW.broken := NEW.broken || mark;
      END IF;
    END LOOP;
    NEW.claims := CASE WHEN names IS NULL THEN NULL ELSE held END;
  ELSE
    NEW.claims := NULL;
  END IF;
  -- The row will be written: the claims of its old values that it no longer holds are released.
  IF TG_OP = 'UPDATE' AND OLD.claims IS NOT NULL THEN
    DELETE FROM record_unique u
     WHERE u.resource_code = OLD.resource_code AND u.key = OLD.key
       AND u.claim = ANY (OLD.claims)
       AND (NEW.claims IS NULL OR NOT u.claim = ANY (NEW.claims));
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER records_claim_insert BEFORE INSERT ON records
  FOR EACH ROW WHEN (NEW.claims IS NOT NULL) EXECUTE FUNCTION records_claim();
CREATE TRIGGER records_claim_update BEFORE UPDATE ON records
  FOR EACH ROW WHEN (NEW.claims IS NOT NULL OR OLD.claims IS NOT NULL)
  EXECUTE FUNCTION records_claim();

-- resources.record_count, flagged_count and last_updated_at, and the day's records written
-- (resource_daily, 019), follow the records, per statement. An update that changes no record
-- (no new change number: a catalogue version that adds a unique rule claims the stored values)
-- is not a write: freshness and the day's count stay.
CREATE OR REPLACE FUNCTION records_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE resources r SET record_count = r.record_count + n.c,
                           flagged_count = r.flagged_count + n.f, last_updated_at = now()
      FROM (SELECT resource_code, count(*) FILTER (WHERE NOT deleted) AS c,
                   count(*) FILTER (WHERE NOT deleted AND broken IS NOT NULL) AS f
              FROM new_rows GROUP BY resource_code) n
      WHERE r.code = n.resource_code;
    INSERT INTO resource_daily AS d (day, resource_code, records_written)
      SELECT hub_local_day(now()), resource_code, count(*) FROM new_rows GROUP BY resource_code
      ORDER BY resource_code
    ON CONFLICT (day, resource_code)
      DO UPDATE SET records_written = d.records_written + excluded.records_written;
  ELSE
    UPDATE resources r SET record_count = r.record_count + d.c,
                           flagged_count = r.flagged_count + d.f,
                           last_updated_at = CASE WHEN d.w > 0 THEN now() ELSE r.last_updated_at END
      FROM (SELECT n.resource_code,
                   count(*) FILTER (WHERE NOT n.deleted) - count(*) FILTER (WHERE NOT o.deleted) AS c,
                   count(*) FILTER (WHERE NOT n.deleted AND n.broken IS NOT NULL)
                     - count(*) FILTER (WHERE NOT o.deleted AND o.broken IS NOT NULL) AS f,
                   count(*) FILTER (WHERE n.seq <> o.seq) AS w
              FROM new_rows n JOIN old_rows o USING (resource_code, key)
              GROUP BY n.resource_code) d
      WHERE r.code = d.resource_code;
    INSERT INTO resource_daily AS d (day, resource_code, records_written)
      SELECT hub_local_day(now()), n.resource_code, count(*)
        FROM new_rows n JOIN old_rows o USING (resource_code, key)
       WHERE n.seq <> o.seq GROUP BY n.resource_code
      ORDER BY n.resource_code
    ON CONFLICT (day, resource_code)
      DO UPDATE SET records_written = d.records_written + excluded.records_written;
  END IF;
  RETURN NULL;
END
$$;

-- The quality of each resource as last measured (GET /resources/{code}/quality measures and
-- stores it; the monitor re-measures resources whose records changed since), which the
-- data-quality report and the sharing-status report's score read without scanning records.
CREATE TABLE resource_quality (
  resource_code   text PRIMARY KEY REFERENCES resources (code),
  measured_at     timestamptz NOT NULL,
  records         bigint NOT NULL,
  sampled         bigint,            -- the records examined, when a sample (NULL: all)
  completeness    jsonb NOT NULL,    -- {item: fraction of records with a value}
  validity        jsonb NOT NULL,    -- {"item.rule": fraction of records keeping it}
  flagged_records bigint NOT NULL,
  seq             bigint NOT NULL,   -- the resource's next change number when measured
  fresh           boolean NOT NULL,
  objections_open bigint NOT NULL,
  score           numeric NOT NULL   -- 0..100
);

-- Measures one resource's quality and stores it (what GET /resources/{code}/quality and the
-- monitor's re-measuring both run, so both say the same). Live records are examined in one
-- pass: all of them when there are at most `exact_limit`, else those at `probes` random change
-- numbers (each live record holds one change number, so every record is as likely to be picked:
-- a uniform sample). Completeness: of the records examined, the share with a value (not null)
-- for each item. Validity: the share not marked as breaking each of the items' rules (marks are
-- made as records are written: a rule added later applies from then on). The score, 0..100, is
-- the weighted mean of completeness (30), validity (40), freshness (20: 1 when the records were
-- updated within the update cycle's allowance, 0 when stale or empty) and open objections (10:
-- 1 / (1 + open)); completeness and validity have no basis without records (validity also
-- without rules), and their weight goes to the others (docs/exchange.md "Quality").
CREATE FUNCTION hub_measure_quality(target text, exact_limit bigint, probes bigint)
RETURNS resource_quality LANGUAGE plpgsql AS $$
DECLARE
  res       resources;
  n         bigint;
  present   jsonb;
  marks     jsonb;
  top       bigint;
  examined  bigint;
  comp      jsonb := '{}';
  val       jsonb := '{}';
  item      jsonb;
  rule      text;
  fresh     boolean;
  open_obj  bigint;
  w         float8 := 0;
  total     float8 := 0;
  part      float8;
  q         resource_quality;
BEGIN
  SELECT * INTO res FROM resources r WHERE r.code = target;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  IF res.record_count <= exact_limit THEN
    WITH base AS MATERIALIZED (
      SELECT data, broken FROM records WHERE resource_code = target AND NOT deleted)
    SELECT (SELECT count(*) FROM base),
           (SELECT coalesce(jsonb_object_agg(k, c), '{}') FROM (
              SELECT e.k, count(*) AS c FROM base, jsonb_each(base.data) AS e(k, v)
               WHERE jsonb_typeof(e.v) <> 'null' GROUP BY e.k) x),
           (SELECT coalesce(jsonb_object_agg(b, c), '{}') FROM (
              SELECT b, count(*) AS c FROM base, unnest(base.broken) AS b GROUP BY b) y)
      INTO n, present, marks;
  ELSE
    SELECT coalesce(max(next_seq) - 1, 0) INTO top FROM record_sequences
     WHERE resource_code = target;
    -- Live records hold a share record_count / top of the change numbers (the others were
    -- superseded): as many probes as find about `probes` of them, at most ten times as many.
    WITH pick AS (SELECT DISTINCT (1 + floor(random() * top))::bigint AS seq
                    FROM generate_series(1, least(probes * 10,
                      ceil(probes::numeric * top / greatest(res.record_count, 1))::bigint))),
    base AS MATERIALIZED (
      SELECT r.data, r.broken FROM pick JOIN records r
          ON r.resource_code = target AND r.seq = pick.seq
       WHERE NOT r.deleted)
    SELECT (SELECT count(*) FROM base),
           (SELECT coalesce(jsonb_object_agg(k, c), '{}') FROM (
              SELECT e.k, count(*) AS c FROM base, jsonb_each(base.data) AS e(k, v)
               WHERE jsonb_typeof(e.v) <> 'null' GROUP BY e.k) x),
           (SELECT coalesce(jsonb_object_agg(b, c), '{}') FROM (
              SELECT b, count(*) AS c FROM base, unnest(base.broken) AS b GROUP BY b) y)
      INTO n, present, marks;
    examined := n;
  END IF;
  IF n > 0 THEN
    FOR item IN SELECT * FROM jsonb_array_elements(coalesce(res.document->'items', '[]')) LOOP
      comp := comp || jsonb_build_object(item->>'name',
        round(coalesce((present->>(item->>'name'))::numeric, 0) / n, 4));
      FOREACH rule IN ARRAY ARRAY['pattern', 'enum', 'code_list', 'min', 'max', 'max_length',
                                  'check', 'unique'] LOOP
        CONTINUE WHEN NOT item ? rule OR item->rule = 'null'::jsonb OR item->rule = 'false'::jsonb;
        val := val || jsonb_build_object((item->>'name') || '.' || rule,
          round(1 - coalesce((marks->>((item->>'name') || '.' || rule))::numeric, 0) / n, 4));
      END LOOP;
    END LOOP;
    SELECT avg(value::text::float8) INTO part FROM jsonb_each(comp);
    IF part IS NOT NULL THEN
      total := total + 30 * part;
      w := w + 30;
    END IF;
    SELECT avg(value::text::float8) INTO part FROM jsonb_each(val);
    IF part IS NOT NULL THEN
      total := total + 40 * part;
      w := w + 40;
    END IF;
  END IF;
  fresh := res.record_count > 0 AND coalesce(res.last_updated_at, res.published_at, res.created_at)
           >= now() - hub_update_allowance(res.document->>'update_cycle');
  total := total + 20 * (CASE WHEN fresh THEN 1 ELSE 0 END);
  SELECT count(*) INTO open_obj FROM objections o
   WHERE o.resource_code = target AND o.status = 'open';
  total := total + 10 * (1.0 / (1 + open_obj));
  w := w + 30;
  -- An empty dataset shares nothing: its quality is 0, not what its objections alone would make.
  IF res.record_count = 0 THEN
    total := 0;
  END IF;
  INSERT INTO resource_quality AS rq (resource_code, measured_at, records, sampled, completeness,
                                      validity, flagged_records, seq, fresh, objections_open,
                                      score)
  VALUES (target, now(), res.record_count, examined, comp, val, res.flagged_count,
          coalesce((SELECT next_seq FROM record_sequences WHERE resource_code = target), 1),
          fresh, open_obj, round((100 * total / w)::numeric, 2))
  ON CONFLICT (resource_code) DO UPDATE SET measured_at = EXCLUDED.measured_at,
    records = EXCLUDED.records, sampled = EXCLUDED.sampled, completeness = EXCLUDED.completeness,
    validity = EXCLUDED.validity, flagged_records = EXCLUDED.flagged_records,
    seq = EXCLUDED.seq, fresh = EXCLUDED.fresh, objections_open = EXCLUDED.objections_open, score = EXCLUDED.score
  RETURNING * INTO q;
  RETURN q;
END
$$;

-- An objection remembers what the objected items held when it was raised (an MD5 of their values
-- as a JSON object): resolving it as corrected needs those values changed, or the record removed
-- (API.md Part 2). A reload that writes the same values again is no correction. Objections
-- raised before this column need nothing.
ALTER TABLE objections ADD COLUMN record_digest text;

-- The digest of a record's values of some items.
CREATE FUNCTION hub_items_digest(data jsonb, items text[]) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN md5(coalesce((SELECT jsonb_object_agg(i, hub_canonical(data -> i))
                         FROM unnest(items) AS i), '{}')::text);
