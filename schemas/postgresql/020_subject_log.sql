-- The subject log (API.md Part 2, "Accountability and usable-but-invisible"; docs/ledger.md):
-- for any person or enterprise, who received their data, when and for what purpose. Each data
-- request's entry keeps the keyed hashes (HMAC-SHA256 under the hub's 'subject' secret, never
-- the key) of the record keys its answer named, sorted, 32 bytes each, in `subjects`; its leaf
-- commits to them (subjects_sha256), so an audit of an export catches a subject removed or
-- added. ledger_subjects is their index for lookups by subject.
ALTER TABLE ledger_entries ADD COLUMN subjects bytea;

CREATE TABLE ledger_subjects (
  subject bytea NOT NULL,
  idx     bigint NOT NULL,
  PRIMARY KEY (subject, idx)
);

-- Filled by the sealer for the range each checkpoint seals, in the transaction that signs it
-- (src/ledger/sealer.cpp): nothing on the request path but the 32 bytes per subject in the
-- entry's row. Entries not yet sealed (about a second's worth) are found by scanning the
-- unsealed tail's `subjects` (src/ledger/service.cpp).
-- Whether an entry's stored subjects (concatenated 32-byte hashes) hold `subject`, at a hash's
-- boundary: the lookup of the entries the sealer has not indexed yet.
CREATE FUNCTION hub_names_subject(subjects bytea, subject bytea) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT EXISTS (SELECT 1 FROM generate_series(0, length(subjects) / 32 - 1) AS i
                 WHERE substring(subjects FROM i * 32 + 1 FOR 32) = subject)
$$;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hub_app') THEN
    EXECUTE 'REVOKE UPDATE, DELETE, TRUNCATE ON ledger_subjects FROM hub_app';
  END IF;
END
$$;
