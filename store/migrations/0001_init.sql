-- Learners are anonymous: a session cookie identifies them, and only the
-- SHA-256 of that cookie is kept so a stolen database cannot be replayed.
CREATE TABLE learners (
    id           TEXT    PRIMARY KEY,
    session_hash BLOB    NOT NULL UNIQUE,
    display_name TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL
) STRICT;

-- The world blob is the last column so metadata reads (every API request
-- looks a sandbox up by its access key) never touch its overflow pages.
CREATE TABLE sandboxes (
    id              TEXT    PRIMARY KEY,
    learner_id      TEXT    REFERENCES learners(id) ON DELETE CASCADE,
    access_key      TEXT    NOT NULL,
    access_key_hash BLOB    NOT NULL UNIQUE,
    scenario        TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    world           BLOB    NOT NULL
) STRICT;
CREATE INDEX sandboxes_by_learner ON sandboxes(learner_id, created_at);

-- Progress is per learner, lesson and sandbox (a lesson may be done in
-- several sandboxes); sandbox_id NULL means "not tied to a sandbox".
CREATE TABLE progress (
    learner_id TEXT    NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
    lesson_id  TEXT    NOT NULL,
    sandbox_id TEXT    REFERENCES sandboxes(id) ON DELETE CASCADE,
    steps_done TEXT    NOT NULL DEFAULT '[]',
    goal_met   INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX progress_key ON progress(learner_id, lesson_id, ifnull(sandbox_id, ''));
CREATE INDEX progress_by_sandbox ON progress(sandbox_id);

-- The last sequence number a sandbox's trace had when it was cleared, so
-- numbers are never reused. While exchanges exist the newest one is the
-- head; this row is only written by ClearExchanges, keeping appends cheap.
CREATE TABLE trace_heads (
    sandbox_id TEXT    PRIMARY KEY REFERENCES sandboxes(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- A rowid table (rows are kilobytes of JSON) with an index on (sandbox_id,
-- seq) that serves the ordered read, the trim and the cascade.
CREATE TABLE exchanges (
    sandbox_id TEXT    NOT NULL REFERENCES sandboxes(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    data       BLOB    NOT NULL
) STRICT;
CREATE UNIQUE INDEX exchanges_by_seq ON exchanges(sandbox_id, seq);

-- Settings the program writes at start-up for the schema to use.
CREATE TABLE settings (
    name  TEXT    PRIMARY KEY,
    value INTEGER NOT NULL
) STRICT;

-- Keep the newest trace_limit exchanges per sandbox. Sequence numbers are
-- dense, so the old ones are a range on exchanges_by_seq; doing it in the
-- insert's own statement keeps an append to one statement and one commit.
-- Without the setting (NULL) nothing is trimmed.
CREATE TRIGGER exchanges_trim AFTER INSERT ON exchanges BEGIN
    DELETE FROM exchanges
    WHERE sandbox_id = NEW.sandbox_id
      AND seq <= NEW.seq - (SELECT value FROM settings WHERE name = 'trace_limit');
END;

CREATE TABLE secrets (
    name       TEXT    PRIMARY KEY,
    value      BLOB    NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
