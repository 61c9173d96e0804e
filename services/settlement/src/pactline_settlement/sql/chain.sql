-- The watcher's view of the chain: confirmed logs, jobs, pools and how far it has read.

-- name: get_cursor^
SELECT * FROM chain_cursor WHERE id = 1;

-- name: save_cursor!
INSERT INTO chain_cursor (id, chain_id, block_number, block_hash) VALUES (1, :chain_id, :block_number, :block_hash)
ON CONFLICT (id) DO UPDATE SET chain_id = EXCLUDED.chain_id, block_number = EXCLUDED.block_number,
    block_hash = EXCLUDED.block_hash;

-- name: get_chain_job^
SELECT * FROM chain_jobs WHERE job_id = :job_id;

-- name: upsert_chain_job!
INSERT INTO chain_jobs (job_id, client, provider, evaluator, token, budget, expired_at, status, deliverable)
VALUES (:job_id, :client, :provider, :evaluator, :token, :budget, :expired_at, :status, :deliverable)
ON CONFLICT (job_id) DO NOTHING;

-- name: update_chain_job!
UPDATE chain_jobs SET provider = coalesce(:provider, provider), token = coalesce(:token, token),
    budget = coalesce(:budget, budget), status = coalesce(:status, status),
    deliverable = coalesce(:deliverable, deliverable)
WHERE job_id = :job_id;

-- name: get_chain_pool^
SELECT * FROM chain_pools WHERE pool_id = :pool_id;

-- name: insert_chain_pool!
INSERT INTO chain_pools (pool_id, acceptance_key, buyer, provider, evaluator, token, expired_at, price_per_task,
                         funded)
VALUES (:pool_id, :acceptance_key, :buyer, :provider, :evaluator, :token, :expired_at, :price_per_task, :funded)
ON CONFLICT (pool_id) DO NOTHING;

-- name: fund_chain_pool!
UPDATE chain_pools SET funded = funded + :amount WHERE pool_id = :pool_id;

-- name: settle_chain_pool!
UPDATE chain_pools SET settled = settled + :amount, last_batch_seq = greatest(last_batch_seq, :batch_seq)
WHERE pool_id = :pool_id;

-- name: close_chain_pool!
UPDATE chain_pools SET closed = true WHERE pool_id = :pool_id;

-- name: pools_for_key
SELECT * FROM chain_pools WHERE acceptance_key = :acceptance_key ORDER BY pool_id;

-- name: insert_chain_log<!
INSERT INTO chain_logs (tx_hash, log_index, block_number, block_hash, block_time, contract, name, args, job_id,
                        pool_id, emitted_at)
VALUES (:tx_hash, :log_index, :block_number, :block_hash, :block_time, :contract, :name, :args, :job_id, :pool_id,
        :emitted_at)
ON CONFLICT (tx_hash, log_index) DO NOTHING
RETURNING tx_hash;

-- name: unemitted_job_logs
SELECT * FROM chain_logs WHERE job_id = :job_id AND emitted_at IS NULL
ORDER BY block_number, log_index FOR UPDATE;

-- name: unemitted_pool_logs
SELECT * FROM chain_logs WHERE pool_id = :pool_id AND emitted_at IS NULL
ORDER BY block_number, log_index FOR UPDATE;

-- name: mark_emitted!
UPDATE chain_logs SET emitted_at = now() WHERE tx_hash = :tx_hash AND log_index = :log_index;

-- name: sibling_log^
SELECT * FROM chain_logs WHERE tx_hash = :tx_hash AND name = :name AND job_id = :job_id
ORDER BY log_index LIMIT 1;

-- name: unemitted_count$
SELECT count(*) FROM chain_logs WHERE emitted_at IS NULL;

-- name: unemitted_refs
-- The linked jobs and pools that have recorded facts not yet emitted (a fact waits for its
-- link: a task naming the job, an acceptance owning the pool).
SELECT DISTINCT c.job_id, NULL::bytea AS pool_id
FROM chain_logs c JOIN job_links l ON l.job_id = c.job_id
WHERE c.emitted_at IS NULL
UNION
SELECT DISTINCT NULL::numeric, c.pool_id
FROM chain_logs c JOIN chain_pools p ON p.pool_id = c.pool_id JOIN acceptances a ON a.acceptance_key = p.acceptance_key
WHERE c.emitted_at IS NULL;
