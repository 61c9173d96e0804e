-- name: insert_acceptance!
INSERT INTO acceptances (acceptance_id, buyer_id, operator_id, pact, accepted_at)
VALUES (:acceptance_id, :buyer_id, :operator_id, :pact, :accepted_at)
ON CONFLICT (acceptance_id) DO NOTHING;

-- name: get_acceptance^
SELECT * FROM acceptances WHERE acceptance_id = :acceptance_id;

-- name: get_acceptances
SELECT * FROM acceptances WHERE acceptance_id = ANY(:acceptance_ids::text[]);

-- name: revoke_acceptance!
UPDATE acceptances SET revoked_at = :revoked_at, revoked_by = :revoked_by
WHERE acceptance_id = :acceptance_id AND revoked_at IS NULL;

-- name: insert_evaluations
-- The rows inserted (a task already received is skipped), locked by this transaction. Each
-- row holds its first decision's status and deadline already (or 'parked'), and its task's
-- text unless that decision is the verdict.
INSERT INTO evaluations (task_id, acceptance_id, task, task_event_id, task_correlation_id, completed_at, status,
                         deadline)
SELECT * FROM unnest(:task_ids::text[], :acceptance_ids::text[], :tasks::text[], :task_event_ids::uuid[],
                     :task_correlation_ids::uuid[], :completed_ats::timestamptz[], :statuses::text[],
                     :deadlines::timestamptz[])
ON CONFLICT (task_id) DO NOTHING
RETURNING *;

-- name: lock_evaluation^
SELECT * FROM evaluations WHERE task_id = :task_id FOR UPDATE;

-- name: parked_for_acceptance
SELECT * FROM evaluations WHERE acceptance_id = :acceptance_id AND status = 'parked'
ORDER BY completed_at, task_id FOR UPDATE;

-- name: set_openings!
-- Stored tasks' first decisions (a parked task started): each row's status and deadline (and
-- no more text once decided).
UPDATE evaluations e SET status = d.status, deadline = d.deadline,
                         task = CASE WHEN d.status = 'decided' THEN NULL ELSE e.task END
FROM unnest(:task_ids::text[], :statuses::text[], :deadlines::timestamptz[]) AS d(task_id, status, deadline)
WHERE e.task_id = d.task_id;

-- name: mark_decided!
UPDATE evaluations SET status = 'decided', task = NULL WHERE task_id = ANY(:task_ids::text[]);

-- name: overdue
SELECT task_id FROM evaluations
WHERE status = 'awaiting_jury' AND deadline <= :cutoff
ORDER BY deadline, task_id LIMIT :limit;

-- name: lock_overdue^
SELECT * FROM evaluations WHERE task_id = :task_id AND status = 'awaiting_jury'
FOR UPDATE SKIP LOCKED;

-- name: pending_counts
SELECT status, count(*) AS n FROM evaluations WHERE status <> 'decided' GROUP BY status;

-- name: insert_jury_answer<!
INSERT INTO jury_answers (event_id, task_id, request_id, correlation_id, answered_at, payload, disposition)
VALUES (:event_id, :task_id, :request_id, :correlation_id, :answered_at, :payload, :disposition)
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id;

-- name: pending_answer^
SELECT * FROM jury_answers WHERE task_id = :task_id AND disposition = 'pending'
ORDER BY answered_at, event_id LIMIT 1;

-- name: pending_answers
-- Each task's first pending answer (the one pending_answer gives).
SELECT DISTINCT ON (task_id) * FROM jury_answers
WHERE task_id = ANY(:task_ids::text[]) AND disposition = 'pending'
ORDER BY task_id, answered_at, event_id;

-- name: set_answer_disposition!
UPDATE jury_answers SET disposition = :disposition WHERE event_id = :event_id;

-- name: insert_verdicts
-- The tasks whose verdict this inserted: a task that has one already is skipped.
INSERT INTO verdicts (task_id, verdict_id, acceptance_id, outcome, event_id, occurred_at, payload)
SELECT * FROM unnest(:task_ids::text[], :verdict_ids::text[], :acceptance_ids::text[], :outcomes::text[],
                     :event_ids::uuid[], :occurred_ats::timestamptz[], :payloads::text[])
ON CONFLICT (task_id) DO NOTHING
RETURNING task_id;

-- name: get_verdict^
SELECT v.*, a.buyer_id, a.operator_id
FROM verdicts v JOIN acceptances a USING (acceptance_id)
WHERE v.task_id = :task_id;

-- name: get_task_parties^
SELECT e.task_id, a.buyer_id, a.operator_id
FROM evaluations e JOIN acceptances a USING (acceptance_id)
WHERE e.task_id = :task_id;

-- name: insert_dispute<!
INSERT INTO disputes (task_id, event_id, disputed_at, disputed_by, disposition)
VALUES (:task_id, :event_id, :disputed_at, :disputed_by, :disposition)
ON CONFLICT (task_id) DO NOTHING
RETURNING task_id;

-- name: get_disputes
SELECT * FROM disputes WHERE task_id = ANY(:task_ids::text[]);

-- name: set_dispute_disposition!
UPDATE disputes SET disposition = :disposition WHERE task_id = :task_id AND disposition = 'pending';
