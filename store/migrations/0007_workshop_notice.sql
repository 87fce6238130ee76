-- The instructor's last message to the class, shown on every learner's
-- page: kept so a restarted server still shows it.
ALTER TABLE workshops ADD COLUMN notice TEXT NOT NULL DEFAULT '';
ALTER TABLE workshops ADD COLUMN notice_at INTEGER;

-- The scheduler's question: which running workshops are past their end
-- time.
CREATE INDEX workshops_due ON workshops(ends_at) WHERE ended_at IS NULL AND ends_at IS NOT NULL;
