-- The directory: tenants, API keys, users, groups and direct memberships.
-- Times are integer milliseconds since the Unix epoch; *_key columns hold the lower-cased
-- form of case-insensitive attributes, so uniqueness, filters and sorts agree on both databases.

CREATE TABLE tenants (
    id          BLOB PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    user_seq    INTEGER NOT NULL DEFAULT 0,
    group_seq   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE api_keys (
    id            BLOB PRIMARY KEY NOT NULL,
    tenant_id     BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    hash          BLOB NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER,
    last_used_at  INTEGER,
    revoked_at    INTEGER
);
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id, id);

CREATE TABLE users (
    id                   BLOB PRIMARY KEY NOT NULL,
    tenant_id            BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    number               INTEGER NOT NULL,
    external_id          TEXT,
    user_name            TEXT NOT NULL,
    user_name_key        TEXT NOT NULL,
    display_name         TEXT,
    given_name           TEXT,
    family_name          TEXT,
    email                TEXT,
    email_key            TEXT,
    email_verified       BOOLEAN NOT NULL DEFAULT FALSE,
    kind                 TEXT NOT NULL,
    status               TEXT NOT NULL,
    inactive_reason      TEXT,
    claims               TEXT NOT NULL DEFAULT '{}',
    unix_user_name       TEXT,
    unix_home_directory  TEXT,
    user_principal_name  TEXT,
    domain_name          TEXT,
    distinguished_name   TEXT,
    guest                BOOLEAN NOT NULL DEFAULT FALSE,
    created_at           INTEGER NOT NULL,
    modified_at          INTEGER NOT NULL,
    deleted_at           INTEGER,
    version              INTEGER NOT NULL
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
    id            BLOB PRIMARY KEY NOT NULL,
    tenant_id     BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    number        INTEGER NOT NULL,
    name          TEXT NOT NULL,
    name_key      TEXT NOT NULL,
    external_id   TEXT,
    display_name  TEXT,
    description   TEXT,
    system        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    INTEGER NOT NULL,
    modified_at   INTEGER NOT NULL,
    deleted_at    INTEGER,
    version       INTEGER NOT NULL
);
CREATE UNIQUE INDEX groups_number_idx ON "groups" (tenant_id, number);
CREATE UNIQUE INDEX groups_name_key_idx ON "groups" (tenant_id, name_key);
CREATE UNIQUE INDEX groups_external_id_idx ON "groups" (tenant_id, external_id);
CREATE INDEX groups_created_idx ON "groups" (tenant_id, created_at, id);

-- Direct memberships only; indirect ones are computed with recursive queries.
CREATE TABLE group_users (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    group_id    BLOB NOT NULL REFERENCES "groups" (id) ON DELETE CASCADE,
    user_id     BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_users_user_idx ON group_users (user_id);

CREATE TABLE group_groups (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    parent_id   BLOB NOT NULL REFERENCES "groups" (id) ON DELETE CASCADE,
    child_id    BLOB NOT NULL REFERENCES "groups" (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (parent_id, child_id),
    CHECK (parent_id <> child_id)
);
CREATE INDEX group_groups_child_idx ON group_groups (child_id);
