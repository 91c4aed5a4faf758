-- Signed tokens: the server's signing keys (every process of a deployment shares them), and
-- sign-in sessions, which access tokens name and refresh tokens renew. A session is valid only
-- while it is not revoked and its user may sign in; that is checked on every request.
CREATE TABLE signing_keys (
    kid          TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    algorithm    TEXT COLLATE "C" NOT NULL,
    private_key  BYTEA NOT NULL,
    public_jwk   TEXT COLLATE "C" NOT NULL,
    created_at   BIGINT NOT NULL,
    retired_at   BIGINT
);

CREATE TABLE sessions (
    id                     UUID PRIMARY KEY NOT NULL,
    tenant_id              UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id                UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    refresh_hash           BYTEA NOT NULL UNIQUE,
    previous_refresh_hash  BYTEA,
    created_at             BIGINT NOT NULL,
    refreshed_at           BIGINT NOT NULL,
    expires_at             BIGINT NOT NULL,
    revoked_at             BIGINT
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_previous_idx ON sessions (previous_refresh_hash);
