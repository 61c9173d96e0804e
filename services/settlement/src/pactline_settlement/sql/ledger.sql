-- The ledger's derived rows (written by the projection) and the read API's queries.

-- name: upsert_acceptance_row!
INSERT INTO ledger_acceptances (acceptance_id, mode, agent_id, buyer_id, escrowed, released, refunded, held,
                                remaining, violations)
VALUES (:acceptance_id, :mode, :agent_id, :buyer_id, :escrowed, :released, :refunded, :held, :remaining,
        :violations)
ON CONFLICT (acceptance_id) DO UPDATE SET mode = EXCLUDED.mode, agent_id = EXCLUDED.agent_id,
    buyer_id = EXCLUDED.buyer_id, escrowed = EXCLUDED.escrowed, released = EXCLUDED.released,
    refunded = EXCLUDED.refunded, held = EXCLUDED.held, remaining = EXCLUDED.remaining,
    violations = EXCLUDED.violations;

-- name: insert_job_row!
INSERT INTO ledger_jobs (acceptance_id, job_id, contract, task_id, status, escrowed, released, refunded, held,
                         remaining)
VALUES (:acceptance_id, :job_id, :contract, :task_id, :status, :escrowed, :released, :refunded, :held, :remaining)
ON CONFLICT (acceptance_id, job_id) DO UPDATE SET contract = EXCLUDED.contract, task_id = EXCLUDED.task_id,
    status = EXCLUDED.status, escrowed = EXCLUDED.escrowed, released = EXCLUDED.released,
    refunded = EXCLUDED.refunded, held = EXCLUDED.held, remaining = EXCLUDED.remaining;

-- name: upsert_pool_row!
INSERT INTO ledger_pools (pool_id, acceptance_id, contract, batches, escrowed, released, refunded, held, remaining)
VALUES (:pool_id, :acceptance_id, :contract, :batches, :escrowed, :released, :refunded, :held, :remaining)
ON CONFLICT (pool_id) DO UPDATE SET contract = EXCLUDED.contract, batches = EXCLUDED.batches, escrowed = EXCLUDED.escrowed,
    released = EXCLUDED.released, refunded = EXCLUDED.refunded, held = EXCLUDED.held,
    remaining = EXCLUDED.remaining;

-- name: insert_batch_row!
INSERT INTO ledger_batches (pool_id, batch_seq, acceptance_id, verdict_root, tx_hash, chain_id, leaves)
VALUES (:pool_id, :batch_seq, :acceptance_id, :verdict_root, :tx_hash, :chain_id, :leaves)
ON CONFLICT (pool_id, batch_seq) DO NOTHING;

-- name: insert_batch_task!
INSERT INTO ledger_batch_tasks (task_id, pool_id, batch_seq) VALUES (:task_id, :pool_id, :batch_seq)
ON CONFLICT DO NOTHING;

-- name: reset_rows!
TRUNCATE ledger_acceptances, ledger_jobs, ledger_pools, ledger_batches, ledger_batch_tasks;

-- name: acceptance_row^
SELECT * FROM ledger_acceptances WHERE acceptance_id = :acceptance_id;

-- name: acceptance_rows
SELECT * FROM ledger_acceptances
WHERE (:agent_id::text IS NULL OR agent_id = :agent_id) AND (:buyer_id::text IS NULL OR buyer_id = :buyer_id)
ORDER BY acceptance_id LIMIT :limit OFFSET :offset;

-- name: job_rows
SELECT * FROM ledger_jobs WHERE acceptance_id = :acceptance_id ORDER BY job_id;

-- name: all_job_rows
SELECT * FROM ledger_jobs ORDER BY acceptance_id, job_id LIMIT :limit OFFSET :offset;

-- name: pool_rows
SELECT * FROM ledger_pools WHERE (:acceptance_id::text IS NULL OR acceptance_id = :acceptance_id)
ORDER BY pool_id LIMIT :limit OFFSET :offset;

-- name: batch_rows
SELECT pool_id, batch_seq, verdict_root, tx_hash, chain_id FROM ledger_batches
WHERE pool_id = :pool_id ORDER BY batch_seq;

-- name: by_agent^
SELECT * FROM ledger_by_agent WHERE agent_id = :agent_id;

-- name: by_buyer^
SELECT * FROM ledger_by_buyer WHERE buyer_id = :buyer_id;

-- name: batches_of_task
SELECT b.* FROM ledger_batch_tasks t
JOIN ledger_batches b ON b.pool_id = t.pool_id AND b.batch_seq = t.batch_seq
WHERE t.task_id = :task_id ORDER BY b.batch_seq;
