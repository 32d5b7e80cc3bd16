-- The grant's lifecycle (API.md Part 2, "Coordination"): a revocation says why (the consumer is
-- shown the reason), and a renewal of a conditional resource's grant is an application linked to
-- the grant, which stays valid meanwhile; approving it extends that grant instead of making a
-- new one.
ALTER TABLE grants ADD COLUMN revoked_reason text;
ALTER TABLE applications ADD COLUMN renews_grant_id text REFERENCES grants (id);
ALTER TABLE applications ADD COLUMN renewal_reason text;
CREATE INDEX applications_renews ON applications (renews_grant_id) WHERE renews_grant_id IS NOT NULL;
CREATE INDEX grants_live_until ON grants (valid_until) WHERE revoked_at IS NULL AND ended_at IS NULL;
