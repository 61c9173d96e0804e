-- Evidence (issue 10): where each agent answers (the gateway calls only registered endpoints),
-- how each reported task's measurements were obtained, and providers' disputes of buyer-only
-- reports. Gateway-measured tasks are the gateway's own and never stored here.

CREATE TABLE agent_endpoints (
    agent_id       text PRIMARY KEY REFERENCES agents,
    base_url       text NOT NULL,
    registered_at  timestamptz NOT NULL
);

ALTER TABLE tasks ADD COLUMN provenance text NOT NULL DEFAULT 'buyer_only'
    CHECK (provenance IN ('countersigned', 'buyer_only'));

CREATE TABLE task_disputes (
    task_id      text PRIMARY KEY REFERENCES tasks,
    disputed_by  text NOT NULL,
    reason       text NOT NULL,
    disputed_at  timestamptz NOT NULL
);
