-- The exchange store: records of resources as JSONB keyed by (resource, key), with a version
-- and a per-resource change sequence; freshness and counts on resources.
--
-- The records table is its own changes feed: every write gives the row the resource's next
-- sequence number, and a removal leaves a tombstone (deleted, no data). "Changes since n" is
-- then an index range scan, and a write costs one row, not two (a million-row import writes a
-- million rows, as a plain COPY would). A consumer following the feed sees each key's latest
-- state, in order, which is what it needs to be current (as CouchDB's feed does).

CREATE TABLE records (
  resource_code text NOT NULL REFERENCES resources (code),
  key           text NOT NULL,
  version       integer NOT NULL,
  data          jsonb,             -- NULL for a tombstone
  deleted       boolean NOT NULL DEFAULT false,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  seq           bigint NOT NULL,
  PRIMARY KEY (resource_code, key)
);
CREATE UNIQUE INDEX records_feed ON records (resource_code, seq);
-- Licence lookups by holder (电子证照 holder_code), on licence records only.
CREATE INDEX records_licence_holder ON records ((data->>'holder_code'), resource_code)
  WHERE data ? 'holder_code';

-- Each resource's change counter: the next sequence number of its feed.
CREATE TABLE record_sequences (
  resource_code text PRIMARY KEY REFERENCES resources (code),
  next_seq      bigint NOT NULL DEFAULT 1
);

-- resources.record_count and last_updated_at (freshness) follow the records, per statement,
-- so that a million-row import costs one update of its resource, not a million.
-- Counted: live records (tombstones are not). Per statement, with transition tables.
CREATE FUNCTION records_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE resources r SET record_count = r.record_count + n.c, last_updated_at = now()
      FROM (SELECT resource_code, count(*) FILTER (WHERE NOT deleted) AS c
              FROM new_rows GROUP BY resource_code) n
      WHERE r.code = n.resource_code;
  ELSE
    UPDATE resources r SET record_count = r.record_count + d.c, last_updated_at = now()
      FROM (SELECT n.resource_code,
                   count(*) FILTER (WHERE NOT n.deleted) - count(*) FILTER (WHERE NOT o.deleted) AS c
              FROM new_rows n JOIN old_rows o USING (resource_code, key)
              GROUP BY n.resource_code) d
      WHERE r.code = d.resource_code;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER records_inserted AFTER INSERT ON records REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION records_counted();
CREATE TRIGGER records_updated AFTER UPDATE ON records
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION records_counted();

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hub_app') THEN
    EXECUTE 'REVOKE DELETE, TRUNCATE ON records, record_sequences FROM hub_app';
  END IF;
END
$$;
