-- Named queries of the gateway (aiosql): one round trip to admit a call, one transaction to
-- record it, and the folds of the events it consumes.

-- name: call_context(key_id, acceptance_id, idempotency_key, escrow_job_id)^
-- Everything a call is admitted on, in one round trip; absent parts come back null.
SELECT k.key_id, k.principal_id, k.role, k.scopes, k.key_hmac, k.revoked,
       a.acceptance_id, a.pact_id, a.agent_id, a.buyer_id, a.mode, a.price_per_task, a.pool_size,
       a.max_tasks, a.expires_at, a.revoked_at IS NOT NULL AS acceptance_revoked,
       a.reported_tasks + a.gateway_tasks AS tasks_used,
       e.base_url,
       (SELECT t.task_id FROM tasks t
         WHERE t.acceptance_id = :acceptance_id AND t.idempotency_key = :idempotency_key) AS previous_task_id,
       (SELECT t.task_id FROM tasks t WHERE t.escrow_job_id = :escrow_job_id) AS job_task_id
  FROM (SELECT 1) AS one
  LEFT JOIN api_keys k ON k.key_id = :key_id
  LEFT JOIN acceptances a ON a.acceptance_id = :acceptance_id
  LEFT JOIN agent_endpoints e ON e.agent_id = a.agent_id;

-- name: insert_task(task_id, acceptance_id, idempotency_key, escrow_job_id, recorded_at)!
INSERT INTO tasks (task_id, acceptance_id, idempotency_key, escrow_job_id, recorded_at)
VALUES (:task_id, :acceptance_id, :idempotency_key, :escrow_job_id, :recorded_at);

-- name: count_gateway_task(acceptance_id)!
UPDATE acceptances SET gateway_tasks = gateway_tasks + 1 WHERE acceptance_id = :acceptance_id;

-- name: key_issued(key_id, principal_id, role, scopes, key_hmac)!
INSERT INTO api_keys (key_id, principal_id, role, scopes, key_hmac)
VALUES (:key_id, :principal_id, :role, :scopes, :key_hmac)
ON CONFLICT (key_id) DO UPDATE
   SET principal_id = excluded.principal_id, role = excluded.role, scopes = excluded.scopes,
       key_hmac = excluded.key_hmac;

-- name: key_revoked(key_id, principal_id)!
INSERT INTO api_keys (key_id, principal_id, role, scopes, key_hmac, revoked)
VALUES (:key_id, :principal_id, '', '{}', NULL, true)
ON CONFLICT (key_id) DO UPDATE SET revoked = true;

-- name: acceptance_accepted(acceptance_id, pact_id, pact_version, agent_id, buyer_id, mode, price_per_task, pool_size, max_tasks, expires_at)!
INSERT INTO acceptances (acceptance_id, pact_id, pact_version, agent_id, buyer_id, mode, price_per_task,
                         pool_size, max_tasks, expires_at)
VALUES (:acceptance_id, :pact_id, :pact_version, :agent_id, :buyer_id, :mode, :price_per_task,
        :pool_size, :max_tasks, :expires_at)
ON CONFLICT (acceptance_id) DO NOTHING;

-- name: acceptance_revoked(acceptance_id, revoked_at)!
UPDATE acceptances SET revoked_at = coalesce(revoked_at, :revoked_at) WHERE acceptance_id = :acceptance_id;

-- name: count_reported_task(acceptance_id)!
UPDATE acceptances SET reported_tasks = reported_tasks + 1 WHERE acceptance_id = :acceptance_id;

-- name: endpoint_registered(agent_id, operator_id, base_url, stream_seq)!
INSERT INTO agent_endpoints (agent_id, operator_id, base_url, stream_seq)
VALUES (:agent_id, :operator_id, :base_url, :stream_seq)
ON CONFLICT (agent_id) DO UPDATE
   SET operator_id = excluded.operator_id, base_url = excluded.base_url, stream_seq = excluded.stream_seq
 WHERE agent_endpoints.stream_seq < excluded.stream_seq;
