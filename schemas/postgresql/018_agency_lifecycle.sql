-- Agencies change (API.md Part 2, "Coordination"): renamed, moved under another parent, and
-- disabled in a reorganisation (机构改革), when its principals are refused at once.
ALTER TABLE agencies ADD COLUMN disabled_at timestamptz;
