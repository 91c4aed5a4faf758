-- Sessions of an API key itself, for clients that sign in with a key alone (BeyondInsight's
-- `PS-Auth key=...`). Only the token's digest is kept; revoking or deleting the key ends them.
CREATE TABLE api_key_sessions (
    id          UUID PRIMARY KEY NOT NULL,
    tenant_id   UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    api_key_id  UUID NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    token_hash  BYTEA NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX api_key_sessions_key_idx ON api_key_sessions (api_key_id);
