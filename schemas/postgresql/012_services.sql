-- Interface services (API.md Part 2, docs/gateway.md): a call's entry records what the upstream
-- answered and how long it took, as columns beside the leaf (which holds them too) so that the
-- reports and the health page count calls without decoding leaves.
--   upstream_status  the upstream's HTTP status; NULL when it gave none (timeout, broken
--                    connection, refused address, or the breaker was open)
--   upstream_ms      milliseconds spent on the upstream; NULL when the hub never tried it (the
--                    call was refused before: no grant, bad params); 0 with a NULL status when
--                    the breaker was open
ALTER TABLE ledger_entries ADD COLUMN upstream_status smallint, ADD COLUMN upstream_ms integer;
-- Only call entries are indexed, so datasets' appends pay nothing for it.
CREATE INDEX ledger_entries_calls ON ledger_entries (resource_code, time)
  WHERE operation = 'call';

-- The report's service columns (API.md Part 2), kept by the sealer with the rest of the day.
ALTER TABLE agency_daily
  ADD COLUMN service_calls_served bigint NOT NULL DEFAULT 0,  -- allowed calls of its services
  ADD COLUMN upstream_calls bigint NOT NULL DEFAULT 0,  -- calls its upstreams were tried for
  ADD COLUMN upstream_failures bigint NOT NULL DEFAULT 0;  -- of those: 5xx, none, breaker open

-- A breaker that opened on some node: the early warning turns each into a service_unavailable
-- alert (one per service and city hour). Written by the node whose breaker opened.
CREATE TABLE service_outages (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  resource_code text NOT NULL,
  provider_code text NOT NULL,
  upstream      text NOT NULL,  -- scheme://host:port
  opened_at     timestamptz NOT NULL DEFAULT now(),
  failures      integer NOT NULL,
  last_failure  text NOT NULL
);
CREATE INDEX service_outages_time ON service_outages (opened_at);
