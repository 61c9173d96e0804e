-- Exactly-once plumbing shared by every service, created in the service's own schema.

-- Head of each event stream this service writes: the next event gets last_seq + 1 and
-- prev_hash = last_hash. Locked FOR UPDATE while appending, so a stream never forks.
CREATE TABLE event_streams (
    stream_id  text PRIMARY KEY,
    last_seq   bigint NOT NULL CHECK (last_seq >= 0),
    last_hash  char(64) NOT NULL
);

-- Events written in the same transaction as the state change that caused them; the relay
-- publishes them in id order and stamps published_at. Rows are kept: they are this service's
-- own copy of what it said.
CREATE TABLE outbox (
    id            bigserial PRIMARY KEY,
    event_id      uuid NOT NULL UNIQUE,
    event_type    text NOT NULL,
    stream_id     text NOT NULL,
    stream_seq    bigint NOT NULL,
    topic         text NOT NULL,
    value         bytea NOT NULL,
    headers       jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz,
    UNIQUE (stream_id, stream_seq)
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;

-- Inbox: one row per (consumer, event) whose effect is committed. Written in the same
-- transaction as the effect, so a redelivered event finds its row and does nothing.
CREATE TABLE processed_events (
    consumer      text NOT NULL,
    event_id      uuid NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

-- Projection positions, saved in the same transaction as the projection's rows. The offset
-- is the next one to read.
CREATE TABLE projection_checkpoints (
    projection   text NOT NULL,
    topic        text NOT NULL,
    partition    integer NOT NULL,
    next_offset  bigint NOT NULL CHECK (next_offset >= 0),
    PRIMARY KEY (projection, topic, partition)
);
