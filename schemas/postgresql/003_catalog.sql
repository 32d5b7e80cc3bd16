-- The data resource catalog (政务信息资源目录): one row per resource with its current version's
-- metadata, and every version kept.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The hub assigns codes: provider code + "-" + a five-digit sequence per provider.
CREATE TABLE resource_sequences (
  provider_code text PRIMARY KEY REFERENCES agencies (code),
  last_seq      integer NOT NULL
);

CREATE TABLE resources (
  code            text PRIMARY KEY,
  provider_code   text NOT NULL REFERENCES agencies (code),
  status          text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'retired')),
  version         integer NOT NULL DEFAULT 1,
  -- The current version's searchable and filterable fields, copied out of `document`.
  name            text NOT NULL,
  summary         text NOT NULL,
  category        text NOT NULL,
  share_type      text NOT NULL,
  kind            text NOT NULL DEFAULT 'dataset' CHECK (kind IN ('dataset', 'licence')),
  document        jsonb NOT NULL,
  item_count      integer NOT NULL,
  -- Kept by the exchange store as records arrive.
  record_count    bigint NOT NULL DEFAULT 0,
  last_updated_at timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  published_at    timestamptz,
  retired_at      timestamptz
);
CREATE INDEX resources_provider ON resources (provider_code, code);
CREATE INDEX resources_filters ON resources (status, share_type, category);
-- Substring search over name and summary, Chinese included (the database's locale must class
-- CJK characters as alphanumeric: C.UTF-8 or a zh_CN locale, as the embedded database uses).
CREATE INDEX resources_search ON resources USING gin ((name || ' ' || summary) gin_trgm_ops);

CREATE TABLE resource_versions (
  code        text NOT NULL REFERENCES resources (code),
  version     integer NOT NULL,
  document    jsonb NOT NULL,
  schema      jsonb NOT NULL,   -- the JSON Schema records of this version are checked against
  breaking    jsonb,            -- items removed or retyped against the previous version
  created_at  timestamptz NOT NULL DEFAULT now(),
  created_by  text,
  PRIMARY KEY (code, version)
);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hub_app') THEN
    -- History is kept: versions are only ever added.
    EXECUTE 'REVOKE UPDATE, DELETE, TRUNCATE ON resource_versions FROM hub_app';
    EXECUTE 'REVOKE DELETE, TRUNCATE ON resources, resource_sequences FROM hub_app';
  END IF;
END
$$;
