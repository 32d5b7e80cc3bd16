-- Coordination (API.md Part 2). The demand list (需求清单): data needs that nothing in the catalog
-- meets, posted by an agency, assigned by the coordination group to the agency that holds the
-- data (with a working-day deadline), answered by it and accepted or disputed by the asker. No
-- ledger entry (no data moves); every step is a sharing_events row.
CREATE TABLE demands (
  id                      text PRIMARY KEY,
  consumer_code           text NOT NULL REFERENCES agencies (code),
  title                   text NOT NULL,
  description             text NOT NULL,
  items_wanted            text[] NOT NULL,
  purpose                 text NOT NULL,
  legal_basis             text,
  suggested_provider_code text REFERENCES agencies (code),
  status                  text NOT NULL
    CHECK (status IN ('open', 'assigned', 'answered', 'closed', 'disputed')),
  provider_code           text REFERENCES agencies (code),
  assigned_at             timestamptz,
  assigned_by             text,
  due_at                  timestamptz,
  outcome                 text CHECK (outcome IN ('catalogued', 'not_held', 'refused')),
  resource_code           text REFERENCES resources (code),
  reason                  text,
  answered_at             timestamptz,
  answered_by             text,
  accepted                boolean,
  acceptance_note         text,
  closed_at               timestamptz,
  created_at              timestamptz NOT NULL DEFAULT now(),
  created_by              text NOT NULL,
  CHECK (status = 'open' OR provider_code IS NOT NULL)
);
CREATE INDEX demands_consumer ON demands (consumer_code, id);
CREATE INDEX demands_provider ON demands (provider_code, id);
CREATE INDEX demands_waiting ON demands (due_at) WHERE status = 'assigned';

-- The sharing history covers demands and escalations too.
ALTER TABLE sharing_events DROP CONSTRAINT sharing_events_object_type_check;
ALTER TABLE sharing_events ADD CONSTRAINT sharing_events_object_type_check
  CHECK (object_type IN ('application', 'grant', 'objection', 'demand', 'escalation'));
-- A demand's events: the asker is the consumer, the provider is whoever it was assigned to then
-- (none while open).
ALTER TABLE sharing_events ALTER COLUMN provider_code DROP NOT NULL;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hub_app') THEN
    EXECUTE 'REVOKE DELETE, TRUNCATE ON demands FROM hub_app';
  END IF;
END
$$;

-- Escalations (协调): an application refused, or undecided past its deadline, brought by its
-- consumer to the coordination group, whose ruling upholds it or reopens the application.
CREATE TABLE escalations (
  id             text PRIMARY KEY,
  application_id text NOT NULL REFERENCES applications (id),
  consumer_code  text NOT NULL REFERENCES agencies (code),
  provider_code  text NOT NULL REFERENCES agencies (code),
  resource_code  text NOT NULL REFERENCES resources (code),
  reason         text NOT NULL,
  status         text NOT NULL CHECK (status IN ('open', 'ruled')),
  outcome        text CHECK (outcome IN ('upheld', 'reconsider')),
  note           text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  created_by     text NOT NULL,
  ruled_at       timestamptz,
  ruled_by       text
);
-- One open escalation per application (a second is 409).
CREATE UNIQUE INDEX escalations_one_open ON escalations (application_id) WHERE status = 'open';
CREATE INDEX escalations_consumer ON escalations (consumer_code, id);
CREATE INDEX escalations_provider ON escalations (provider_code, id);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hub_app') THEN
    EXECUTE 'REVOKE DELETE, TRUNCATE ON escalations FROM hub_app';
  END IF;
END
$$;
