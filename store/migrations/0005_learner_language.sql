-- The code language a learner reads lesson steps in (python, go,
-- javascript, csharp; '' = the lesson's first).
ALTER TABLE learners ADD COLUMN code_language TEXT NOT NULL DEFAULT '';
