-- API keys as the registry announces them (ApiKeyIssued / ApiKeyRevoked, never the key itself),
-- so the read API authenticates callers without asking the registry; the table is
-- pactline_identities.known_keys.KNOWN_KEYS_TABLE, verbatim.
CREATE TABLE api_keys (
    key_id        text PRIMARY KEY,
    principal_id  text NOT NULL,
    role          text NOT NULL,
    scopes        text[] NOT NULL,
    key_hmac      char(64),             -- null while only the key's revocation has been seen
    revoked       boolean NOT NULL DEFAULT false
);

-- Providers' disputes of buyer-only reports (TaskDisputed). 'pending': received, the verdict not
-- out yet; 'applied': the verdict counted it; 'after_verdict': it came (or is dated) after the
-- verdict, which stands (docs/evaluation.md, "Disputes").
CREATE TABLE disputes (
    task_id      text PRIMARY KEY,
    event_id     uuid NOT NULL,
    disputed_at  timestamptz NOT NULL,   -- the TaskDisputed event's time
    disputed_by  text NOT NULL,
    disposition  text NOT NULL CHECK (disposition IN ('pending', 'applied', 'after_verdict'))
);
