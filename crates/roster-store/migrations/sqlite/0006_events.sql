-- The audit trail. `seq` numbers events in commit order (SQLite has one writer), which the
-- export stream follows; pages follow (recorded_at, seq). `search` holds the event's words as
-- the core tokenises them; the FTS5 index over it is kept by triggers and stores no text of its own.
CREATE TABLE events (
    seq                INTEGER PRIMARY KEY NOT NULL,
    txid               INTEGER NOT NULL DEFAULT 0,
    id                 BLOB NOT NULL UNIQUE,
    tenant_id          BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    correlation_id     TEXT NOT NULL,
    correlation_key    TEXT NOT NULL,
    service            TEXT NOT NULL,
    event_type         TEXT NOT NULL,
    outcome            TEXT NOT NULL,
    actor_type         TEXT NOT NULL,
    actor_id           TEXT NOT NULL,
    actor_name         TEXT NOT NULL,
    actor_name_key     TEXT NOT NULL,
    actor_display_id   TEXT NOT NULL,
    actor_display_key  TEXT NOT NULL,
    actor_tenant_id    BLOB NOT NULL,
    impersonator_type  TEXT,
    impersonator_id    BLOB,
    occurred_at        INTEGER NOT NULL,
    recorded_at        INTEGER NOT NULL,
    attested           INTEGER NOT NULL,
    ip                 TEXT,
    user_agent         TEXT,
    data               TEXT NOT NULL,
    search             TEXT NOT NULL
);
CREATE INDEX events_recorded_idx ON events (tenant_id, recorded_at, seq);
CREATE INDEX events_type_idx ON events (tenant_id, event_type, recorded_at, seq);
CREATE INDEX events_outcome_idx ON events (tenant_id, outcome, recorded_at, seq);
CREATE INDEX events_service_idx ON events (tenant_id, service, recorded_at, seq);
CREATE INDEX events_actor_id_idx ON events (tenant_id, actor_id);
CREATE INDEX events_actor_name_idx ON events (tenant_id, actor_name_key);
CREATE INDEX events_actor_display_idx ON events (tenant_id, actor_display_key);
CREATE INDEX events_correlation_idx ON events (tenant_id, correlation_key);
-- Retention removes the oldest events of every tenant.
CREATE INDEX events_age_idx ON events (recorded_at);

CREATE VIRTUAL TABLE events_fts USING fts5 (search, content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 0');
CREATE TRIGGER events_fts_insert AFTER INSERT ON events BEGIN
    INSERT INTO events_fts (rowid, search) VALUES (new.seq, new.search);
END;
CREATE TRIGGER events_fts_delete AFTER DELETE ON events BEGIN
    DELETE FROM events_fts WHERE rowid = old.seq;
END;
