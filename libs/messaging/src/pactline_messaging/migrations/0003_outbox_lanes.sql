-- Relay lanes: every stream belongs to one of 16 lanes, a relay claims whole lanes (FOR UPDATE
-- SKIP LOCKED on outbox_lanes) and publishes only rows of the lanes it holds, so several relays
-- can run and one stream's rows are always sent by one relay at a time, in order.
-- lane = low 4 bits of the first byte of MD5(stream_id as UTF-8): stable across PostgreSQL
-- versions and recomputable anywhere (docs/messaging.md).
ALTER TABLE outbox ADD COLUMN lane smallint NOT NULL
    GENERATED ALWAYS AS ((get_byte(decode(md5(stream_id), 'hex'), 0) & 15)::smallint) STORED;

CREATE TABLE outbox_lanes (lane smallint PRIMARY KEY CHECK (lane BETWEEN 0 AND 15));
INSERT INTO outbox_lanes (lane) SELECT generate_series(0, 15);

DROP INDEX outbox_unpublished;
CREATE INDEX outbox_unpublished ON outbox (lane, id) WHERE published_at IS NULL;
