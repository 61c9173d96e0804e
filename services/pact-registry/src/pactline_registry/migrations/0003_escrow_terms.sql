-- Issue 9: the registry checks escrow on chain against what an acceptance agreed to, so an
-- acceptance keeps the provider's address it was accepted with (PactAccepted carries it too);
-- and an operator decides, each time it publishes a version, whether earlier versions of the
-- pact may still be accepted (by default they may not).

ALTER TABLE acceptances ADD COLUMN provider_address text;
UPDATE acceptances a SET provider_address = ag.operator_address FROM agents ag WHERE ag.agent_id = a.agent_id;
ALTER TABLE acceptances ALTER COLUMN provider_address SET NOT NULL;

ALTER TABLE pacts ADD COLUMN superseded_acceptable boolean NOT NULL DEFAULT false;
