-- The evaluator's own copy of what it needs: acceptances (with their pact), tasks under
-- evaluation, what the jury said, and the verdicts it issued. Payloads are stored as the
-- canonical JSON text they arrived as, so a re-decision reads exactly the same inputs.

CREATE TABLE acceptances (
    acceptance_id  text PRIMARY KEY,
    buyer_id       text NOT NULL,
    operator_id    text NOT NULL,
    pact           text NOT NULL,          -- the PactAccepted payload
    accepted_at    timestamptz NOT NULL,   -- the event's time
    revoked_at     timestamptz,
    revoked_by     text
);

-- One row per task. 'parked': its acceptance has not arrived yet; 'awaiting_jury': the jury
-- was asked and the deadline runs; 'decided': the verdict is out.
CREATE TABLE evaluations (
    task_id              text PRIMARY KEY,
    acceptance_id        text NOT NULL,
    task                 text NOT NULL,        -- the TaskCompleted payload
    task_event_id        uuid NOT NULL,
    task_correlation_id  uuid NOT NULL,
    completed_at         timestamptz NOT NULL, -- the TaskCompleted event's time
    status               text NOT NULL CHECK (status IN ('parked', 'awaiting_jury', 'decided')),
    deadline             timestamptz,
    received_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX evaluations_parked ON evaluations (acceptance_id) WHERE status = 'parked';
CREATE INDEX evaluations_awaiting ON evaluations (deadline) WHERE status = 'awaiting_jury';

-- Every JuryDeliberated seen, kept even when late or unmatched (evidence).
CREATE TABLE jury_answers (
    event_id        uuid PRIMARY KEY,
    task_id         text NOT NULL,
    request_id      text NOT NULL,
    correlation_id  uuid NOT NULL,
    answered_at     timestamptz NOT NULL,      -- the event's time
    payload         text NOT NULL,
    disposition     text NOT NULL CHECK (disposition IN ('pending', 'used', 'late', 'ignored'))
);
CREATE INDEX jury_answers_task ON jury_answers (task_id);

-- At most one verdict per task, whatever is redelivered.
CREATE TABLE verdicts (
    task_id        text PRIMARY KEY,
    verdict_id     text NOT NULL UNIQUE,
    acceptance_id  text NOT NULL,
    outcome        text NOT NULL,
    event_id       uuid NOT NULL UNIQUE,
    occurred_at    timestamptz NOT NULL,
    payload        text NOT NULL
);
