-- The sharing workflow: applications (共享申请), grants (授权), objections (数据异议), and a
-- timestamped trail of who changed what.

CREATE TABLE applications (
  id               text PRIMARY KEY,
  consumer_code    text NOT NULL REFERENCES agencies (code),
  provider_code    text NOT NULL REFERENCES agencies (code),
  resource_code    text NOT NULL REFERENCES resources (code),
  resource_version integer NOT NULL,
  items            text[] NOT NULL,
  clear_items      text[] NOT NULL DEFAULT '{}',
  operations       text[] NOT NULL,
  purpose          text NOT NULL,
  legal_basis      text,
  valid_until      timestamptz NOT NULL,
  status           text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'withdrawn')),
  due_at           timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  created_by       text NOT NULL,
  decided_at       timestamptz,
  decided_by       text,
  opinion          text,
  grant_id         text,
  withdrawn_at     timestamptz,
  withdrawn_by     text
);
-- One pending application per consumer and resource (a second one is 409 conflict).
CREATE UNIQUE INDEX applications_one_pending ON applications (consumer_code, resource_code)
  WHERE status = 'pending';
CREATE INDEX applications_provider ON applications (provider_code, created_at);
CREATE INDEX applications_consumer ON applications (consumer_code, created_at);

CREATE TABLE grants (
  id             text PRIMARY KEY,
  application_id text NOT NULL REFERENCES applications (id),
  resource_code  text NOT NULL REFERENCES resources (code),
  provider_code  text NOT NULL REFERENCES agencies (code),
  consumer_code  text NOT NULL REFERENCES agencies (code),
  items          text[] NOT NULL,
  clear_items    text[] NOT NULL DEFAULT '{}',
  operations     text[] NOT NULL,
  purpose        text NOT NULL,
  legal_basis    text,
  valid_until    timestamptz NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  revoked_at     timestamptz,
  revoked_by     text
);
CREATE INDEX grants_consumer ON grants (consumer_code, resource_code);
CREATE INDEX grants_provider ON grants (provider_code, resource_code);

CREATE TABLE objections (
  id            text PRIMARY KEY,
  resource_code text NOT NULL REFERENCES resources (code),
  provider_code text NOT NULL REFERENCES agencies (code),
  consumer_code text NOT NULL REFERENCES agencies (code),
  grant_id      text NOT NULL REFERENCES grants (id),
  record_key    text NOT NULL,
  items         text[] NOT NULL,
  description   text NOT NULL,
  status        text NOT NULL CHECK (status IN ('open', 'resolved')),
  due_at        timestamptz NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  created_by    text NOT NULL,
  outcome       text CHECK (outcome IN ('corrected', 'rejected')),
  note          text,
  resolved_at   timestamptz,
  resolved_by   text
);
CREATE INDEX objections_provider ON objections (provider_code, created_at);
CREATE INDEX objections_consumer ON objections (consumer_code, created_at);

-- Every state change, with who made it and when (the reports read it).
CREATE TABLE sharing_events (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  actor_id    text,
  object_type text NOT NULL CHECK (object_type IN ('application', 'grant', 'objection')),
  object_id   text NOT NULL,
  action      text NOT NULL,
  provider_code text NOT NULL,
  consumer_code text NOT NULL,
  detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX sharing_events_object ON sharing_events (object_type, object_id);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hub_app') THEN
    EXECUTE 'REVOKE UPDATE, DELETE, TRUNCATE ON sharing_events FROM hub_app';
    EXECUTE 'REVOKE DELETE, TRUNCATE ON applications, grants, objections FROM hub_app';
  END IF;
END
$$;
