-- The directory: tenants, API keys, users, groups and direct memberships.
-- Times are integer milliseconds since the Unix epoch; *_key columns hold the lower-cased
-- form of case-insensitive attributes, so uniqueness, filters and sorts agree on both databases.
-- Text collates as "C" (by code point), as SQLite's BINARY does, so both order alike.

CREATE TABLE tenants (
    id          UUID PRIMARY KEY NOT NULL,
    name        TEXT COLLATE "C" NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    user_seq    BIGINT NOT NULL DEFAULT 0,
    group_seq   BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE api_keys (
    id            UUID PRIMARY KEY NOT NULL,
    tenant_id     UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name          TEXT COLLATE "C" NOT NULL,
    role          TEXT COLLATE "C" NOT NULL,
    hash          BYTEA NOT NULL UNIQUE,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id, id);

CREATE TABLE users (
    id                   UUID PRIMARY KEY NOT NULL,
    tenant_id            UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    number               BIGINT NOT NULL,
    external_id          TEXT COLLATE "C",
    user_name            TEXT COLLATE "C" NOT NULL,
    user_name_key        TEXT COLLATE "C" NOT NULL,
    display_name         TEXT COLLATE "C",
    given_name           TEXT COLLATE "C",
    family_name          TEXT COLLATE "C",
    email                TEXT COLLATE "C",
    email_key            TEXT COLLATE "C",
    email_verified       BOOLEAN NOT NULL DEFAULT FALSE,
    kind                 TEXT COLLATE "C" NOT NULL,
    status               TEXT COLLATE "C" NOT NULL,
    inactive_reason      TEXT COLLATE "C",
    claims               JSONB NOT NULL DEFAULT '{}',
    unix_user_name       TEXT COLLATE "C",
    unix_home_directory  TEXT COLLATE "C",
    user_principal_name  TEXT COLLATE "C",
    domain_name          TEXT COLLATE "C",
    distinguished_name   TEXT COLLATE "C",
    guest                BOOLEAN NOT NULL DEFAULT FALSE,
    created_at           BIGINT NOT NULL,
    modified_at          BIGINT NOT NULL,
    deleted_at           BIGINT,
    version              BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_number_idx ON users (tenant_id, number);
CREATE UNIQUE INDEX users_user_name_key_idx ON users (tenant_id, user_name_key);
CREATE UNIQUE INDEX users_email_key_idx ON users (tenant_id, email_key);
CREATE UNIQUE INDEX users_external_id_idx ON users (tenant_id, external_id);
CREATE INDEX users_created_idx ON users (tenant_id, created_at, id);
CREATE INDEX users_modified_idx ON users (tenant_id, modified_at, id);
CREATE INDEX users_display_name_idx ON users (tenant_id, display_name);
CREATE INDEX users_family_name_idx ON users (tenant_id, family_name);
CREATE INDEX users_upn_idx ON users (tenant_id, lower(user_principal_name));
CREATE INDEX users_status_idx ON users (tenant_id, status);

CREATE TABLE "groups" (
    id            UUID PRIMARY KEY NOT NULL,
    tenant_id     UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    number        BIGINT NOT NULL,
    name          TEXT COLLATE "C" NOT NULL,
    name_key      TEXT COLLATE "C" NOT NULL,
    external_id   TEXT COLLATE "C",
    display_name  TEXT COLLATE "C",
    description   TEXT COLLATE "C",
    system        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT NOT NULL,
    modified_at   BIGINT NOT NULL,
    deleted_at    BIGINT,
    version       BIGINT NOT NULL
);
CREATE UNIQUE INDEX groups_number_idx ON "groups" (tenant_id, number);
CREATE UNIQUE INDEX groups_name_key_idx ON "groups" (tenant_id, name_key);
CREATE UNIQUE INDEX groups_external_id_idx ON "groups" (tenant_id, external_id);
CREATE INDEX groups_created_idx ON "groups" (tenant_id, created_at, id);

-- Direct memberships only; indirect ones are computed with recursive queries.
CREATE TABLE group_users (
    tenant_id   UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    group_id    UUID NOT NULL REFERENCES "groups" (id) ON DELETE CASCADE,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_users_user_idx ON group_users (user_id);

CREATE TABLE group_groups (
    tenant_id   UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    parent_id   UUID NOT NULL REFERENCES "groups" (id) ON DELETE CASCADE,
    child_id    UUID NOT NULL REFERENCES "groups" (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (parent_id, child_id),
    CHECK (parent_id <> child_id)
);
CREATE INDEX group_groups_child_idx ON group_groups (child_id);

-- Claims are searched by path; a GIN index serves containment lookups.
CREATE INDEX users_claims_idx ON users USING GIN (claims jsonb_path_ops);
