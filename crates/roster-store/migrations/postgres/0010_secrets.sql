-- The secrets safe: values sealed with the server's secret key, and the users who own them. A
-- user's shares go with the user; a secret's last owner cannot be removed or deleted.
CREATE TABLE secrets (
    id            UUID PRIMARY KEY NOT NULL,
    tenant_id     UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name          TEXT COLLATE "C" NOT NULL,
    name_key      TEXT COLLATE "C" NOT NULL,
    description   TEXT COLLATE "C",
    sealed_value  BYTEA NOT NULL,
    created_at    BIGINT NOT NULL,
    modified_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX secrets_name_key_idx ON secrets (tenant_id, name_key);

CREATE TABLE secret_owners (
    secret_id   UUID NOT NULL REFERENCES secrets (id) ON DELETE CASCADE,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id   UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (secret_id, user_id)
);
CREATE INDEX secret_owners_user_idx ON secret_owners (user_id);
