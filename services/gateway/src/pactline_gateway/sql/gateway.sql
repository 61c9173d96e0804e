-- Named queries of the gateway (aiosql): one round trip to admit a call, one transaction to
-- record it, and the folds of the events it consumes (API keys: pactline_identities.known_keys).

-- name: call_context(key_id, acceptance_id, idempotency_key, escrow_job_id)^
-- Everything a call is admitted on, in one round trip; absent parts come back null.
SELECT k.key_id, k.principal_id, k.role, k.scopes, k.key_hmac, k.revoked,
       a.acceptance_id, a.pact_id, a.agent_id, a.buyer_id, a.mode, a.price_per_task, a.pool_size,
       a.max_tasks, a.expires_at, a.revoked_at IS NOT NULL AS acceptance_revoked,
       a.gateway_tasks AS tasks_used,
       e.base_url,
       (SELECT t.task_id FROM tasks t
         WHERE t.acceptance_id = :acceptance_id AND t.idempotency_key = :idempotency_key) AS previous_task_id,
       (SELECT t.task_id FROM tasks t WHERE t.escrow_job_id = :escrow_job_id) AS job_task_id
  FROM (SELECT 1) AS one
  LEFT JOIN api_keys k ON k.key_id = :key_id
  LEFT JOIN acceptances a ON a.acceptance_id = :acceptance_id
  LEFT JOIN agent_endpoints e ON e.agent_id = a.agent_id;

-- name: reserve_task(task_id, acceptance_id, pact_id, agent_id, idempotency_key, escrow_job_id, price_per_task, input, reference, started_at)$
-- The call and the acceptance's count, in one round trip, before the call is forwarded; null
-- when a concurrent call took the acceptance's last task (the limits are checked again here).
WITH counted AS (
    UPDATE acceptances SET gateway_tasks = gateway_tasks + 1
     WHERE acceptance_id = :acceptance_id
       AND (max_tasks IS NULL OR gateway_tasks < max_tasks)
       AND (pool_size IS NULL OR (gateway_tasks + 1) * price_per_task <= pool_size)
    RETURNING 1
)
INSERT INTO tasks (task_id, acceptance_id, pact_id, agent_id, idempotency_key, escrow_job_id, price_per_task,
                   input, reference, started_at)
SELECT :task_id, :acceptance_id, :pact_id, :agent_id, :idempotency_key, :escrow_job_id, :price_per_task,
       :input, :reference, :started_at
  FROM counted
RETURNING true;

-- name: mark_recorded(task_id, recorded_at)$
-- True when this call was still in flight (so its evidence is recorded exactly once).
UPDATE tasks SET recorded_at = :recorded_at WHERE task_id = :task_id AND recorded_at IS NULL RETURNING true;

-- name: lost_calls(started_before, max_rows)
-- Calls in flight since before any call could still be running: their gateway went down.
SELECT task_id, acceptance_id, pact_id, agent_id, idempotency_key, escrow_job_id, price_per_task, input,
       reference, started_at
  FROM tasks
 WHERE recorded_at IS NULL AND started_at < :started_before
 ORDER BY started_at
 LIMIT :max_rows
   FOR UPDATE SKIP LOCKED;

-- name: acceptance_accepted(acceptance_id, pact_id, pact_version, agent_id, buyer_id, mode, price_per_task, pool_size, max_tasks, expires_at)!
INSERT INTO acceptances (acceptance_id, pact_id, pact_version, agent_id, buyer_id, mode, price_per_task,
                         pool_size, max_tasks, expires_at)
VALUES (:acceptance_id, :pact_id, :pact_version, :agent_id, :buyer_id, :mode, :price_per_task,
        :pool_size, :max_tasks, :expires_at)
ON CONFLICT (acceptance_id) DO NOTHING;

-- name: acceptance_revoked(acceptance_id, revoked_at)!
UPDATE acceptances SET revoked_at = coalesce(revoked_at, :revoked_at) WHERE acceptance_id = :acceptance_id;

-- name: endpoint_registered(agent_id, operator_id, base_url, stream_seq)!
INSERT INTO agent_endpoints (agent_id, operator_id, base_url, stream_seq)
VALUES (:agent_id, :operator_id, :base_url, :stream_seq)
ON CONFLICT (agent_id) DO UPDATE
   SET operator_id = excluded.operator_id, base_url = excluded.base_url, stream_seq = excluded.stream_seq
 WHERE agent_endpoints.stream_seq < excluded.stream_seq;
