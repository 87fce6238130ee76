-- Change records on top of a sandbox's stored world (queue messages): a
-- queue operation stores what it changed, not the whole world. world_seq is
-- the sequence number the stored world includes every change up to; a
-- restore applies the records after it in order. Storing the world again
-- deletes the records it includes.
ALTER TABLE sandboxes ADD COLUMN world_seq INTEGER NOT NULL DEFAULT 0;
CREATE TABLE world_changes (
    sandbox_id TEXT    NOT NULL REFERENCES sandboxes(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    data       BLOB    NOT NULL,
    PRIMARY KEY (sandbox_id, seq)
) STRICT, WITHOUT ROWID;
