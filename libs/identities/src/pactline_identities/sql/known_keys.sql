-- The fold of the registry's key events into a service's own api_keys table (the table is
-- created by the service's migrations; its columns are in known_keys.KNOWN_KEYS_TABLE).

-- name: key_issued(key_id, principal_id, role, scopes, key_hmac)!
-- Both events travel on the principal's stream, so a key's issue comes before its revocation;
-- either way the upsert leaves `revoked` as it is: a key is never un-revoked.
INSERT INTO api_keys (key_id, principal_id, role, scopes, key_hmac)
VALUES (:key_id, :principal_id, :role, :scopes, :key_hmac)
ON CONFLICT (key_id) DO UPDATE
   SET principal_id = excluded.principal_id, role = excluded.role, scopes = excluded.scopes,
       key_hmac = excluded.key_hmac;

-- name: key_revoked(key_id, principal_id)!
INSERT INTO api_keys (key_id, principal_id, role, scopes, key_hmac, revoked)
VALUES (:key_id, :principal_id, '', '{}', NULL, true)
ON CONFLICT (key_id) DO UPDATE SET revoked = true;

-- name: known_key(key_id)^
SELECT key_id, principal_id, role, scopes, key_hmac, revoked FROM api_keys WHERE key_id = :key_id;
