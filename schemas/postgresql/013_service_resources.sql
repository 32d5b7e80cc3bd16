-- Interface services (API.md Part 2, docs/catalog.md): a catalog resource may be an interface
-- service (kind 'service'): its document holds an upstream and operations instead of a key and
-- items, and the hub has no records of it. Its item_count counts its distinct response items.
ALTER TABLE resources DROP CONSTRAINT resources_kind_check;
ALTER TABLE resources ADD CONSTRAINT resources_kind_check
  CHECK (kind IN ('dataset', 'licence', 'service'));
