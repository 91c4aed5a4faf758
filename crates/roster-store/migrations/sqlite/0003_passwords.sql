-- Passwords: each tenant's policy (JSON; NULL means the defaults), and each user's password
-- hashes, newest last: the newest is the password, the ones before it are the history.
ALTER TABLE tenants ADD COLUMN password_policy TEXT;
ALTER TABLE users ADD COLUMN password_must_change BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN password_changed_at INTEGER;

CREATE TABLE user_passwords (
    id          BLOB PRIMARY KEY NOT NULL,
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id     BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hash        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX user_passwords_user_idx ON user_passwords (user_id, created_at);
