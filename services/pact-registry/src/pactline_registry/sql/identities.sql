-- Principals and their API keys. Only a keyed hash of each key is stored.

-- name: insert_principal(principal_id, role, name, address, created_at)^
INSERT INTO principals (principal_id, role, name, address, created_at)
VALUES (:principal_id, :role, :name, :address, :created_at)
RETURNING *;

-- name: get_principal(principal_id)^
SELECT * FROM principals WHERE principal_id = :principal_id;

-- name: page_principals(after, limit)
SELECT * FROM principals WHERE seq > :after ORDER BY seq LIMIT :limit;

-- name: insert_key(key_id, principal_id, key_hash, scopes, label, created_at)^
INSERT INTO api_keys (key_id, principal_id, key_hash, scopes, label, created_at)
VALUES (:key_id, :principal_id, :key_hash, :scopes, :label, :created_at)
RETURNING key_id, principal_id, scopes, label, created_at, revoked_at;

-- name: key_with_principal(key_id)^
-- What authentication needs: the key's hash and state, and the principal it belongs to.
SELECT k.key_id, k.key_hash, k.scopes, k.revoked_at, p.principal_id, p.role, p.address
  FROM api_keys k JOIN principals p USING (principal_id)
 WHERE k.key_id = :key_id;

-- name: get_key(key_id)^
SELECT key_id, principal_id, scopes, label, created_at, revoked_at FROM api_keys WHERE key_id = :key_id;

-- name: lock_key(key_id)^
-- Taken only once the caller may revoke the key.
SELECT key_id, principal_id, scopes, label, created_at, revoked_at FROM api_keys WHERE key_id = :key_id FOR UPDATE;

-- name: revoke_key(key_id, revoked_at)^
UPDATE api_keys SET revoked_at = coalesce(revoked_at, :revoked_at) WHERE key_id = :key_id
RETURNING key_id, principal_id, scopes, label, created_at, revoked_at;
