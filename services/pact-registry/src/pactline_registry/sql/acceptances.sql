-- Acceptances, the tasks reported under them, and providers' disputes.

-- name: insert_acceptance(acceptance_id, pact_id, pact_version, pact_hash, agent_id, operator_id, provider_address, buyer_id, buyer_address, mode, price_per_task, pool_size, max_tasks, accepted_at, expires_at)^
INSERT INTO acceptances (acceptance_id, pact_id, pact_version, pact_hash, agent_id, operator_id, provider_address,
                         buyer_id, buyer_address, mode, price_per_task, pool_size, max_tasks, accepted_at, expires_at)
VALUES (:acceptance_id, :pact_id, :pact_version, :pact_hash, :agent_id, :operator_id, :provider_address,
        :buyer_id, :buyer_address, :mode, :price_per_task, :pool_size, :max_tasks, :accepted_at, :expires_at)
RETURNING *;

-- name: get_acceptance(acceptance_id)^
SELECT * FROM acceptances WHERE acceptance_id = :acceptance_id;

-- name: lock_acceptance(acceptance_id)^
-- Serializes the tasks of one acceptance (counts and idempotency keys stay exact); taken only
-- once the caller is known to be a party to it.
SELECT * FROM acceptances WHERE acceptance_id = :acceptance_id FOR UPDATE;

-- name: page_acceptances(after, limit, pact_id, agent_id, buyer_id, operator_id)
-- Each filter null: not filtered on.
SELECT * FROM acceptances
 WHERE seq > :after
   AND (CAST(:pact_id AS text) IS NULL OR pact_id = :pact_id)
   AND (CAST(:agent_id AS text) IS NULL OR agent_id = :agent_id)
   AND (CAST(:buyer_id AS text) IS NULL OR buyer_id = :buyer_id)
   AND (CAST(:operator_id AS text) IS NULL OR operator_id = :operator_id)
 ORDER BY seq LIMIT :limit;

-- name: revoke_acceptance(acceptance_id, revoked_at, revoked_by, revoke_reason)^
UPDATE acceptances SET revoked_at = :revoked_at, revoked_by = :revoked_by, revoke_reason = :revoke_reason
 WHERE acceptance_id = :acceptance_id
RETURNING *;

-- name: evidence_terms(pact_id, pact_version)^
-- The pact version's document: what evidence it requires and its dispute window.
SELECT document FROM pact_versions WHERE pact_id = :pact_id AND version = :pact_version;

-- name: task_by_key(acceptance_id, idempotency_key)^
SELECT task_id, request_digest FROM tasks WHERE acceptance_id = :acceptance_id AND idempotency_key = :idempotency_key;

-- name: insert_task(task_id, acceptance_id, idempotency_key, request_digest, escrow_job_id, payload, submitted_at, provenance)^
-- No row when the escrow job already pays for another task (a concurrent request of another
-- acceptance took it: the unique index decides, the caller answers 409).
INSERT INTO tasks (task_id, acceptance_id, idempotency_key, request_digest, escrow_job_id, payload, submitted_at,
                   provenance)
VALUES (:task_id, :acceptance_id, :idempotency_key, :request_digest, :escrow_job_id, :payload, :submitted_at,
        :provenance)
ON CONFLICT DO NOTHING
RETURNING task_id;

-- name: count_task(acceptance_id)!
UPDATE acceptances SET tasks_count = tasks_count + 1 WHERE acceptance_id = :acceptance_id;

-- name: get_task(task_id)^
-- The task with its acceptance's parties and its dispute, if any.
SELECT t.*, a.buyer_id, a.operator_id, d.disputed_by, d.reason AS dispute_reason, d.disputed_at
  FROM tasks t JOIN acceptances a USING (acceptance_id) LEFT JOIN task_disputes d USING (task_id)
 WHERE t.task_id = :task_id;

-- name: page_tasks(after, limit, acceptance_id)
SELECT t.*, a.buyer_id, a.operator_id, d.disputed_by, d.reason AS dispute_reason, d.disputed_at
  FROM tasks t JOIN acceptances a USING (acceptance_id) LEFT JOIN task_disputes d USING (task_id)
 WHERE t.seq > :after AND t.acceptance_id = :acceptance_id
 ORDER BY t.seq LIMIT :limit;

-- name: disputable_task(task_id)^
-- What a dispute needs to know about the task; read before any lock.
SELECT t.task_id, t.acceptance_id, t.provenance, t.submitted_at, a.agent_id, a.operator_id, a.buyer_id, v.document,
       d.task_id IS NOT NULL AS disputed
  FROM tasks t JOIN acceptances a USING (acceptance_id)
  JOIN pact_versions v ON v.pact_id = a.pact_id AND v.version = a.pact_version
  LEFT JOIN task_disputes d ON d.task_id = t.task_id
 WHERE t.task_id = :task_id;

-- name: lock_task(task_id)$
-- Serializes disputes of one task; taken only once the caller is the agent's operator.
SELECT true FROM tasks WHERE task_id = :task_id FOR UPDATE;

-- name: insert_dispute(task_id, disputed_by, reason, disputed_at)<!
-- No row when a concurrent dispute came first.
INSERT INTO task_disputes (task_id, disputed_by, reason, disputed_at)
VALUES (:task_id, :disputed_by, :reason, :disputed_at)
ON CONFLICT (task_id) DO NOTHING
RETURNING task_id;
