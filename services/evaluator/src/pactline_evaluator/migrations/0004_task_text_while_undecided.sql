-- A task's stored text (its TaskCompleted payload) is read only to decide it later: when its
-- acceptance arrives (parked) or when the jury answers or the deadline passes (awaiting_jury).
-- A decided task keeps none: the text goes with the decision, and a task decided on arrival
-- never stores it. Its event stays on the log, and the verdict carries the output's digest.
ALTER TABLE evaluations ALTER COLUMN task DROP NOT NULL;
ALTER TABLE evaluations ADD CONSTRAINT evaluations_text_while_undecided
    CHECK ((status = 'decided') = (task IS NULL)) NOT VALID;
