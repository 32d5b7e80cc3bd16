-- A provider's next resource code (<provider>-00001, -00002, ...), one place for both callers that
-- allocate one: the catalog's POST /resources and the computations' POST /computations (a
-- computation is a catalog row of kind 'computation' in its owner's sequence). Runs in its
-- caller's statement, so a failed insert leaves the sequence where it was.
CREATE FUNCTION hub_next_resource_code(provider text) RETURNS text
LANGUAGE sql VOLATILE AS $$
  INSERT INTO resource_sequences (provider_code, last_seq) VALUES (provider, 1)
  ON CONFLICT (provider_code) DO UPDATE SET last_seq = resource_sequences.last_seq + 1
  RETURNING provider || '-' || lpad(last_seq::text, greatest(5, length(last_seq::text)), '0')
$$;
