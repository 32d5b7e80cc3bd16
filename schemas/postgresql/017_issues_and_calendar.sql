-- Issued reports (通报, API.md Part 2 "Coordination"): the sharing-status report of a period as
-- the coordination group issued it, the bytes of each representation frozen, with the SHA-256 of
-- the JSON and its Ed25519 signature by the ledger's key. Never changed or deleted by the hub.
-- And alerts of the hub itself, which concern no agency.
CREATE TABLE report_issues (
  id          text PRIMARY KEY,
  seq         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  number      text NOT NULL UNIQUE,
  title       text NOT NULL,
  period_from date NOT NULL,
  period_to   date NOT NULL,
  issued_at   timestamptz NOT NULL,
  issued_by   text NOT NULL,
  json_body   bytea NOT NULL,
  csv_body    bytea NOT NULL,
  xlsx_body   bytea NOT NULL,
  sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  signature   text NOT NULL
);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hub_app') THEN
    EXECUTE 'REVOKE UPDATE, DELETE, TRUNCATE ON report_issues FROM hub_app';
  END IF;
END
$$;

-- The hub's own alerts (calendar_ending) concern no agency.
ALTER TABLE alerts ALTER COLUMN agency_code DROP NOT NULL;
