-- Agency succession (API.md Part 2, "Coordination"): in a reorganisation (机构改革) an agency's
-- duties pass to another. Its resources, live grants (both sides), pending applications and open
-- demands, escalations and objections move to the successor in one transaction; the predecessor
-- is disabled and names its successor. The ledger keeps what it recorded (the predecessor's code
-- stays on its entries), and so do the rollups; resource_moves lets the report give a period
-- that ended before the move its resources as they were.
ALTER TABLE agencies ADD COLUMN successor_code text REFERENCES agencies (code);

CREATE TABLE resource_moves (
  resource_code text NOT NULL REFERENCES resources (code),
  from_code     text NOT NULL REFERENCES agencies (code),
  to_code       text NOT NULL REFERENCES agencies (code),
  moved_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX resource_moves_resource ON resource_moves (resource_code, moved_at);

-- Records written (pushed, imported, deleted) per resource and city day: the report's
-- members_connected counts an agency whose systems wrote records in the period. Kept by the
-- statement-level trigger that already keeps resources.record_count, so a million-row import
-- costs one more row update, not a million; its lock is per resource, as the count's is.
CREATE TABLE resource_daily (
  day             date NOT NULL,
  resource_code   text NOT NULL,
  records_written bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (day, resource_code)
);

CREATE OR REPLACE FUNCTION records_counted() RETURNS trigger LANGUAGE plpgsql AS $$
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
  INSERT INTO resource_daily AS d (day, resource_code, records_written)
    SELECT hub_local_day(now()), resource_code, count(*) FROM new_rows GROUP BY resource_code
    ORDER BY resource_code
  ON CONFLICT (day, resource_code)
    DO UPDATE SET records_written = d.records_written + excluded.records_written;
  RETURN NULL;
END
$$;

-- The succession itself, under row locks on both agencies so that two at once cannot cross.
-- Returns one row: outcome 'done' with what moved, or the reason it did not happen
-- ('no_predecessor', 'no_successor', 'same', 'predecessor_disabled', 'successor_disabled').
-- A pending application of the predecessor for a resource the successor has one pending for
-- too is withdrawn (one pending application per consumer and resource); what the successor
-- would ask of itself or grant to itself (a pending application, a live grant with it on both
-- sides) is withdrawn or revoked.
CREATE FUNCTION hub_succeed_agency(predecessor text, successor text, actor text)
-- actor: the principal's id, or NULL (hubctl on the database)
RETURNS TABLE (outcome text, resources bigint, grants bigint, applications bigint,
               demands bigint, escalations bigint, objections bigint)
LANGUAGE plpgsql AS $$
DECLARE
  pred agencies%ROWTYPE;
  succ agencies%ROWTYPE;
  n bigint;
BEGIN
  resources := 0; grants := 0; applications := 0; demands := 0; escalations := 0;
  objections := 0;
  IF predecessor = successor THEN
    outcome := 'same';
    RETURN NEXT;
    RETURN;
  END IF;
  -- Locked in code order, whichever is which.
  PERFORM 1 FROM agencies WHERE code IN (predecessor, successor) ORDER BY code FOR UPDATE;
  SELECT * INTO pred FROM agencies WHERE code = predecessor;
  SELECT * INTO succ FROM agencies WHERE code = successor;
  IF pred.code IS NULL THEN
    outcome := 'no_predecessor';
  ELSIF succ.code IS NULL THEN
    outcome := 'no_successor';
  ELSIF pred.disabled_at IS NOT NULL THEN
    outcome := 'predecessor_disabled';
  ELSIF succ.disabled_at IS NOT NULL THEN
    outcome := 'successor_disabled';
  END IF;
  IF outcome IS NOT NULL THEN
    RETURN NEXT;
    RETURN;
  END IF;

  INSERT INTO resource_moves (resource_code, from_code, to_code)
    SELECT code, predecessor, successor FROM resources WHERE provider_code = predecessor;
  -- The document names its provider too; the versions of the past keep the one they had.
  UPDATE resources SET provider_code = successor, updated_at = now(),
                       document = jsonb_set(document, '{provider_code}', to_jsonb(successor))
    WHERE provider_code = predecessor;
  GET DIAGNOSTICS resources = ROW_COUNT;

  UPDATE applications SET status = 'withdrawn', withdrawn_at = now(), withdrawn_by = actor
    WHERE consumer_code = predecessor AND status = 'pending'
      AND resource_code IN (SELECT resource_code FROM applications
                             WHERE consumer_code = successor AND status = 'pending');
  UPDATE applications SET consumer_code = successor
    WHERE consumer_code = predecessor AND status = 'pending';
  GET DIAGNOSTICS applications = ROW_COUNT;
  UPDATE applications SET provider_code = successor
    WHERE provider_code = predecessor AND status = 'pending';
  GET DIAGNOSTICS n = ROW_COUNT;
  applications := applications + n;
  -- The successor asking itself for what it now provides: nothing left to decide.
  UPDATE applications SET status = 'withdrawn', withdrawn_at = now(), withdrawn_by = actor
    WHERE consumer_code = successor AND provider_code = successor AND status = 'pending';

  UPDATE grants SET consumer_code = successor
    WHERE consumer_code = predecessor AND revoked_at IS NULL AND ended_at IS NULL
      AND valid_until > now();
  GET DIAGNOSTICS grants = ROW_COUNT;
  UPDATE grants SET provider_code = successor
    WHERE provider_code = predecessor AND revoked_at IS NULL AND ended_at IS NULL
      AND valid_until > now();
  GET DIAGNOSTICS n = ROW_COUNT;
  grants := grants + n;
  -- A grant that now has the successor on both sides gives it nothing it does not own.
  UPDATE grants SET revoked_at = now(), revoked_by = actor,
                    revoked_reason = 'agency succession: provider and consumer are one agency'
    WHERE consumer_code = successor AND provider_code = successor AND revoked_at IS NULL
      AND ended_at IS NULL;

  UPDATE demands SET consumer_code = successor
    WHERE consumer_code = predecessor AND status <> 'closed';
  GET DIAGNOSTICS demands = ROW_COUNT;
  UPDATE demands SET provider_code = successor
    WHERE provider_code = predecessor AND status <> 'closed';
  GET DIAGNOSTICS n = ROW_COUNT;
  demands := demands + n;

  UPDATE objections SET consumer_code = successor
    WHERE consumer_code = predecessor AND status = 'open';
  GET DIAGNOSTICS objections = ROW_COUNT;
  UPDATE objections SET provider_code = successor
    WHERE provider_code = predecessor AND status = 'open';
  GET DIAGNOSTICS n = ROW_COUNT;
  objections := objections + n;

  UPDATE escalations e SET consumer_code = CASE WHEN e.consumer_code = predecessor
                                                THEN successor ELSE e.consumer_code END,
                           provider_code = CASE WHEN e.provider_code = predecessor
                                                THEN successor ELSE e.provider_code END
    WHERE e.status = 'open' AND predecessor IN (e.consumer_code, e.provider_code);
  GET DIAGNOSTICS escalations = ROW_COUNT;

  UPDATE agencies SET disabled_at = now(), successor_code = successor, updated_at = now()
    WHERE code = predecessor;
  INSERT INTO admin_log (actor_id, action, object_type, object_id, agency_code, detail)
    VALUES (actor, 'succession', 'agency', predecessor, predecessor,
            jsonb_build_object('successor_code', successor, 'resources', resources,
                               'grants', grants, 'applications', applications,
                               'demands', demands, 'escalations', escalations,
                               'objections', objections));
  -- Every node reloads what it keeps (principals, resources, grants) when this commits.
  PERFORM pg_notify('hub_directory', 'all');
  outcome := 'done';
  RETURN NEXT;
END
$$;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hub_app') THEN
    EXECUTE 'REVOKE UPDATE, DELETE, TRUNCATE ON resource_moves FROM hub_app';
    EXECUTE 'REVOKE DELETE, TRUNCATE ON resource_daily FROM hub_app';
  END IF;
END
$$;
