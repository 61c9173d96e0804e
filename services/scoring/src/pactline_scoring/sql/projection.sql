-- The scoring projection's writes: rows derived from the folded states, in the poll's
-- transaction (services/scoring/.../projection.py). Column arrays travel to unnest(); big
-- integers as decimal text cast to numeric (exact).

-- name: reset_rows()!
TRUNCATE acceptances, evidence, cells, totals, agents, agent_buyers, log_clock;

-- name: advance_log_clock(log_time)!
INSERT INTO log_clock (id, log_time) VALUES (1, :log_time)
ON CONFLICT (id) DO UPDATE SET log_time = GREATEST(log_clock.log_time, EXCLUDED.log_time);

-- name: add_agent_counters(agents, verdicts, self_dealt, settlements, released, refunded, last_event_at)!
INSERT INTO agents AS a
SELECT a, v, s, n, r::numeric, f::numeric, t
FROM unnest(:agents::text[], :verdicts::bigint[], :self_dealt::bigint[], :settlements::bigint[],
            :released::text[], :refunded::text[], :last_event_at::timestamptz[]) AS u(a, v, s, n, r, f, t)
ON CONFLICT (agent_id) DO UPDATE SET
  verdicts = a.verdicts + EXCLUDED.verdicts,
  self_dealt_verdicts = a.self_dealt_verdicts + EXCLUDED.self_dealt_verdicts,
  settlements = a.settlements + EXCLUDED.settlements,
  released = a.released + EXCLUDED.released,
  refunded = a.refunded + EXCLUDED.refunded,
  last_event_at = GREATEST(a.last_event_at, EXCLUDED.last_event_at);

-- name: add_agent_buyers(agents, buyers)!
INSERT INTO agent_buyers SELECT * FROM unnest(:agents::text[], :buyers::text[]) ON CONFLICT DO NOTHING;

-- Add raw deltas to the buyers' cells and the change of their capped values to the totals, in
-- one statement: Postgres does ledger.capped in exact numeric arithmetic (div is integer
-- division), so no cell travels to Python and back.
-- name: apply_cells(agents, buyers, dimensions, periods, passed, failed, burned, buyer_cap, burn_cap, half_life)!
WITH d AS (
    SELECT a, b, dm, p, dx::numeric AS dx, dy::numeric AS dy, dz::numeric AS dz,
           :buyer_cap::numeric * :half_life::numeric * power(2::numeric, p + 1) AS cap,
           :burn_cap::numeric * :half_life::numeric * power(2::numeric, p + 1) AS burn_cap
    FROM unnest(:agents::text[], :buyers::text[], :dimensions::text[], :periods::int[],
                :passed::text[], :failed::text[], :burned::text[])
      AS t(a, b, dm, p, dx, dy, dz)
), up AS (
    INSERT INTO cells AS c (agent_id, buyer_id, dimension, period, passed, failed, burned)
    SELECT a, b, dm, p, dx, dy, dz FROM d
    ON CONFLICT (agent_id, buyer_id, dimension, period) DO UPDATE SET
      passed = c.passed + EXCLUDED.passed, failed = c.failed + EXCLUDED.failed, burned = c.burned + EXCLUDED.burned
    RETURNING c.agent_id, c.buyer_id, c.dimension, c.period, c.passed, c.failed, c.burned
), moved AS (
    SELECT up.agent_id, up.dimension, d.cap, d.burn_cap,
           up.passed AS np, up.failed AS nf, up.burned AS nb,
           up.passed - d.dx AS op, up.failed - d.dy AS o_f, up.burned - d.dz AS ob
    FROM up JOIN d ON d.a = up.agent_id AND d.b = up.buyer_id AND d.dm = up.dimension AND d.p = up.period
), changed AS (
    SELECT agent_id, dimension,
      sum((CASE WHEN np + nf > cap THEN div(np * cap, np + nf) ELSE np END)
        - (CASE WHEN op + o_f > cap THEN div(op * cap, op + o_f) ELSE op END)) AS dp,
      sum((CASE WHEN np + nf > cap THEN div(nf * cap, np + nf) ELSE nf END)
        - (CASE WHEN op + o_f > cap THEN div(o_f * cap, op + o_f) ELSE o_f END)) AS df,
      sum(LEAST(nb, burn_cap) - LEAST(ob, burn_cap)) AS db
    FROM moved GROUP BY agent_id, dimension
)
INSERT INTO totals AS t SELECT agent_id, dimension, dp, df, db FROM changed
ON CONFLICT (agent_id, dimension) DO UPDATE SET
  passed = t.passed + EXCLUDED.passed, failed = t.failed + EXCLUDED.failed, burned = t.burned + EXCLUDED.burned;

-- name: totals_of(agents)
SELECT agent_id, dimension, passed, failed, burned FROM totals WHERE agent_id = ANY(:agents::text[]);

-- name: counters_of(agents)
SELECT a.*, (SELECT count(*) FROM agent_buyers b WHERE b.agent_id = a.agent_id) AS buyers
FROM agents a WHERE a.agent_id = ANY(:agents::text[]);

-- name: announced_through()$
SELECT through FROM announcer WHERE id = 1;

-- name: last_announced(agents)
SELECT * FROM announced WHERE agent_id = ANY(:agents::text[]);

-- name: record_announced(agent_id, composite, confidence, tier)!
INSERT INTO announced VALUES (:agent_id, :composite, :confidence, :tier) ON CONFLICT (agent_id) DO UPDATE
SET composite = EXCLUDED.composite, confidence = EXCLUDED.confidence, tier = EXCLUDED.tier;

-- name: advance_announcer(through)!
INSERT INTO announcer VALUES (1, :through)
ON CONFLICT (id) DO UPDATE SET through = GREATEST(announcer.through, EXCLUDED.through);

-- name: add_acceptances(acceptance_ids, agents, buyers, self_dealt)!
INSERT INTO acceptances SELECT * FROM unnest(:acceptance_ids::text[], :agents::text[], :buyers::text[], :self_dealt::bool[])
ON CONFLICT (acceptance_id) DO NOTHING;
