-- Instructors sign in with a one-time link; only the SHA-256 of the link's
-- token and of the browser session it turns into are kept. Removing an
-- instructor clears both (the link and every signed-in browser stop
-- working) and keeps the row, so their workshops' progress stays.
CREATE TABLE instructors (
    id           TEXT    PRIMARY KEY,
    name         TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    link_hash    BLOB    UNIQUE,
    session_hash BLOB    UNIQUE,
    created_at   INTEGER NOT NULL,
    removed_at   INTEGER
) STRICT;

-- A workshop: lessons in order (a JSON array of lesson IDs), one scenario
-- for every learner's sandbox, a short join code that works while the
-- workshop is open.
CREATE TABLE workshops (
    id                 TEXT    PRIMARY KEY,
    instructor_id      TEXT    NOT NULL REFERENCES instructors(id),
    title              TEXT    NOT NULL,
    lessons            TEXT    NOT NULL,
    scenario           TEXT    NOT NULL,
    join_code          TEXT    NOT NULL UNIQUE,
    stuck_after_secs   INTEGER NOT NULL,
    ends_at            INTEGER,
    ended_at           INTEGER,
    current_lesson     TEXT    NOT NULL DEFAULT '',
    presenter_sandbox  TEXT    REFERENCES sandboxes(id) ON DELETE SET NULL,
    created_at         INTEGER NOT NULL
) STRICT;
CREATE INDEX workshops_by_instructor ON workshops(instructor_id, created_at);

-- A learner in a workshop, under a display name unique in it. The sandbox
-- goes when the workshop ends (SET NULL); the member and its events stay.
CREATE TABLE workshop_members (
    id           TEXT    PRIMARY KEY,
    workshop_id  TEXT    NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
    learner_id   TEXT    NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
    display_name TEXT    NOT NULL,
    sandbox_id   TEXT    REFERENCES sandboxes(id) ON DELETE SET NULL,
    joined_at    INTEGER NOT NULL,
    UNIQUE (workshop_id, learner_id),
    UNIQUE (workshop_id, display_name COLLATE NOCASE)
) STRICT;
CREATE INDEX workshop_members_by_sandbox ON workshop_members(sandbox_id);

-- What each member did, in order: the dashboard is rebuilt from these after
-- a restart and the CSV export lists them.
CREATE TABLE progress_events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    workshop_id TEXT    NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
    member_id   TEXT    NOT NULL REFERENCES workshop_members(id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    lesson_id   TEXT    NOT NULL DEFAULT '',
    step_id     TEXT    NOT NULL DEFAULT '',
    ok          INTEGER NOT NULL DEFAULT 0,
    goal_met    INTEGER NOT NULL DEFAULT 0,
    outcome     TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX progress_events_by_workshop ON progress_events(workshop_id, seq);
