-- The lesson player's run of one lesson in one sandbox: a marker per step
-- run (a step that sent nothing has one too), each step's last result and
-- where the code runs. With it a restarted server redraws the diagram as the
-- learner left it and does not apply the lesson's setup a second time. The
-- data is the web layer's JSON; the store does not look inside.
CREATE TABLE lesson_runs (
    sandbox_id TEXT    NOT NULL REFERENCES sandboxes(id) ON DELETE CASCADE,
    lesson_id  TEXT    NOT NULL,
    updated_at INTEGER NOT NULL,
    data       BLOB    NOT NULL,
    PRIMARY KEY (sandbox_id, lesson_id)
) STRICT;
