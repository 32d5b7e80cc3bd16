-- Joint computation for outside members (API.md Part 2, "Accountability and usable-but-invisible";
-- docs/computations.md): external members, the data subject's authorisation, and reviewed
-- computations across several providers.

-- External members (banks, credit bureaus, 授权运营 operators): verify, aggregate and compute
-- grants only. Two flags hub_admin sets: an agency whose systems record subjects' consent (the
-- government service app's), and one whose CDO may register computations.
ALTER TABLE agencies DROP CONSTRAINT agencies_level_check;
ALTER TABLE agencies ADD CONSTRAINT agencies_level_check
  CHECK (level IN ('national', 'provincial', 'city', 'district', 'external'));
ALTER TABLE agencies ADD COLUMN can_record_consent boolean NOT NULL DEFAULT false;
ALTER TABLE agencies ADD COLUMN can_register_computations boolean NOT NULL DEFAULT false;

-- A computation is applied for like a resource: its code is a catalog row of kind
-- 'computation' (draft while in review, published while active), so applications, grants and
-- the grant directory hold it as they hold any resource.
ALTER TABLE resources DROP CONSTRAINT resources_kind_check;
ALTER TABLE resources ADD CONSTRAINT resources_kind_check
  CHECK (kind IN ('dataset', 'licence', 'service', 'computation'));

CREATE TABLE computations (
  code         text PRIMARY KEY REFERENCES resources (code),
  owner_code   text NOT NULL REFERENCES agencies (code),
  version      integer NOT NULL,
  status       text NOT NULL CHECK (status IN ('review', 'active', 'rejected')),
  name         text NOT NULL,
  description  text NOT NULL,
  subject      text NOT NULL CHECK (subject IN ('enterprise', 'person')),
  inputs       jsonb NOT NULL,  -- [{name, resource_code, provider_code, items}]
  outputs      jsonb NOT NULL,  -- [{name, type, title}]
  program      text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  created_by   text,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  activated_at timestamptz
);
CREATE INDEX computations_owner ON computations (owner_code);

-- Every version's program, kept: what each provider approved is what ran.
CREATE TABLE computation_versions (
  code       text NOT NULL REFERENCES computations (code),
  version    integer NOT NULL,
  document   jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text,
  PRIMARY KEY (code, version)
);

-- Each input's provider's review of each version: pending until it decides.
CREATE TABLE computation_reviews (
  code          text NOT NULL REFERENCES computations (code),
  version       integer NOT NULL,
  provider_code text NOT NULL REFERENCES agencies (code),
  decision      text NOT NULL DEFAULT 'pending'
                CHECK (decision IN ('pending', 'approved', 'rejected')),
  opinion       text,
  decided_by    text,
  decided_at    timestamptz,
  PRIMARY KEY (code, version, provider_code)
);
CREATE INDEX computation_reviews_provider ON computation_reviews (provider_code, decision);

-- A data subject's authorisation (授权), recorded by a consent-recording agency's system on the
-- subject's behalf. The subject is kept as its keyed hash (the subject log's HMAC), never the
-- key; the bearer token as its SHA-256.
CREATE TABLE subject_authorizations (
  id                text PRIMARY KEY,
  token_hash        text NOT NULL UNIQUE,
  subject           bytea NOT NULL,
  recorder_code     text NOT NULL REFERENCES agencies (code),
  recorded_by       text NOT NULL,
  recipient_code    text NOT NULL REFERENCES agencies (code),
  purpose           text NOT NULL,
  resource_codes    text[] NOT NULL DEFAULT '{}',
  computation_codes text[] NOT NULL DEFAULT '{}',
  valid_until       timestamptz NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  revoked_at        timestamptz,
  revoked_by        text
);
CREATE INDEX subject_authorizations_subject ON subject_authorizations (subject, created_at);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hub_app') THEN
    EXECUTE 'REVOKE DELETE, TRUNCATE ON computations, computation_reviews, '
            'subject_authorizations FROM hub_app';
    EXECUTE 'REVOKE UPDATE, DELETE, TRUNCATE ON computation_versions FROM hub_app';
  END IF;
END
$$;
