-- Mail and enrollment: one-time tokens (stored as SHA-256 of 256 random bits), the outbox that
-- carries messages from the transaction that caused them to the SMTP server, per-tenant message
-- templates, and device credentials with their sign-in challenges.
ALTER TABLE users ADD COLUMN invitation_expires_at BIGINT;

CREATE TABLE one_time_tokens (
    id          UUID PRIMARY KEY NOT NULL,
    tenant_id   UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     TEXT COLLATE "C" NOT NULL,
    hash        BYTEA NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT,
    revoked_at  BIGINT
);
CREATE INDEX one_time_tokens_user_idx ON one_time_tokens (tenant_id, user_id, purpose);

-- A message keeps its bodies (which carry a one-time link) only until it is delivered.
CREATE TABLE outbox (
    id               UUID PRIMARY KEY NOT NULL,
    tenant_id        UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id          UUID REFERENCES users (id) ON DELETE SET NULL,
    kind             TEXT COLLATE "C" NOT NULL,
    recipient        TEXT COLLATE "C" NOT NULL,
    subject          TEXT COLLATE "C" NOT NULL,
    text_body        TEXT COLLATE "C",
    html_body        TEXT COLLATE "C",
    message_id       TEXT COLLATE "C" NOT NULL,
    created_at       BIGINT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    lease_until      BIGINT,
    sent_at          BIGINT,
    failed_at        BIGINT,
    last_error       TEXT COLLATE "C"
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX outbox_tenant_idx ON outbox (tenant_id, created_at);
CREATE INDEX outbox_user_idx ON outbox (user_id, created_at);

CREATE TABLE mail_templates (
    tenant_id    UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind         TEXT COLLATE "C" NOT NULL,
    subject      TEXT COLLATE "C" NOT NULL,
    text_body    TEXT COLLATE "C" NOT NULL,
    html_body    TEXT COLLATE "C",
    modified_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, kind)
);

CREATE TABLE device_credentials (
    id            UUID PRIMARY KEY NOT NULL,
    tenant_id     UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id       UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT COLLATE "C" NOT NULL,
    algorithm     TEXT COLLATE "C" NOT NULL,
    public_key    BYTEA NOT NULL,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);
CREATE INDEX device_credentials_user_idx ON device_credentials (tenant_id, user_id);

CREATE TABLE device_challenges (
    id             UUID PRIMARY KEY NOT NULL,
    tenant_id      UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    credential_id  UUID NOT NULL REFERENCES device_credentials (id) ON DELETE CASCADE,
    nonce          BYTEA NOT NULL,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT
);
CREATE INDEX device_challenges_expiry_idx ON device_challenges (expires_at);
