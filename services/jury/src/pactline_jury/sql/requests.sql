-- name: record_request<!
-- Idempotent on request_id: a redelivered or re-emitted JuryRequested changes nothing.
INSERT INTO requests (request_id, task_id, event_id, correlation_id, payload, received_at)
VALUES (:request_id, :task_id, :event_id, :correlation_id, :payload, :received_at)
ON CONFLICT (request_id) DO NOTHING
RETURNING request_id;

-- name: claim_pending
-- Leases up to :batch pending requests whose lease is free; SKIP LOCKED lets replicas share.
UPDATE requests r
SET lease_until = now() + make_interval(secs => :lease_s), attempts = r.attempts + 1
WHERE r.request_id IN (
    SELECT request_id FROM requests
    WHERE status = 'pending' AND (lease_until IS NULL OR lease_until < now())
    ORDER BY received_at
    FOR UPDATE SKIP LOCKED
    LIMIT :batch
)
RETURNING r.request_id, r.event_id, r.correlation_id, r.payload, r.attempts;

-- name: lock_request^
SELECT status, attempts FROM requests WHERE request_id = :request_id FOR UPDATE;

-- name: mark_decided!
UPDATE requests SET status = 'decided', decided_at = :decided_at, lease_until = NULL WHERE request_id = :request_id;

-- name: release_after_error!
-- The worker failed on this request: record why and let it be claimed again at once.
UPDATE requests SET lease_until = NULL, last_error = :error WHERE request_id = :request_id AND status = 'pending';

-- name: count_pending$
SELECT count(*) FROM requests WHERE status = 'pending';
