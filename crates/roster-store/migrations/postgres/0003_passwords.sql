-- Passwords: each tenant's policy (JSON; NULL means the defaults), and each user's password
-- hashes, newest last: the newest is the password, the ones before it are the history.
ALTER TABLE tenants ADD COLUMN password_policy TEXT COLLATE "C";
ALTER TABLE users ADD COLUMN password_must_change BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN password_changed_at BIGINT;

CREATE TABLE user_passwords (
    id          UUID PRIMARY KEY NOT NULL,
    tenant_id   UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hash        TEXT COLLATE "C" NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX user_passwords_user_idx ON user_passwords (user_id, created_at);
