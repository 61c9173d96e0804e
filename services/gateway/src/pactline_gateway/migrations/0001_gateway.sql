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
    reported_tasks  integer NOT NULL DEFAULT 0,  -- TaskCompleted the registry took under it
    gateway_tasks   integer NOT NULL DEFAULT 0   -- tasks measured here
);

-- The latest endpoint each agent's operator registered (stream_seq orders replacements).
CREATE TABLE agent_endpoints (
    agent_id     text PRIMARY KEY,
    operator_id  text NOT NULL,
    base_url     text NOT NULL,
    stream_seq   bigint NOT NULL
);

CREATE TABLE tasks (
    task_id          text PRIMARY KEY,
    acceptance_id    text NOT NULL,
    idempotency_key  text NOT NULL,
    escrow_job_id    text,
    recorded_at      timestamptz NOT NULL,
    UNIQUE (acceptance_id, idempotency_key)
);
CREATE UNIQUE INDEX tasks_escrow_job ON tasks (escrow_job_id) WHERE escrow_job_id IS NOT NULL;
