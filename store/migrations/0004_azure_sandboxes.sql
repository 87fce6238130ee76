-- Real-mode sandboxes: where each one's Azure resources are and how far
-- provisioning or deletion got (the azure package's JSON). Not tied to the
-- sandboxes table: a deleted sandbox stays here until Azure confirms its
-- resource group and app registration are gone.
CREATE TABLE azure_sandboxes (
    id         TEXT    PRIMARY KEY,
    updated_at INTEGER NOT NULL,
    data       BLOB    NOT NULL
) STRICT;
