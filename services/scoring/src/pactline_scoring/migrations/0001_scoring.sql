-- The scoring projection's derived rows (docs/scoring.md, "The projection"). Everything here but
-- the announcer's two tables is dropped by a rebuild and derived again from the log.

-- Who stands behind each acceptance (from PactAccepted).
CREATE TABLE acceptances (
    acceptance_id  text PRIMARY KEY,
    agent_id       text NOT NULL,
    buyer_id       text NOT NULL,
    self_dealt     boolean NOT NULL
);
CREATE INDEX acceptances_by_agent ON acceptances (agent_id);

-- One row per verdict or settlement folded: the formula's inputs and the references an
-- auditor follows (verdict id, evidence digest, settlement tx, batch root).
CREATE TABLE evidence (
    event_id       uuid PRIMARY KEY,
    kind           text NOT NULL CHECK (kind IN ('verdict', 'settlement')),
    acceptance_id  text NOT NULL,
    agent_id       text,
    occurred_at    timestamptz NOT NULL,
    contributions  jsonb NOT NULL,
    refs           jsonb NOT NULL
);
CREATE INDEX evidence_by_acceptance ON evidence (acceptance_id, occurred_at);

-- A buyer's raw evidence for an agent, a dimension and a cap period (each term weight * G(t)).
CREATE TABLE cells (
    agent_id   text NOT NULL,
    buyer_id   text NOT NULL,
    dimension  text NOT NULL,
    period     integer NOT NULL,
    passed     numeric NOT NULL,
    failed     numeric NOT NULL,
    burned     numeric NOT NULL,
    PRIMARY KEY (agent_id, buyer_id, dimension, period)
);

-- Sums of the capped cells, per agent and dimension: a score at any as_of after the agent's
-- last evidence is read from these alone.
CREATE TABLE totals (
    agent_id   text NOT NULL,
    dimension  text NOT NULL,
    passed     numeric NOT NULL,
    failed     numeric NOT NULL,
    burned     numeric NOT NULL,
    PRIMARY KEY (agent_id, dimension)
);

CREATE TABLE agents (
    agent_id             text PRIMARY KEY,
    verdicts             bigint NOT NULL,
    self_dealt_verdicts  bigint NOT NULL,
    settlements          bigint NOT NULL,
    released             numeric NOT NULL,
    refunded             numeric NOT NULL,
    last_event_at        timestamptz NOT NULL
);

CREATE TABLE agent_buyers (
    agent_id  text NOT NULL,
    buyer_id  text NOT NULL,
    PRIMARY KEY (agent_id, buyer_id)
);

-- The latest event time folded: the as_of of "current" scores.
CREATE TABLE log_clock (
    id        integer PRIMARY KEY CHECK (id = 1),
    log_time  timestamptz NOT NULL
);

-- Kept across rebuilds: what was last announced per agent, and the event time up to which
-- announcements were made, so that replaying the log never announces a change twice.
CREATE TABLE announced (
    agent_id    text PRIMARY KEY,
    composite   integer NOT NULL,
    confidence  integer NOT NULL,
    tier        text NOT NULL
);
CREATE TABLE announcer (
    id       integer PRIMARY KEY CHECK (id = 1),
    through  timestamptz NOT NULL
);
