-- The signer's work: per-task jobs to complete or reject, aggregate tasks to batch, batches.

-- name: job_candidates
-- Per-task tasks with a verdict and a linked job, nothing sent for them yet, and something to
-- decide now (each costs a read of the job on chain): a FAIL; an INCONCLUSIVE whose window has
-- closed; a PASS whose submit is confirmed; a job settled by someone else; a job the watcher
-- does not know (yet).
SELECT t.*, a.buyer_address, a.provider_address, a.price, a.dispute_window_s,
       extract(epoch FROM t.verdict_at)::bigint + a.dispute_window_s AS hold_until,
       j.deliverable, j.status AS confirmed_status
FROM tasks t
JOIN acceptances a ON a.acceptance_id = t.acceptance_id AND a.mode = 'per_task'
JOIN job_links l ON l.task_id = t.task_id
LEFT JOIN chain_jobs j ON j.job_id = l.job_id
WHERE t.status = 'waiting' AND t.outcome IS NOT NULL AND t.job_id IS NOT NULL
  AND (
      t.outcome = 'FAIL'
      OR (t.outcome = 'INCONCLUSIVE'
          AND extract(epoch FROM t.verdict_at)::bigint + a.dispute_window_s <= :chain_now)
      OR (t.outcome = 'PASS' AND j.status = 2)
      OR j.status IN (3, 4, 5)
      OR j.job_id IS NULL
  )
ORDER BY t.verdict_at, t.task_id
LIMIT :limit;

-- name: mark_task_sent!
UPDATE tasks SET status = 'sent', tx_id = :tx_id, detail = :detail WHERE task_id = :task_id AND status = 'waiting';

-- name: reopen_task!
UPDATE tasks SET status = 'waiting', tx_id = NULL WHERE task_id = :task_id AND tx_id = :tx_id;

-- name: mark_ready!
-- Aggregate tasks whose verdict is final (INCONCLUSIVE: once its hold ends) join the queue.
UPDATE tasks t SET ready_at = :now
FROM acceptances a
WHERE a.acceptance_id = t.acceptance_id AND a.mode = 'aggregate' AND t.status = 'waiting'
  AND t.outcome IS NOT NULL AND t.ready_at IS NULL
  AND (t.outcome <> 'INCONCLUSIVE' OR extract(epoch FROM t.verdict_at)::bigint + a.dispute_window_s <= :chain_now);

-- name: pools_with_ready_tasks
SELECT a.acceptance_id, a.price, a.buyer_address, a.provider_address, a.acceptance_key, count(*) AS ready
FROM tasks t JOIN acceptances a ON a.acceptance_id = t.acceptance_id
WHERE a.mode = 'aggregate' AND t.status = 'waiting' AND t.ready_at IS NOT NULL
GROUP BY a.acceptance_id
ORDER BY min(t.ready_at), a.acceptance_id;

-- name: ready_tasks
SELECT task_id, outcome, evidence_digest, ready_at FROM tasks
WHERE acceptance_id = :acceptance_id AND status = 'waiting' AND ready_at IS NOT NULL
ORDER BY ready_at, task_id
LIMIT :limit;

-- name: batched_task_ids
SELECT task_id FROM tasks WHERE task_id = ANY(:task_ids) AND batch_seq IS NOT NULL;

-- name: mark_batched
UPDATE tasks SET status = 'batched', batch_pool = :pool_id, batch_seq = :batch_seq
WHERE task_id = ANY(:task_ids) AND status = 'waiting' AND batch_seq IS NULL
RETURNING task_id;

-- name: insert_batch!
INSERT INTO batches (pool_id, batch_seq, acceptance_id, leaves, root, released, refunded)
VALUES (:pool_id, :batch_seq, :acceptance_id, :leaves, :root, :released, :refunded);

-- name: get_batch^
SELECT * FROM batches WHERE pool_id = :pool_id AND batch_seq = :batch_seq;

-- name: last_batch_seq$
SELECT coalesce(max(batch_seq), 0) FROM batches WHERE pool_id = :pool_id;

-- name: unsettled_batches
SELECT * FROM batches WHERE status = 'planned' ORDER BY pool_id, batch_seq;

-- name: in_flight_amount$
SELECT coalesce(sum(released + refunded), 0) FROM batches WHERE pool_id = :pool_id AND status = 'planned';

-- name: set_batch_tx!
UPDATE batches SET tx_id = :tx_id WHERE pool_id = :pool_id AND batch_seq = :batch_seq;

-- name: mark_batch_settled!
UPDATE batches SET status = 'settled' WHERE pool_id = :pool_id AND batch_seq = :batch_seq;

-- name: mark_batch_conflict!
UPDATE batches SET status = 'conflict' WHERE pool_id = :pool_id AND batch_seq = :batch_seq;

-- name: pool_in_conflict$
SELECT exists(SELECT 1 FROM batches WHERE pool_id = :pool_id AND status = 'conflict');

-- name: task_status^
SELECT t.*, a.mode FROM tasks t LEFT JOIN acceptances a ON a.acceptance_id = t.acceptance_id
WHERE t.task_id = :task_id;

-- name: reopen_task_of_tx!
UPDATE tasks SET status = 'waiting', tx_id = NULL WHERE tx_id = :tx_id AND status = 'sent';

-- name: unbatch!
UPDATE tasks SET status = 'waiting', batch_pool = NULL, batch_seq = NULL
WHERE batch_pool = :pool_id AND batch_seq = :batch_seq AND status = 'batched';

-- name: delete_batch!
DELETE FROM batches WHERE pool_id = :pool_id AND batch_seq = :batch_seq AND status = 'planned';

-- name: usable_pool^
-- The acceptance's pool this service may settle: opened by the buyer for this provider, in the
-- configured token, at the accepted price per task, naming this service as evaluator, not closed.
SELECT * FROM chain_pools
WHERE acceptance_key = :acceptance_key AND buyer = :buyer AND provider = :provider AND token = :token
  AND price_per_task = :price AND evaluator = :evaluator AND NOT closed
ORDER BY pool_id LIMIT 1;

-- name: planned_batches_of_pool
SELECT * FROM batches WHERE pool_id = :pool_id AND status = 'planned' ORDER BY batch_seq;
