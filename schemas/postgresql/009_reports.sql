-- The sharing-status report (共享情况通报) and early warning (监测预警), docs/reports.md.
--
-- The report reads rollups only, so that its cost grows with agencies × days, never with ledger
-- rows or workflow rows:
--   agency_daily    what each agency did per day as provider and as consumer, kept by the ledger
--                   sealer with ledger_daily in the transaction that signs each checkpoint;
--   workflow_daily  applications and objections per provider and day, kept by triggers in the
--                   transaction that changes them;
--   reply_daily     how long providers took to reply, a histogram in tenths of an hour, for the
--                   median reply time.
-- Early warning reads ledger_hourly (kept by the sealer too) and the workflow tables, and opens
-- rows in alerts. Days and hours are the city's (Asia/Shanghai), as in ledger_daily.

CREATE FUNCTION hub_local_day(t timestamptz) RETURNS date
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN (t AT TIME ZONE 'Asia/Shanghai')::date;

-- How long a resource may go without an update before it is stale: its declared update cycle
-- (API.md's update_cycle) and a day of grace. Shared by the report and the stale_resource rule.
CREATE FUNCTION hub_update_allowance(cycle text) RETURNS interval
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE cycle
    WHEN 'realtime' THEN interval '1 day'
    WHEN 'daily' THEN interval '2 days'
    WHEN 'weekly' THEN interval '8 days'
    WHEN 'monthly' THEN interval '1 month 1 day'
    WHEN 'quarterly' THEN interval '3 months 1 day'
    WHEN 'semiannual' THEN interval '6 months 1 day'
    WHEN 'yearly' THEN interval '1 year 1 day'
    ELSE interval '1 year 1 day'
  END;

CREATE TABLE agency_daily (
  day             date NOT NULL,
  agency_code     text NOT NULL,
  requests_served bigint NOT NULL DEFAULT 0,  -- allowed data requests on its resources
  records_shared  bigint NOT NULL DEFAULT 0,  -- records they delivered (not verify, aggregate)
  requests_made   bigint NOT NULL DEFAULT 0,  -- allowed data requests it made as consumer
  denied_requests bigint NOT NULL DEFAULT 0,  -- its requests refused by the access rules (401, 403)
  PRIMARY KEY (day, agency_code)
);

CREATE TABLE ledger_hourly (
  hour          timestamptz NOT NULL,  -- the start of the hour
  consumer_code text NOT NULL,
  requests      bigint NOT NULL,  -- allowed (2xx)
  records       bigint NOT NULL,  -- records those delivered
  refused       bigint NOT NULL,  -- refused by the access rules (401, 403)
  PRIMARY KEY (hour, consumer_code)
);
-- A consumer's baseline: its hours before the one looked at.
CREATE INDEX ledger_hourly_consumer ON ledger_hourly (consumer_code, hour);

CREATE TABLE workflow_daily (
  day         date NOT NULL,
  agency_code text NOT NULL,  -- the provider
  event       text NOT NULL CHECK (event IN (
                'application_received', 'application_approved', 'application_rejected',
                'application_replied_late', 'objection_received', 'objection_resolved_on_time',
                'objection_resolved_late')),
  n           bigint NOT NULL,
  PRIMARY KEY (day, agency_code, event)
);

CREATE TABLE reply_daily (
  day         date NOT NULL,   -- the day of the decision
  agency_code text NOT NULL,   -- the provider
  tenths      integer NOT NULL CHECK (tenths >= 0),  -- reply time in tenths of an hour
  n           bigint NOT NULL,
  PRIMARY KEY (day, agency_code, tenths)
);

CREATE FUNCTION workflow_count(d date, agency text, e text) RETURNS void
  LANGUAGE sql AS $$
  INSERT INTO workflow_daily AS w (day, agency_code, event, n) VALUES (d, agency, e, 1)
  ON CONFLICT (day, agency_code, event) DO UPDATE SET n = w.n + 1
$$;

-- An application counts once as received (the day it arrives) and once as approved or rejected
-- (the day of the decision; automatic approvals included). A reply after the deadline counts as
-- late on the deadline's day: the report's "overdue" is late replies plus applications still
-- pending past a deadline in the period. Replies by a person (not automatic) go into the reply
-- time histogram.
CREATE FUNCTION applications_rollup() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM workflow_count(hub_local_day(NEW.created_at), NEW.provider_code, 'application_received');
  END IF;
  IF NEW.status IN ('approved', 'rejected')
     AND (TG_OP = 'INSERT' OR OLD.status = 'pending') THEN
    PERFORM workflow_count(hub_local_day(coalesce(NEW.decided_at, now())), NEW.provider_code,
                           'application_' || NEW.status);
    IF NEW.due_at IS NOT NULL AND NEW.decided_at IS NOT NULL THEN
      IF NEW.decided_at > NEW.due_at THEN
        PERFORM workflow_count(hub_local_day(NEW.due_at), NEW.provider_code,
                               'application_replied_late');
      END IF;
      INSERT INTO reply_daily AS r (day, agency_code, tenths, n)
      VALUES (hub_local_day(NEW.decided_at), NEW.provider_code,
              greatest(0, floor(extract(epoch FROM NEW.decided_at - NEW.created_at) / 360))::integer,
              1)
      ON CONFLICT (day, agency_code, tenths) DO UPDATE SET n = r.n + 1;
    END IF;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER applications_rollup AFTER INSERT OR UPDATE OF status ON applications
  FOR EACH ROW EXECUTE FUNCTION applications_rollup();

CREATE FUNCTION objections_rollup() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM workflow_count(hub_local_day(NEW.created_at), NEW.provider_code, 'objection_received');
  END IF;
  IF NEW.status = 'resolved' AND (TG_OP = 'INSERT' OR OLD.status = 'open') THEN
    IF coalesce(NEW.resolved_at, now()) <= NEW.due_at THEN
      PERFORM workflow_count(hub_local_day(coalesce(NEW.resolved_at, now())), NEW.provider_code,
                             'objection_resolved_on_time');
    ELSE
      PERFORM workflow_count(hub_local_day(NEW.due_at), NEW.provider_code,
                             'objection_resolved_late');
    END IF;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER objections_rollup AFTER INSERT OR UPDATE OF status ON objections
  FOR EACH ROW EXECUTE FUNCTION objections_rollup();

-- What is still waiting past its deadline is counted live; these keep that to the waiting rows.
CREATE INDEX applications_pending_due ON applications (due_at) WHERE status = 'pending';
CREATE INDEX objections_open_due ON objections (due_at) WHERE status = 'open';

-- The rollups of what exists already: the sealed entries, read once here (the sealer keeps them
-- from now on, for the entries it seals after this).
CREATE TEMPORARY TABLE sealed_rollup AS
SELECT date_trunc('hour', time) AS hour, consumer_code, coalesce(provider_code, '') AS provider_code,
       operation, status BETWEEN 200 AND 299 AS allowed, status IN (401, 403) AS refused,
       count(*) AS requests, sum(record_count) AS records
FROM ledger_entries
WHERE idx < coalesce((SELECT max(tree_size) FROM ledger_checkpoints), 0)
GROUP BY 1, 2, 3, 4, 5, 6;

INSERT INTO agency_daily (day, agency_code, requests_served, records_shared, requests_made,
                          denied_requests)
SELECT day, agency, sum(served), sum(shared), sum(made), sum(denied)
FROM (
  SELECT hub_local_day(hour) AS day, provider_code AS agency,
         CASE WHEN allowed THEN requests ELSE 0 END AS served,
         CASE WHEN allowed AND operation NOT IN ('verify', 'aggregate') THEN records ELSE 0 END
           AS shared,
         0 AS made, 0 AS denied
  FROM sealed_rollup WHERE provider_code <> ''
  UNION ALL
  SELECT hub_local_day(hour), consumer_code, 0, 0, CASE WHEN allowed THEN requests ELSE 0 END,
         CASE WHEN refused THEN requests ELSE 0 END
  FROM sealed_rollup
) s
GROUP BY 1, 2;

INSERT INTO ledger_hourly (hour, consumer_code, requests, records, refused)
SELECT hour, consumer_code, coalesce(sum(requests) FILTER (WHERE allowed), 0),
       coalesce(sum(records) FILTER (WHERE allowed), 0),
       coalesce(sum(requests) FILTER (WHERE refused), 0)
FROM sealed_rollup WHERE hour > now() - interval '15 days'
GROUP BY 1, 2;
DROP TABLE sealed_rollup;

INSERT INTO workflow_daily (day, agency_code, event, n)
SELECT day, provider_code, event, count(*) FROM (
  SELECT hub_local_day(created_at) AS day, provider_code, 'application_received' AS event
  FROM applications
  UNION ALL
  SELECT hub_local_day(decided_at), provider_code, 'application_' || status
  FROM applications WHERE status IN ('approved', 'rejected') AND decided_at IS NOT NULL
  UNION ALL
  SELECT hub_local_day(due_at), provider_code, 'application_replied_late'
  FROM applications WHERE decided_at > due_at AND status IN ('approved', 'rejected')
  UNION ALL
  SELECT hub_local_day(created_at), provider_code, 'objection_received' FROM objections
  UNION ALL
  SELECT CASE WHEN resolved_at <= due_at THEN hub_local_day(resolved_at)
              ELSE hub_local_day(due_at) END, provider_code,
         CASE WHEN resolved_at <= due_at THEN 'objection_resolved_on_time'
              ELSE 'objection_resolved_late' END
  FROM objections WHERE status = 'resolved' AND resolved_at IS NOT NULL
) s
GROUP BY 1, 2, 3;

INSERT INTO reply_daily (day, agency_code, tenths, n)
SELECT hub_local_day(decided_at), provider_code,
       greatest(0, floor(extract(epoch FROM decided_at - created_at) / 360))::integer, count(*)
FROM applications
WHERE status IN ('approved', 'rejected') AND due_at IS NOT NULL AND decided_at IS NOT NULL
GROUP BY 1, 2, 3;

-- The partition of the month of `t`, made when missing (ledger_ensure_partitions makes the
-- current month's and later ones). For entries written with past times: the demo's history.
CREATE FUNCTION ledger_ensure_month(t timestamptz) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  month_start timestamp := date_trunc('month', t AT TIME ZONE 'UTC');
  part text := 'ledger_entries_' || to_char(month_start, 'YYYY_MM');
BEGIN
  PERFORM pg_advisory_xact_lock(7236837893211013);
  IF to_regclass(part) IS NOT NULL THEN
    RETURN false;
  END IF;
  EXECUTE format('CREATE TABLE %I PARTITION OF ledger_entries FOR VALUES FROM (%L) TO (%L)',
                 part, month_start AT TIME ZONE 'UTC',
                 (month_start + interval '1 month') AT TIME ZONE 'UTC');
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hub_app') THEN
    EXECUTE format('REVOKE ALL ON %I FROM hub_app', part);
  END IF;
  RETURN true;
END
$$;
REVOKE ALL ON FUNCTION ledger_ensure_month(timestamptz) FROM PUBLIC;

-- Early-warning alerts. `subject` names what an alert is about, once per rule (an application,
-- a consumer's hour, a resource's last update), so a condition opens one alert however often
-- the rules run and on however many nodes.
CREATE TABLE alerts (
  seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id              text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  rule            text NOT NULL,
  severity        text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  agency_code     text NOT NULL REFERENCES agencies (code),
  resource_code   text,
  subject         text NOT NULL,
  detail          jsonb NOT NULL DEFAULT '{}',
  opened_at       timestamptz NOT NULL DEFAULT now(),
  status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged')),
  acknowledged_at timestamptz,
  acknowledged_by text,
  note            text,
  UNIQUE (rule, subject)
);
CREATE INDEX alerts_status ON alerts (status, seq);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hub_app') THEN
    EXECUTE 'REVOKE DELETE, TRUNCATE ON agency_daily, workflow_daily, reply_daily, alerts FROM hub_app';
    EXECUTE 'GRANT EXECUTE ON FUNCTION ledger_ensure_month(timestamptz) TO hub_app';
  END IF;
END
$$;
