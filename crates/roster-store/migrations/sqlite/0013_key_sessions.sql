-- Sessions of an API key itself, for clients that sign in with a key alone (BeyondInsight's
-- `PS-Auth key=...`). Only the token's digest is kept; revoking or deleting the key ends them.
CREATE TABLE api_key_sessions (
    id          BLOB PRIMARY KEY NOT NULL,
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    api_key_id  BLOB NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    token_hash  BLOB NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX api_key_sessions_key_idx ON api_key_sessions (api_key_id);
