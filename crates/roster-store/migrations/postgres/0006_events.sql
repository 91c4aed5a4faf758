-- The audit trail. `txid` is the writing transaction, so the export stream can hold back events
-- of transactions older ones may still commit before (see the store); pages follow
-- (recorded_at, seq). `search` holds the event's words as the core tokenises them, indexed for
-- full-text search with the `simple` configuration (no stemming, as on SQLite).
CREATE TABLE events (
    seq                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    txid               BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    id                 UUID NOT NULL UNIQUE,
    tenant_id          UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    correlation_id     TEXT COLLATE "C" NOT NULL,
    correlation_key    TEXT COLLATE "C" NOT NULL,
    service            TEXT COLLATE "C" NOT NULL,
    event_type         TEXT COLLATE "C" NOT NULL,
    outcome            TEXT COLLATE "C" NOT NULL,
    actor_type         TEXT COLLATE "C" NOT NULL,
    actor_id           TEXT COLLATE "C" NOT NULL,
    actor_name         TEXT COLLATE "C" NOT NULL,
    actor_name_key     TEXT COLLATE "C" NOT NULL,
    actor_display_id   TEXT COLLATE "C" NOT NULL,
    actor_display_key  TEXT COLLATE "C" NOT NULL,
    actor_tenant_id    UUID NOT NULL,
    impersonator_type  TEXT COLLATE "C",
    impersonator_id    UUID,
    occurred_at        BIGINT NOT NULL,
    recorded_at        BIGINT NOT NULL,
    attested           BOOLEAN NOT NULL,
    ip                 TEXT COLLATE "C",
    user_agent         TEXT COLLATE "C",
    data               TEXT COLLATE "C" NOT NULL,
    search             TEXT COLLATE "C" NOT NULL
);
CREATE INDEX events_recorded_idx ON events (tenant_id, recorded_at, seq);
CREATE INDEX events_type_idx ON events (tenant_id, event_type, recorded_at, seq);
CREATE INDEX events_outcome_idx ON events (tenant_id, outcome, recorded_at, seq);
CREATE INDEX events_service_idx ON events (tenant_id, service, recorded_at, seq);
CREATE INDEX events_actor_id_idx ON events (tenant_id, actor_id);
CREATE INDEX events_actor_name_idx ON events (tenant_id, actor_name_key);
CREATE INDEX events_actor_display_idx ON events (tenant_id, actor_display_key);
CREATE INDEX events_correlation_idx ON events (tenant_id, correlation_key);
CREATE INDEX events_age_idx ON events (recorded_at);
CREATE INDEX events_stream_idx ON events (tenant_id, txid, seq);
CREATE INDEX events_search_idx ON events USING GIN (to_tsvector('simple', search));
