-- Outbox values (signed events, often a few KiB) are compressed with lz4 instead of the default
-- pglz when PostgreSQL moves them to TOAST: about a third of pglz's CPU time per row here
-- (docs/messaging.md, "Figures"). A server built without lz4 keeps pglz.
DO $$
BEGIN
    ALTER TABLE outbox ALTER COLUMN value SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 is not available on this server: outbox values stay pglz-compressed';
END $$;
