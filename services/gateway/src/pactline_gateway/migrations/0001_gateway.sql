-- The gateway's own state, folded from the event log (it never reads the registry's tables):
-- API keys as HMACs, acceptances and agent endpoints; plus the tasks it measured.

CREATE TABLE api_keys (
    key_id        text PRIMARY KEY,
    principal_id  text NOT NULL,
    role          text NOT NULL,
    scopes        text[] NOT NULL,
    key_hmac      char(64),             -- null while only the key's revocation has been seen
    revoked       boolean NOT NULL DEFAULT false
);

CREATE TABLE acceptances (
    acceptance_id   text PRIMARY KEY,
    pact_id         text NOT NULL,
    pact_version    integer NOT NULL,
    agent_id        text NOT NULL,
    buyer_id        text NOT NULL,
    mode            text NOT NULL CHECK (mode IN ('per_task', 'aggregate')),
    price_per_task  bigint NOT NULL,
    pool_size       bigint,
    max_tasks       integer,
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    gateway_tasks   integer NOT NULL DEFAULT 0   -- calls measured here under it
);

-- The latest endpoint each agent's operator registered (stream_seq orders replacements).
CREATE TABLE agent_endpoints (
    agent_id     text PRIMARY KEY,
    operator_id  text NOT NULL,
    base_url     text NOT NULL,
    stream_seq   bigint NOT NULL
);

-- A call is reserved here before it is forwarded (so idempotency keys, escrow jobs and the
-- acceptance's limits hold under concurrency) and marked recorded when its TaskCompleted is in
-- the outbox. A call still in flight long after any call could last was lost by a crash: the
-- sweeper records it as interrupted, so every forwarded call leaves evidence.
CREATE TABLE tasks (
    task_id          text PRIMARY KEY,
    acceptance_id    text NOT NULL,
    pact_id          text NOT NULL,
    agent_id         text NOT NULL,
    idempotency_key  text NOT NULL,
    escrow_job_id    text,
    price_per_task   bigint NOT NULL,
    input            text NOT NULL,
    reference        text,
    started_at       timestamptz NOT NULL,
    recorded_at      timestamptz,
    UNIQUE (acceptance_id, idempotency_key)
);
CREATE UNIQUE INDEX tasks_escrow_job ON tasks (escrow_job_id) WHERE escrow_job_id IS NOT NULL;
CREATE INDEX tasks_in_flight ON tasks (started_at) WHERE recorded_at IS NULL;
