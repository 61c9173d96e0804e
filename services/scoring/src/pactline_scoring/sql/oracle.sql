-- The Trust Oracle's reads of the projection's rows (services/scoring/.../store.py).

-- name: log_time()$
SELECT log_time FROM log_clock WHERE id = 1;

-- name: agent_ids()
SELECT agent_id FROM agents ORDER BY agent_id;

-- name: agent_count()$
SELECT count(*) FROM agents;

-- name: acceptances_of(agent_id)
SELECT * FROM acceptances WHERE agent_id = :agent_id;

-- name: evidence_until(agent_id, as_of)
SELECT e.* FROM evidence e JOIN acceptances a USING (acceptance_id)
WHERE a.agent_id = :agent_id AND e.occurred_at <= :as_of ORDER BY e.occurred_at, e.event_id;

-- name: all_evidence(agent_id)
SELECT e.* FROM evidence e JOIN acceptances a USING (acceptance_id)
WHERE a.agent_id = :agent_id ORDER BY e.occurred_at, e.event_id;

-- name: evidence_page(agent_id, before, page_size)
SELECT e.event_id, e.kind, e.acceptance_id, e.occurred_at, e.refs, a.buyer_id, a.self_dealt
FROM evidence e JOIN acceptances a USING (acceptance_id)
WHERE a.agent_id = :agent_id AND (:before::timestamptz IS NULL OR e.occurred_at < :before)
  AND (e.agent_id IS NULL OR e.agent_id = a.agent_id)
ORDER BY e.occurred_at DESC, e.event_id DESC LIMIT :page_size;
