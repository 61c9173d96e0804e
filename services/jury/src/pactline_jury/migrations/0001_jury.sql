-- The jury's own state: requests waiting for a panel, deliberations (one per request), every
-- judgment with its raw reply, and calibration results (which decide who is benched).
-- Request and deliberation payloads are the canonical JSON bytes of the events (bytea: JSON
-- text may hold \u0000, which text and jsonb columns cannot); raw replies are UTF-8 bytes.

CREATE TABLE requests (
    request_id      text PRIMARY KEY,
    task_id         text NOT NULL,
    event_id        uuid NOT NULL,
    correlation_id  uuid NOT NULL,
    payload         bytea NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'decided')),
    attempts        integer NOT NULL DEFAULT 0,
    lease_until     timestamptz,
    last_error      text,
    received_at     timestamptz NOT NULL,
    decided_at      timestamptz
);
CREATE INDEX requests_pending ON requests (received_at) WHERE status = 'pending';

-- At most one deliberation per request: the primary key is what makes JuryDeliberated unique.
CREATE TABLE deliberations (
    request_id      text PRIMARY KEY REFERENCES requests,
    event_id        uuid NOT NULL UNIQUE,
    panel_version   text NOT NULL,
    fence_token     text,
    canary          text,
    payload         bytea NOT NULL,
    flagged         boolean NOT NULL,
    simulated       boolean NOT NULL,
    cost_micro_usd  bigint NOT NULL CHECK (cost_micro_usd >= 0),
    wall_ms         integer,
    decided_at      timestamptz NOT NULL
);

CREATE TABLE clause_results (
    request_id   text NOT NULL REFERENCES deliberations,
    clause_id    text NOT NULL,
    outcome      text NOT NULL CHECK (outcome IN ('PASS', 'FAIL', 'INCONCLUSIVE')),
    score        numeric,
    agreement    numeric,
    reason       text,
    PRIMARY KEY (request_id, clause_id)
);

CREATE TABLE judgments (
    request_id         text NOT NULL REFERENCES deliberations,
    clause_id          text NOT NULL,
    judge_id           text NOT NULL,
    model              text NOT NULL,
    family             text NOT NULL,
    prompt_hash        char(64) NOT NULL,
    raw_reply          bytea,
    reply_digest       char(64),
    verdict            text CHECK (verdict IN ('PASS', 'FAIL')),
    score              text,
    valid              boolean NOT NULL,
    flags              text[] NOT NULL,
    latency_ms         integer NOT NULL CHECK (latency_ms >= 0),
    prompt_tokens      integer NOT NULL,
    completion_tokens  integer NOT NULL,
    cost_micro_usd     bigint NOT NULL CHECK (cost_micro_usd >= 0),
    simulated          boolean NOT NULL,
    PRIMARY KEY (request_id, clause_id, judge_id)
);

-- Append-only: a judge's latest calibration of its current model decides whether it sits.
CREATE TABLE calibrations (
    calibration_id  bigserial PRIMARY KEY,
    judge_id        text NOT NULL,
    model           text NOT NULL,
    set_digest      char(64) NOT NULL,
    items           integer NOT NULL,
    accuracy        text NOT NULL,
    kappa           text NOT NULL,
    min_kappa       text NOT NULL,
    benched         boolean NOT NULL,
    simulated       boolean NOT NULL,
    calibrated_at   timestamptz NOT NULL
);
CREATE INDEX calibrations_latest ON calibrations (judge_id, calibration_id DESC);
