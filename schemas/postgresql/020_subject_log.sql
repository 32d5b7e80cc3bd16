-- The subject log (API.md Part 2, "Accountability and usable-but-invisible"; docs/ledger.md):
-- for any person or enterprise, who received their data, when and for what purpose. Each data
-- request's entry keeps the keyed hashes (HMAC-SHA256 under the hub's 'subject' secret, never
-- the key) of the record keys its answer named, sorted, 32 bytes each, in `subjects`; its leaf
-- commits to them (subjects_sha256), so an audit of an export catches a subject removed or
-- added. ledger_subjects is their index for lookups by subject, filled from the entries in the
-- transaction that appends them.
ALTER TABLE ledger_entries ADD COLUMN subjects bytea;

CREATE TABLE ledger_subjects (
  subject bytea NOT NULL,
  idx     bigint NOT NULL,
  PRIMARY KEY (subject, idx)
);

-- Per statement (one COPY of a batch): a batch without subjects costs one empty scan of its rows.
CREATE FUNCTION ledger_subjects_indexed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO ledger_subjects (subject, idx)
    SELECT substring(n.subjects FROM i * 32 + 1 FOR 32), n.idx
    FROM new_rows n, generate_series(0, length(n.subjects) / 32 - 1) AS i
    WHERE n.subjects IS NOT NULL;
  RETURN NULL;
END
$$;
CREATE TRIGGER ledger_entries_subjects AFTER INSERT ON ledger_entries
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_subjects_indexed();

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hub_app') THEN
    EXECUTE 'REVOKE UPDATE, DELETE, TRUNCATE ON ledger_subjects FROM hub_app';
  END IF;
END
$$;
