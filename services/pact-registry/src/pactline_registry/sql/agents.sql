-- Agents, where they answer, and their pacts with every published version.

-- name: insert_agent(agent_id, name, operator_id, operator_address, model_family, registered_at)^
INSERT INTO agents (agent_id, name, operator_id, operator_address, model_family, registered_at)
VALUES (:agent_id, :name, :operator_id, :operator_address, :model_family, :registered_at)
RETURNING *;

-- name: get_agent(agent_id)^
SELECT * FROM agents WHERE agent_id = :agent_id;

-- name: page_agents(after, limit, operator_id)
-- operator_id null: every operator's.
SELECT * FROM agents
 WHERE seq > :after AND (CAST(:operator_id AS text) IS NULL OR operator_id = :operator_id)
 ORDER BY seq LIMIT :limit;

-- name: get_endpoint(agent_id)^
SELECT agent_id, base_url, registered_at FROM agent_endpoints WHERE agent_id = :agent_id;

-- name: lock_endpoint(agent_id)^
SELECT agent_id, base_url, registered_at FROM agent_endpoints WHERE agent_id = :agent_id FOR UPDATE;

-- name: upsert_endpoint(agent_id, base_url, registered_at)^
INSERT INTO agent_endpoints (agent_id, base_url, registered_at) VALUES (:agent_id, :base_url, :registered_at)
ON CONFLICT (agent_id) DO UPDATE SET base_url = excluded.base_url, registered_at = excluded.registered_at
RETURNING agent_id, base_url, registered_at;

-- name: lock_pact_by_name(agent_id, name)^
SELECT * FROM pacts WHERE agent_id = :agent_id AND name = :name FOR UPDATE;

-- name: insert_pact(pact_id, agent_id, operator_id, name, superseded_acceptable, created_at)^
-- No row when a concurrent request created the same pact first (the caller says so).
INSERT INTO pacts (pact_id, agent_id, operator_id, name, superseded_acceptable, created_at)
VALUES (:pact_id, :agent_id, :operator_id, :name, :superseded_acceptable, :created_at)
ON CONFLICT (agent_id, name) DO NOTHING
RETURNING *;

-- name: set_superseded_acceptable(pact_id, superseded_acceptable)!
UPDATE pacts SET superseded_acceptable = :superseded_acceptable WHERE pact_id = :pact_id;

-- name: version_hashes(pact_id)
SELECT version, pact_hash FROM pact_versions WHERE pact_id = :pact_id;

-- name: insert_version(pact_id, version, pact_hash, document, published_at)!
INSERT INTO pact_versions (pact_id, version, pact_hash, document, published_at)
VALUES (:pact_id, :version, :pact_hash, :document, :published_at);

-- name: get_pact(pact_id)^
SELECT p.*, max(v.version) AS latest_version, array_agg(v.version ORDER BY v.version) AS versions
  FROM pacts p JOIN pact_versions v USING (pact_id)
 WHERE p.pact_id = :pact_id
 GROUP BY p.pact_id;

-- name: page_pacts(after, limit, agent_id)
-- agent_id null: every agent's.
SELECT p.*, max(v.version) AS latest_version, array_agg(v.version ORDER BY v.version) AS versions
  FROM pacts p JOIN pact_versions v USING (pact_id)
 WHERE p.seq > :after AND (CAST(:agent_id AS text) IS NULL OR p.agent_id = :agent_id)
 GROUP BY p.pact_id
 ORDER BY p.seq LIMIT :limit;

-- name: get_version(pact_id, version)^
-- One version with its pact's owner and whether it is still the latest or may be accepted anyway.
SELECT v.*, p.agent_id, p.operator_id, p.name, p.superseded_acceptable,
       (SELECT max(l.version) FROM pact_versions l WHERE l.pact_id = v.pact_id) AS latest_version
  FROM pact_versions v JOIN pacts p USING (pact_id)
 WHERE v.pact_id = :pact_id AND v.version = :version;
