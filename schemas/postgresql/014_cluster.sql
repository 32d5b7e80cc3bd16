-- Running as a cluster (API.md Part 2, docs/operations.md): the hub's shared secrets may live in a
-- file every node is given (secrets.file) instead of this table. Then the table keeps only each
-- secret's SHA-256, so that a node started with other secrets is refused, while the secret itself
-- stays out of the database and its backups.
ALTER TABLE hub_keys ALTER COLUMN key DROP NOT NULL;
ALTER TABLE hub_keys ADD COLUMN fingerprint bytea;
ALTER TABLE hub_keys ADD CONSTRAINT hub_keys_key_or_fingerprint
  CHECK (key IS NOT NULL OR fingerprint IS NOT NULL);
