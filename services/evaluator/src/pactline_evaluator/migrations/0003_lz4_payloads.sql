-- Stored payloads (a verdict is a few KiB, a task's output up to 256 KiB) are compressed with
-- lz4 instead of the default pglz when PostgreSQL moves them to TOAST: about a third of pglz's
-- CPU time per row. A server built without lz4 keeps pglz.
DO $$
BEGIN
    ALTER TABLE verdicts ALTER COLUMN payload SET COMPRESSION lz4;
    ALTER TABLE evaluations ALTER COLUMN task SET COMPRESSION lz4;
    ALTER TABLE jury_answers ALTER COLUMN payload SET COMPRESSION lz4;
    ALTER TABLE acceptances ALTER COLUMN pact SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 is not available on this server: payloads stay pglz-compressed';
END $$;
