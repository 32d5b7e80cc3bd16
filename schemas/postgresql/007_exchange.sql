-- The exchange store: records of resources as JSONB keyed by (resource, key), with a version
-- and a per-resource change sequence; the changes feed; freshness and counts on resources.

CREATE TABLE records (
  resource_code text NOT NULL REFERENCES resources (code),
  key           text NOT NULL,
  version       integer NOT NULL,
  data          jsonb NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  seq           bigint NOT NULL,
  PRIMARY KEY (resource_code, key)
);

-- Each resource's change counter: the next sequence number of its changes feed.
CREATE TABLE record_sequences (
  resource_code text PRIMARY KEY REFERENCES resources (code),
  next_seq      bigint NOT NULL DEFAULT 1
);

CREATE TABLE record_changes (
  resource_code text NOT NULL,
  seq           bigint NOT NULL,
  op            text NOT NULL CHECK (op IN ('upsert', 'delete')),
  key           text NOT NULL,
  version       integer NOT NULL,
  data          jsonb,
  at            timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (resource_code, seq)
);

-- resources.record_count and last_updated_at (freshness) follow the records, per statement,
-- so that a million-row import costs one update of its resource, not a million.
CREATE FUNCTION records_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE resources r SET record_count = r.record_count + n.c, last_updated_at = now()
      FROM (SELECT resource_code, count(*) AS c FROM new_rows GROUP BY resource_code) n
      WHERE r.code = n.resource_code;
  ELSIF TG_OP = 'UPDATE' THEN
    UPDATE resources r SET last_updated_at = now()
      FROM (SELECT DISTINCT resource_code FROM new_rows) n WHERE r.code = n.resource_code;
  ELSE
    UPDATE resources r SET record_count = r.record_count - o.c, last_updated_at = now()
      FROM (SELECT resource_code, count(*) AS c FROM old_rows GROUP BY resource_code) o
      WHERE r.code = o.resource_code;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER records_inserted AFTER INSERT ON records REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION records_counted();
CREATE TRIGGER records_updated AFTER UPDATE ON records REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION records_counted();
CREATE TRIGGER records_deleted AFTER DELETE ON records REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION records_counted();

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hub_app') THEN
    EXECUTE 'REVOKE UPDATE, DELETE, TRUNCATE ON record_changes FROM hub_app';
    EXECUTE 'REVOKE DELETE, TRUNCATE ON record_sequences FROM hub_app';
  END IF;
END
$$;
