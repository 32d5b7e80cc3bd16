-- An import's batch of new keys takes its unique claims set-wise before it copies its rows
-- (src/exchange/import.cpp, kClaimBatch), and writes each row with the claims it took: "item:hash"
-- values, or none ('{}'). The trigger has nothing left to do for such a row, and running it would
-- cost a plpgsql call and a statement per row again. A writer that names the resource's unique
-- items instead (no ':' in a name: an item name is [a-z][a-z0-9_]*) has them claimed by the
-- trigger as before.
DROP TRIGGER records_claim_insert ON records;
CREATE TRIGGER records_claim_insert BEFORE INSERT ON records
  FOR EACH ROW WHEN (NEW.claims IS NOT NULL AND strpos(coalesce(NEW.claims[1], ':'), ':') = 0)
  EXECUTE FUNCTION records_claim();
