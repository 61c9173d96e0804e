-- 0004 added its check NOT VALID: rows decided before it may still hold their task's text,
-- which nothing reads again. Drop that text, then validate the check, so it holds for every row.
UPDATE evaluations SET task = NULL WHERE status = 'decided' AND task IS NOT NULL;
ALTER TABLE evaluations VALIDATE CONSTRAINT evaluations_text_while_undecided;
