-- The audit trail: security-relevant events in a hash chain. Each event's hash covers
-- the previous event's hash and its own fields, so an edited, deleted, inserted or
-- reordered event breaks the chain (`kho audit verify`). audit_head holds the last
-- sequence number and hash; taking it (UPDATE … RETURNING) serializes appends across
-- processes.
CREATE TABLE audit_log (
    seq         BIGINT PRIMARY KEY,
    at          BIGINT NOT NULL,           -- Unix milliseconds
    actor       TEXT NOT NULL,              -- account, token or requester id; '-' for the system
    action      TEXT NOT NULL,              -- sign_in, upload, review_approve, …
    subject     TEXT NOT NULL,              -- what it acted on (document, scan, grant, key …)
    detail      TEXT NOT NULL,              -- JSON
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);

CREATE TABLE audit_head (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    seq         BIGINT NOT NULL,
    hash        TEXT NOT NULL
);

INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
