-- Signed tokens: the server's signing keys (every process of a deployment shares them), and
-- sign-in sessions, which access tokens name and refresh tokens renew. A session is valid only
-- while it is not revoked and its user may sign in; that is checked on every request.
CREATE TABLE signing_keys (
    kid          TEXT PRIMARY KEY NOT NULL,
    algorithm    TEXT NOT NULL,
    private_key  BLOB NOT NULL,
    public_jwk   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    retired_at   INTEGER
);

CREATE TABLE sessions (
    id                     BLOB PRIMARY KEY NOT NULL,
    tenant_id              BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id                BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    refresh_hash           BLOB NOT NULL UNIQUE,
    previous_refresh_hash  BLOB,
    created_at             INTEGER NOT NULL,
    refreshed_at           INTEGER NOT NULL,
    expires_at             INTEGER NOT NULL,
    revoked_at             INTEGER
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_previous_idx ON sessions (previous_refresh_hash);
