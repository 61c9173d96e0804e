-- name: insert_deliberation!
INSERT INTO deliberations (request_id, event_id, panel_version, fence_token, canary, payload, flagged, simulated,
                           cost_micro_usd, wall_ms, decided_at)
VALUES (:request_id, :event_id, :panel_version, :fence_token, :canary, :payload, :flagged, :simulated,
        :cost_micro_usd, :wall_ms, :decided_at);

-- name: insert_clause_results*!
INSERT INTO clause_results (request_id, clause_id, outcome, score, agreement, reason)
VALUES (:request_id, :clause_id, :outcome, :score, :agreement, :reason);

-- name: insert_judgments*!
INSERT INTO judgments (request_id, clause_id, judge_id, model, family, prompt_hash, raw_reply, reply_digest, verdict,
                       score, valid, flags, latency_ms, prompt_tokens, completion_tokens, cost_micro_usd, simulated)
VALUES (:request_id, :clause_id, :judge_id, :model, :family, :prompt_hash, :raw_reply, :reply_digest, :verdict,
        :score, :valid, :flags, :latency_ms, :prompt_tokens, :completion_tokens, :cost_micro_usd, :simulated);

-- name: get_judgments
SELECT * FROM judgments WHERE request_id = :request_id ORDER BY clause_id, judge_id;

-- name: jury_stats^
-- Figures for GET /v1/jury/stats (the demo prints them): nothing about any one task.
SELECT
    (SELECT count(*) FROM deliberations) AS deliberations,
    (SELECT count(*) FROM deliberations WHERE flagged) AS flagged_outputs,
    (SELECT count(*) FROM deliberations WHERE simulated) AS simulated_deliberations,
    (SELECT coalesce(sum(cost_micro_usd), 0)::bigint FROM deliberations) AS cost_micro_usd,
    (SELECT count(*) FROM judgments) AS judgments,
    (SELECT count(*) FROM judgments WHERE valid) AS valid_judgments,
    (SELECT count(*) FROM judgments WHERE cardinality(flags) > 0) AS flagged_judgments,
    (SELECT count(*) FROM requests WHERE status = 'pending') AS pending_requests,
    (SELECT count(*) FROM clause_results WHERE outcome = 'PASS') AS clauses_passed,
    (SELECT count(*) FROM clause_results WHERE outcome = 'FAIL') AS clauses_failed,
    (SELECT count(*) FROM clause_results WHERE outcome = 'INCONCLUSIVE') AS clauses_inconclusive,
    (SELECT round(avg(agreement), 4) FROM clause_results) AS mean_agreement;
