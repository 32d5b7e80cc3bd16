-- The share ledger (共享日志): an append-only log of every data request, allowed or denied, and
-- the RFC 9162 Merkle tree over it (docs/ledger.md).
--
-- Order: entries get their index under the row lock of ledger_head, taken in the transaction
-- that inserts them. Batches from every hub node therefore commit in index order and the log has
-- no gaps: a reader that sees entry n sees every entry before it.

CREATE TABLE ledger_head (
  singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  next_index bigint NOT NULL,
  last_time  timestamptz NOT NULL  -- the entries' time never goes backwards
);
INSERT INTO ledger_head VALUES (true, 0, now());

CREATE TABLE ledger_entries (
  idx           bigint NOT NULL,
  time          timestamptz NOT NULL,
  -- What the lists filter on and the reports count, as columns. The leaf holds every field of the
  -- entry (these too); the hub builds an entry from its leaf and these columns, so that a column
  -- changed behind the ledger's back shows as a field that differs from the leaf.
  request_id    text NOT NULL,
  operation     text NOT NULL,
  consumer_code text NOT NULL,
  provider_code text,
  resource_code text NOT NULL,
  status        smallint NOT NULL,
  record_count  bigint NOT NULL,
  leaf          bytea NOT NULL,  -- the exact bytes hashed: UTF-8 JSON of the entry's fields
  leaf_hash     bytea NOT NULL,  -- SHA-256(0x00 || leaf), as computed when appended
  PRIMARY KEY (idx, time)
) PARTITION BY RANGE (time);
CREATE INDEX ledger_entries_request ON ledger_entries (request_id);
CREATE INDEX ledger_entries_consumer ON ledger_entries (consumer_code, idx);
CREATE INDEX ledger_entries_provider ON ledger_entries (provider_code, idx);
-- No index of its own for resource_code: each index costs every append (four cost a third of
-- the append rate); a resource's entries are found through its provider's index.
-- Catches rows whose month has no partition yet (a clock far off); never expected to fill.
CREATE TABLE ledger_entries_default PARTITION OF ledger_entries DEFAULT;

-- Stored subtree hashes in tiles of 256 (as C2SP tlog-tiles): the tile (level, idx) holds the
-- hashes of the complete tree nodes at height 8 * level with indexes 256 * idx ... 256 * idx + 255,
-- 32 bytes each. Any node hash is one tile read plus at most 255 hash computations, so a proof
-- reads O(log n / 8) rows. The sealer appends to the rightmost tile of each level.
CREATE TABLE ledger_tiles (
  level  smallint NOT NULL,
  idx    bigint NOT NULL,
  hashes bytea NOT NULL,
  PRIMARY KEY (level, idx)
);

-- Signed checkpoints (C2SP tlog-checkpoint signed notes), one per sealed tree size.
CREATE TABLE ledger_checkpoints (
  tree_size  bigint PRIMARY KEY,
  root_hash  bytea NOT NULL,
  note       text NOT NULL,
  key_id     text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Append-only: no UPDATE or DELETE of entries or checkpoints, whoever asks. (A superuser can
-- still disable the trigger; `hubctl ledger verify` is what catches that.)
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_checkpoints_append_only BEFORE UPDATE OR DELETE ON ledger_checkpoints
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_checkpoints_no_truncate BEFORE TRUNCATE ON ledger_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

-- Monthly partitions (UTC months), made ahead of time. Runs as the owner (SECURITY DEFINER) so
-- that the hub can call it without the right to create tables; the hub's role gets nothing on a
-- partition itself, so rows are reached only through ledger_entries and its privileges.
CREATE FUNCTION ledger_ensure_partitions(months_ahead integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  first_month timestamp := date_trunc('month', now() AT TIME ZONE 'UTC');
  month_start timestamp;
  part text;
  made integer := 0;
BEGIN
  IF months_ahead < 0 OR months_ahead > 24 THEN
    RAISE EXCEPTION 'months_ahead must be 0..24';
  END IF;
  PERFORM pg_advisory_xact_lock(7236837893211013);
  FOR i IN 0..months_ahead LOOP
    month_start := first_month + make_interval(months => i);
    part := 'ledger_entries_' || to_char(month_start, 'YYYY_MM');
    IF to_regclass(part) IS NULL THEN
      EXECUTE format('CREATE TABLE %I PARTITION OF ledger_entries FOR VALUES FROM (%L) TO (%L)',
                     part, month_start AT TIME ZONE 'UTC',
                     (month_start + interval '1 month') AT TIME ZONE 'UTC');
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hub_app') THEN
        EXECUTE format('REVOKE ALL ON %I FROM hub_app', part);
      END IF;
      made := made + 1;
    END IF;
  END LOOP;
  RETURN made;
END
$$;
REVOKE ALL ON FUNCTION ledger_ensure_partitions(integer) FROM PUBLIC;
SELECT ledger_ensure_partitions(2);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hub_app') THEN
    EXECUTE 'REVOKE UPDATE, DELETE, TRUNCATE ON ledger_entries, ledger_checkpoints FROM hub_app';
    EXECUTE 'REVOKE ALL ON ledger_entries_default FROM hub_app';
    EXECUTE 'REVOKE DELETE, TRUNCATE ON ledger_head, ledger_tiles FROM hub_app';
    EXECUTE 'GRANT EXECUTE ON FUNCTION ledger_ensure_partitions(integer) TO hub_app';
  END IF;
END
$$;
