-- The hub runs as two roles (docs/database.md):
--   the owner (hub_owner in the embedded database) owns the schema and runs these migrations;
--   hub_app is what request handlers connect as. It gets only the privileges granted here, so
--   that whatever a handler does, it cannot do what the hub must never do (alter the schema,
--   and, from the ledger migration on, rewrite or delete ledger rows).

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hub_app') THEN
    CREATE ROLE hub_app NOLOGIN;
    RAISE NOTICE 'created role hub_app without LOGIN; grant it LOGIN and a password to use it';
  END IF;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE WARNING 'role hub_app does not exist and this role may not create it; create it as in docs/database.md';
END
$$;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hub_app') THEN
    EXECUTE 'GRANT USAGE ON SCHEMA public TO hub_app';
    -- Tables created later by the owner are readable and writable by the app unless a
    -- migration revokes more (the ledger revokes UPDATE, DELETE and TRUNCATE).
    EXECUTE 'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO hub_app';
    EXECUTE 'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO hub_app';
    EXECUTE 'GRANT SELECT ON schema_migrations TO hub_app';
  END IF;
END
$$;
