-- Projections are pure folds: the folded state of each key, and the last stream_seq folded
-- from each stream (so an exact redelivery later in the log is skipped). Both are written in
-- the same transaction as the projection's derived rows and its checkpoints.
CREATE TABLE projection_states (
    projection  text NOT NULL,
    key         text NOT NULL,
    state       jsonb NOT NULL,
    PRIMARY KEY (projection, key)
);

CREATE TABLE projection_streams (
    projection  text NOT NULL,
    stream_id   text NOT NULL,
    last_seq    bigint NOT NULL CHECK (last_seq >= 1),
    PRIMARY KEY (projection, stream_id)
);
