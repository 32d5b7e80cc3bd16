-- API.md Part 2, "Grants leak nothing they do not grant" (docs/security.md):
--   purpose codes     an application may name the purposes (政务服务事项编码, scenario codes) its
--                     grant is for; a data request under such a grant names one of them;
--   ended grants      retiring a resource ends its grants (status 'ended'), as revoking would,
--                     but by the provider's catalogue, not by a decision on the grant;
--   verify budgets    verify answers that are not a full match, per grant and minute, so that a
--                     grant's misses within an hour can be capped (exchange.verify_misses_per_hour)
--                     on every node alike, and the early warning can see who probes.

ALTER TABLE applications ADD COLUMN purpose_codes text[] NOT NULL DEFAULT '{}';
ALTER TABLE grants ADD COLUMN purpose_codes text[] NOT NULL DEFAULT '{}';
ALTER TABLE grants ADD COLUMN ended_at timestamptz;

-- Grants of resources retired before this migration end with them.
UPDATE grants g SET ended_at = r.retired_at
  FROM resources r
 WHERE r.code = g.resource_code AND r.status = 'retired' AND g.ended_at IS NULL;

CREATE TABLE verify_misses (
  grant_id text NOT NULL,
  minute   timestamptz NOT NULL,  -- the start of the minute
  misses   integer NOT NULL,
  PRIMARY KEY (grant_id, minute)
);

-- An objection names its record for the consumer as the consumer's grant shows it: its ref
-- (exchange/refs) and the key as shown to it (clear, masked or none). The key itself is for the
-- provider only. Objections made before this migration show the consumer no key.
ALTER TABLE objections ADD COLUMN record_ref text;
ALTER TABLE objections ADD COLUMN key_shown text;
