-- Mail and enrollment: one-time tokens (stored as SHA-256 of 256 random bits), the outbox that
-- carries messages from the transaction that caused them to the SMTP server, per-tenant message
-- templates, and device credentials with their sign-in challenges.
ALTER TABLE users ADD COLUMN invitation_expires_at INTEGER;

CREATE TABLE one_time_tokens (
    id          BLOB PRIMARY KEY NOT NULL,
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id     BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL,
    hash        BLOB NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    revoked_at  INTEGER
);
CREATE INDEX one_time_tokens_user_idx ON one_time_tokens (tenant_id, user_id, purpose);

-- A message keeps its bodies (which carry a one-time link) only until it is delivered.
CREATE TABLE outbox (
    id               BLOB PRIMARY KEY NOT NULL,
    tenant_id        BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id          BLOB REFERENCES users (id) ON DELETE SET NULL,
    kind             TEXT NOT NULL,
    recipient        TEXT NOT NULL,
    subject          TEXT NOT NULL,
    text_body        TEXT,
    html_body        TEXT,
    message_id       TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    lease_until      INTEGER,
    sent_at          INTEGER,
    failed_at        INTEGER,
    last_error       TEXT
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX outbox_tenant_idx ON outbox (tenant_id, created_at);
CREATE INDEX outbox_user_idx ON outbox (user_id, created_at);

CREATE TABLE mail_templates (
    tenant_id    BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    subject      TEXT NOT NULL,
    text_body    TEXT NOT NULL,
    html_body    TEXT,
    modified_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, kind)
);

CREATE TABLE device_credentials (
    id            BLOB PRIMARY KEY NOT NULL,
    tenant_id     BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id       BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    algorithm     TEXT NOT NULL,
    public_key    BLOB NOT NULL,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    revoked_at    INTEGER
);
CREATE INDEX device_credentials_user_idx ON device_credentials (tenant_id, user_id);

CREATE TABLE device_challenges (
    id             BLOB PRIMARY KEY NOT NULL,
    tenant_id      BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    credential_id  BLOB NOT NULL REFERENCES device_credentials (id) ON DELETE CASCADE,
    nonce          BLOB NOT NULL,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER
);
CREATE INDEX device_challenges_expiry_idx ON device_challenges (expires_at);
