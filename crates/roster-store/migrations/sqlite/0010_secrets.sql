-- The secrets safe: values sealed with the server's secret key, and the users who own them. A
-- user's shares go with the user; a secret's last owner cannot be removed or deleted.
CREATE TABLE secrets (
    id            BLOB PRIMARY KEY NOT NULL,
    tenant_id     BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    name_key      TEXT NOT NULL,
    description   TEXT,
    sealed_value  BLOB NOT NULL,
    created_at    INTEGER NOT NULL,
    modified_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX secrets_name_key_idx ON secrets (tenant_id, name_key);

CREATE TABLE secret_owners (
    secret_id   BLOB NOT NULL REFERENCES secrets (id) ON DELETE CASCADE,
    user_id     BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (secret_id, user_id)
);
CREATE INDEX secret_owners_user_idx ON secret_owners (user_id);
