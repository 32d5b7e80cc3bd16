-- Purpose codes in the ledger and the report (API.md Part 2, "Grants leak nothing they do not
-- grant"; docs/reports.md "Requests by purpose code"). Each entry's purpose_code (the
-- X-Purpose-Code its request carried, checked against the grant's purpose_codes; in its leaf
-- already) gets a column, so that the sealer rolls requests up per consumer and purpose code
-- without parsing leaves. '' in the rollup is a request that named no code.
ALTER TABLE ledger_entries ADD COLUMN purpose_code text;

CREATE TABLE purpose_daily (
  day           date NOT NULL,
  consumer_code text NOT NULL,
  purpose_code  text NOT NULL,
  requests      bigint NOT NULL,  -- answered 2xx
  refused       bigint NOT NULL,  -- turned away by the access rules (401, 403)
  PRIMARY KEY (day, consumer_code, purpose_code)
);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hub_app') THEN
    EXECUTE 'REVOKE DELETE, TRUNCATE ON purpose_daily FROM hub_app';
  END IF;
END
$$;
