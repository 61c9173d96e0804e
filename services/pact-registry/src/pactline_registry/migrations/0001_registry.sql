-- The registry's own state: principals and their API keys, agents, pacts, acceptances, tasks.
-- Every list is paged by the bigserial `seq` (the cursor). Documents and task bodies are kept
-- as the canonical JSON bytes the events carry (bytea: JSON text may hold \u0000, jsonb may not).

CREATE TABLE principals (
    seq           bigserial UNIQUE,
    principal_id  text PRIMARY KEY,
    role          text NOT NULL CHECK (role IN ('admin', 'operator', 'buyer', 'auditor')),
    name          text NOT NULL,
    address       text,
    created_at    timestamptz NOT NULL
);

-- Only a keyed hash of each key is stored; the key itself is shown once, at creation.
CREATE TABLE api_keys (
    seq           bigserial UNIQUE,
    key_id        text PRIMARY KEY,
    principal_id  text NOT NULL REFERENCES principals,
    key_hash      char(64) NOT NULL,
    scopes        text[] NOT NULL,
    label         text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    revoked_at    timestamptz
);

CREATE TABLE agents (
    seq               bigserial UNIQUE,
    agent_id          text PRIMARY KEY,
    name              text NOT NULL,
    operator_id       text NOT NULL REFERENCES principals,
    operator_address  text NOT NULL,
    model_family      text NOT NULL,
    registered_at     timestamptz NOT NULL
);
CREATE INDEX agents_operator ON agents (operator_id, seq);

-- A pact is an agent's named commitment; each published version is immutable.
CREATE TABLE pacts (
    seq           bigserial UNIQUE,
    pact_id       text PRIMARY KEY,
    agent_id      text NOT NULL REFERENCES agents,
    operator_id   text NOT NULL,
    name          text NOT NULL,
    created_at    timestamptz NOT NULL,
    UNIQUE (agent_id, name)
);

CREATE TABLE pact_versions (
    pact_id       text NOT NULL REFERENCES pacts,
    version       integer NOT NULL,
    pact_hash     char(64) NOT NULL,
    document      bytea NOT NULL,
    published_at  timestamptz NOT NULL,
    PRIMARY KEY (pact_id, version)
);

CREATE TABLE acceptances (
    seq             bigserial UNIQUE,
    acceptance_id   text PRIMARY KEY,
    pact_id         text NOT NULL,
    pact_version    integer NOT NULL,
    pact_hash       char(64) NOT NULL,
    agent_id        text NOT NULL,
    operator_id     text NOT NULL,
    buyer_id        text NOT NULL REFERENCES principals,
    buyer_address   text NOT NULL,
    mode            text NOT NULL CHECK (mode IN ('per_task', 'aggregate')),
    price_per_task  bigint NOT NULL CHECK (price_per_task >= 0),
    pool_size       bigint CHECK (pool_size >= 0),
    max_tasks       integer,
    accepted_at     timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    tasks_count     integer NOT NULL DEFAULT 0,
    revoked_at      timestamptz,
    revoked_by      text,
    revoke_reason   text,
    FOREIGN KEY (pact_id, pact_version) REFERENCES pact_versions
);
CREATE INDEX acceptances_buyer ON acceptances (buyer_id, seq);
CREATE INDEX acceptances_operator ON acceptances (operator_id, seq);

CREATE TABLE tasks (
    seq              bigserial UNIQUE,
    task_id          text PRIMARY KEY,
    acceptance_id    text NOT NULL REFERENCES acceptances,
    idempotency_key  text NOT NULL,
    request_digest   char(64) NOT NULL,
    escrow_job_id    text,
    payload          bytea NOT NULL,
    submitted_at     timestamptz NOT NULL,
    UNIQUE (acceptance_id, idempotency_key)
);
-- An on-chain job pays for one task only.
CREATE UNIQUE INDEX tasks_escrow_job ON tasks (escrow_job_id) WHERE escrow_job_id IS NOT NULL;
CREATE INDEX tasks_acceptance ON tasks (acceptance_id, seq);
