-- Settlement's working state: the terms of each acceptance, each task's verdict and what was
-- done about it, the chain as the watcher confirmed it, the batches, and the journal of every
-- transaction the signer intended (recorded before it is sent). The ledger itself is a
-- projection (projection_states + the ledger_* rows below), rebuilt from the log.
-- Amounts are numeric(78,0): any uint256. Addresses are stored lowercase.

CREATE TABLE acceptances (
    acceptance_id     text PRIMARY KEY,
    mode              text NOT NULL CHECK (mode IN ('per_task', 'aggregate')),
    agent_id          text NOT NULL,
    buyer_id          text NOT NULL,
    buyer_address     text NOT NULL,
    provider_address  text NOT NULL,
    price             numeric(78, 0) NOT NULL,
    dispute_window_s  integer NOT NULL,
    acceptance_key    bytea NOT NULL UNIQUE,       -- keccak256(acceptance_id): the pool's acceptanceId
    accepted_at       timestamptz NOT NULL
);

-- A per-task job escrows exactly one task: the first task that names a job keeps it.
CREATE TABLE job_links (
    job_id   numeric(78, 0) PRIMARY KEY,
    task_id  text NOT NULL UNIQUE
);

-- One row per task settlement heard of (from TaskCompleted or VerdictIssued, whichever came first).
-- status: 'waiting' (no final action yet), 'batched' (aggregate: in batch_seq), 'sent' (per_task:
-- tx_id journaled), 'done' (nothing more will be sent: detail says why).
CREATE TABLE tasks (
    task_id          text PRIMARY KEY,
    acceptance_id    text NOT NULL,
    job_id           numeric(78, 0),
    output_digest    bytea,
    outcome          text CHECK (outcome IN ('PASS', 'FAIL', 'INCONCLUSIVE')),
    evidence_digest  bytea,
    verdict_id       text,
    verdict_at       timestamptz,
    correlation_id   uuid,                          -- the verdict's, carried by the settlement events
    ready_at         bigint,                        -- aggregate: wall clock (unix s) it joined the queue
    batch_pool       bytea,
    batch_seq        integer,
    tx_id            bigint,
    status           text NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'batched', 'sent', 'done')),
    detail           text NOT NULL DEFAULT ''
);
CREATE INDEX tasks_waiting ON tasks (acceptance_id) WHERE status = 'waiting' AND outcome IS NOT NULL;

-- Jobs and pools as the confirmed logs describe them (the watcher's view, confirmation depth applied).
CREATE TABLE chain_jobs (
    job_id       numeric(78, 0) PRIMARY KEY,
    client       text,
    provider     text,
    evaluator    text,
    token        text,
    budget       numeric(78, 0),
    expired_at   bigint,
    status       smallint NOT NULL,
    deliverable  bytea
);

CREATE TABLE chain_pools (
    pool_id         bytea PRIMARY KEY,
    acceptance_key  bytea NOT NULL,
    buyer           text NOT NULL,
    provider        text NOT NULL,
    evaluator       text NOT NULL,
    token           text NOT NULL,
    expired_at      bigint NOT NULL,
    price_per_task  numeric(78, 0) NOT NULL,
    funded          numeric(78, 0) NOT NULL,
    settled         numeric(78, 0) NOT NULL DEFAULT 0,   -- released + refunded of confirmed batches
    last_batch_seq  integer NOT NULL DEFAULT 0,
    closed          boolean NOT NULL DEFAULT false
);
CREATE INDEX chain_pools_acceptance ON chain_pools (acceptance_key);

-- Every confirmed log of the two contracts; each becomes at most one event (emitted_at).
CREATE TABLE chain_logs (
    tx_hash        bytea NOT NULL,
    log_index      integer NOT NULL,
    block_number   bigint NOT NULL,
    block_hash     bytea NOT NULL,
    block_time     bigint NOT NULL,
    contract       text NOT NULL,
    name           text NOT NULL,
    args           jsonb NOT NULL,
    job_id         numeric(78, 0),
    pool_id        bytea,
    emitted_at     timestamptz,
    PRIMARY KEY (tx_hash, log_index)
);
CREATE INDEX chain_logs_unemitted_job ON chain_logs (job_id) WHERE emitted_at IS NULL;
CREATE INDEX chain_logs_unemitted_pool ON chain_logs (pool_id) WHERE emitted_at IS NULL;

-- How far the watcher has read (the last confirmed block and its hash, to see deep reorgs).
CREATE TABLE chain_cursor (
    id            smallint PRIMARY KEY CHECK (id = 1),
    chain_id      bigint NOT NULL,
    block_number  bigint NOT NULL,
    block_hash    bytea
);

-- One aggregate batch. A task is in at most one batch (tasks.batch_seq, set once).
-- status: 'planned' (leaves fixed, tx journaled or about to be), 'settled' (BatchSettled confirmed),
-- 'conflict' (the chain holds another root under this number: nothing more is sent for the pool).
CREATE TABLE batches (
    pool_id        bytea NOT NULL,
    batch_seq      integer NOT NULL,
    acceptance_id  text NOT NULL,
    leaves         jsonb NOT NULL,
    root           bytea NOT NULL,
    released       numeric(78, 0) NOT NULL,
    refunded       numeric(78, 0) NOT NULL,
    tx_id          bigint,
    status         text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'settled', 'conflict')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pool_id, batch_seq)
);

-- The journal: every transaction the signer intends, recorded (signed, with its nonce) BEFORE it
-- is broadcast. At most one live transaction per target (a job, or a pool's batch number); a
-- nonce is used by exactly one intended transaction.
-- status: 'signed' (recorded, maybe broadcast), 'mined' (a receipt, not yet deep enough),
-- 'confirmed', 'reverted' (mined with status 0), 'superseded' (its nonce was used by another tx).
CREATE TABLE transactions (
    tx_id          bigserial PRIMARY KEY,
    chain_id       bigint NOT NULL,
    signer         text NOT NULL,
    nonce          bigint NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('complete', 'reject', 'settle_batch')),
    target         text NOT NULL,
    gas            bigint NOT NULL,
    status         text NOT NULL DEFAULT 'signed'
                   CHECK (status IN ('signed', 'mined', 'confirmed', 'reverted', 'superseded')),
    tx_hash        bytea,                    -- the attempt that was mined
    block_number   bigint,
    block_hash     bytea,
    gas_used       bigint,
    sent_block     bigint,                   -- head when the latest attempt was broadcast
    broadcasts     integer NOT NULL DEFAULT 0,
    reorgs         integer NOT NULL DEFAULT 0,
    detail         text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (chain_id, signer, nonce)
);
CREATE UNIQUE INDEX transactions_one_live_per_target ON transactions (chain_id, target)
    WHERE status NOT IN ('reverted', 'superseded');
CREATE INDEX transactions_open ON transactions (tx_id) WHERE status IN ('signed', 'mined');

-- Each signed attempt of a journaled transaction: the same nonce and call, fees raised on a bump.
CREATE TABLE tx_attempts (
    tx_id         bigint NOT NULL REFERENCES transactions (tx_id),
    attempt       integer NOT NULL,
    raw           bytea NOT NULL,
    tx_hash       bytea NOT NULL UNIQUE,
    max_fee       numeric(78, 0) NOT NULL,
    priority_fee  numeric(78, 0) NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tx_id, attempt)
);

-- The ledger's rows, derived from the projection's state (dropped and rebuilt on a rebuild).
CREATE TABLE ledger_acceptances (
    acceptance_id  text PRIMARY KEY,
    mode           text,
    agent_id       text,
    buyer_id       text,
    escrowed       numeric(78, 0) NOT NULL,
    released       numeric(78, 0) NOT NULL,
    refunded       numeric(78, 0) NOT NULL,
    held           numeric(78, 0) NOT NULL,
    remaining      numeric(78, 0) NOT NULL,
    violations     jsonb NOT NULL
);
CREATE INDEX ledger_acceptances_agent ON ledger_acceptances (agent_id);
CREATE INDEX ledger_acceptances_buyer ON ledger_acceptances (buyer_id);

-- A job id is unique per contract only: a log spanning two deployments names job 1 twice.
CREATE TABLE ledger_jobs (
    acceptance_id  text NOT NULL,
    job_id         numeric(78, 0) NOT NULL,
    contract       text,
    task_id        text,
    status         text NOT NULL,
    escrowed       numeric(78, 0) NOT NULL,
    released       numeric(78, 0) NOT NULL,
    refunded       numeric(78, 0) NOT NULL,
    held           numeric(78, 0) NOT NULL,
    remaining      numeric(78, 0) NOT NULL,
    PRIMARY KEY (acceptance_id, job_id)
);

CREATE TABLE ledger_pools (
    pool_id        bytea PRIMARY KEY,
    acceptance_id  text NOT NULL,
    contract       text,
    batches        integer NOT NULL,
    escrowed       numeric(78, 0) NOT NULL,
    released       numeric(78, 0) NOT NULL,
    refunded       numeric(78, 0) NOT NULL,
    held           numeric(78, 0) NOT NULL,
    remaining      numeric(78, 0) NOT NULL
);

-- Settled batches as the log tells them (leaves included): what proofs are built from.
CREATE TABLE ledger_batches (
    pool_id        bytea NOT NULL,
    batch_seq      integer NOT NULL,
    acceptance_id  text NOT NULL,
    verdict_root   bytea NOT NULL,
    tx_hash        bytea NOT NULL,
    chain_id       bigint NOT NULL,
    leaves         jsonb NOT NULL,
    PRIMARY KEY (pool_id, batch_seq)
);

CREATE TABLE ledger_batch_tasks (
    task_id    text NOT NULL,
    pool_id    bytea NOT NULL,
    batch_seq  integer NOT NULL,
    PRIMARY KEY (task_id, pool_id, batch_seq)
);

CREATE VIEW ledger_by_agent AS
    SELECT agent_id, sum(escrowed) AS escrowed, sum(released) AS released, sum(refunded) AS refunded,
           sum(held) AS held, sum(remaining) AS remaining, count(*) AS acceptances
    FROM ledger_acceptances WHERE agent_id IS NOT NULL GROUP BY agent_id;

CREATE VIEW ledger_by_buyer AS
    SELECT buyer_id, sum(escrowed) AS escrowed, sum(released) AS released, sum(refunded) AS refunded,
           sum(held) AS held, sum(remaining) AS remaining, count(*) AS acceptances
    FROM ledger_acceptances WHERE buyer_id IS NOT NULL GROUP BY buyer_id;
