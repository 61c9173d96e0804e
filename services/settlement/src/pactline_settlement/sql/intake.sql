-- What the handlers record: acceptances, tasks, job links and verdicts.

-- name: insert_acceptance!
INSERT INTO acceptances (acceptance_id, mode, agent_id, buyer_id, buyer_address, provider_address, price,
                         dispute_window_s, acceptance_key, accepted_at)
VALUES (:acceptance_id, :mode, :agent_id, :buyer_id, :buyer_address, :provider_address, :price,
        :dispute_window_s, :acceptance_key, :accepted_at)
ON CONFLICT (acceptance_id) DO NOTHING;

-- name: get_acceptance^
SELECT * FROM acceptances WHERE acceptance_id = :acceptance_id;

-- name: acceptance_by_key^
SELECT * FROM acceptances WHERE acceptance_key = :acceptance_key;

-- name: task_seen!
INSERT INTO tasks (task_id, acceptance_id) VALUES (:task_id, :acceptance_id)
ON CONFLICT (task_id) DO NOTHING;

-- name: lock_task^
SELECT * FROM tasks WHERE task_id = :task_id FOR UPDATE;

-- name: set_output_digest!
UPDATE tasks SET output_digest = coalesce(output_digest, :output_digest) WHERE task_id = :task_id;

-- name: link_job<!
INSERT INTO job_links (job_id, task_id) VALUES (:job_id, :task_id)
ON CONFLICT DO NOTHING
RETURNING job_id;

-- name: job_link^
SELECT * FROM job_links WHERE job_id = :job_id;

-- name: task_link^
SELECT * FROM job_links WHERE task_id = :task_id;

-- name: set_task_job!
UPDATE tasks SET job_id = :job_id WHERE task_id = :task_id;

-- name: record_verdict<!
UPDATE tasks
SET outcome = :outcome, evidence_digest = :evidence_digest, verdict_id = :verdict_id, verdict_at = :verdict_at,
    correlation_id = :correlation_id, output_digest = coalesce(:output_digest, output_digest)
WHERE task_id = :task_id AND outcome IS NULL
RETURNING task_id;

-- name: close_task!
UPDATE tasks SET status = 'done', detail = :detail WHERE task_id = :task_id AND status = 'waiting';
