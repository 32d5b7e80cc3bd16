-- Members and access control: agencies (成员单位), principals (people and systems), tokens,
-- and the administration log.

CREATE TABLE agencies (
  code        text PRIMARY KEY CHECK (code ~ '^[0-9A-HJ-NP-RTUW-Y]{18}$'),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  level       text NOT NULL CHECK (level IN ('national', 'provincial', 'city', 'district')),
  parent_code text REFERENCES agencies (code),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE principals (
  id            text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  agency_code   text REFERENCES agencies (code),
  name          text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
  kind          text NOT NULL CHECK (kind IN ('user', 'system')),
  roles         text[] NOT NULL CHECK (cardinality(roles) >= 1),
  password_hash text,
  cert_sha256   text UNIQUE CHECK (cert_sha256 ~ '^[0-9a-f]{64}$'),
  created_at    timestamptz NOT NULL DEFAULT now(),
  created_by    text,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  disabled_at   timestamptz,
  -- Agency roles need an agency; hub-level principals (hub_admin, coordinator) may have none.
  CHECK (agency_code IS NOT NULL OR roles <@ ARRAY['hub_admin', 'coordinator']),
  -- Only people sign in with a password.
  CHECK (password_hash IS NULL OR kind = 'user')
);
CREATE INDEX principals_agency ON principals (agency_code);

-- Tokens are stored only as the SHA-256 of the whole token, found by a random lookup prefix.
CREATE TABLE tokens (
  id           text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  principal_id text NOT NULL REFERENCES principals (id),
  prefix       text NOT NULL UNIQUE CHECK (prefix ~ '^[0-9a-f]{12}$'),
  hash         text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
  kind         text NOT NULL CHECK (kind IN ('api', 'session', 'bootstrap')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  created_by   text,
  expires_at   timestamptz NOT NULL,
  revoked_at   timestamptz,
  revoked_by   text
);
CREATE INDEX tokens_principal ON tokens (principal_id);

-- Who created, changed or revoked which agency, principal or token. Never holds a secret.
CREATE TABLE admin_log (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  actor_id    text,
  action      text NOT NULL,
  object_type text NOT NULL,
  object_id   text NOT NULL,
  agency_code text,
  detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX admin_log_agency ON admin_log (agency_code, id);

-- Keys the hub nodes share (for example the one that signs list cursors).
CREATE TABLE hub_keys (
  name       text PRIMARY KEY,
  key        bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hub_app') THEN
    -- The administration log is append-only for the hub itself.
    EXECUTE 'REVOKE UPDATE, DELETE, TRUNCATE ON admin_log FROM hub_app';
    EXECUTE 'REVOKE UPDATE, DELETE, TRUNCATE ON hub_keys FROM hub_app';
    EXECUTE 'REVOKE DELETE, TRUNCATE ON tokens, principals, agencies FROM hub_app';
  END IF;
END
$$;
