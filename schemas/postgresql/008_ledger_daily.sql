-- Daily rollups of the ledger, for the sharing-status report: the report reads these (its cost
-- grows with agencies × days), never the ledger's rows. The sealer adds each sealed range of
-- entries here in the transaction that signs its checkpoint, so every entry is counted exactly
-- once and the rollups never run ahead of the signed log. Days are the city's (Asia/Shanghai).
CREATE TABLE ledger_daily (
  day           date NOT NULL,
  consumer_code text NOT NULL,
  provider_code text NOT NULL,  -- '' when the resource was unknown
  resource_code text NOT NULL,
  operation     text NOT NULL,
  allowed       boolean NOT NULL,  -- answered 2xx
  requests      bigint NOT NULL,
  records       bigint NOT NULL,
  PRIMARY KEY (day, consumer_code, provider_code, resource_code, operation, allowed)
);
CREATE INDEX ledger_daily_provider ON ledger_daily (provider_code, day);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hub_app') THEN
    EXECUTE 'REVOKE DELETE, TRUNCATE ON ledger_daily FROM hub_app';
  END IF;
END
$$;
