-- The claims index: one row per scalar, array or null value at a path of a user's claims, under
-- a 16-byte key the core computes from the path and the value. Claims equality tests (and the
-- deep-subset searches built from them) find their users here instead of reading every user.
CREATE TABLE user_claims (
    tenant_id  BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    claim_key  BLOB NOT NULL,
    user_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (tenant_id, claim_key, user_id)
) WITHOUT ROWID;
CREATE INDEX user_claims_user_idx ON user_claims (user_id);

-- The identity a user is known by at an external authentication provider; a provider's subject
-- belongs to one user of a tenant.
ALTER TABLE users ADD COLUMN federated_provider_id TEXT;
ALTER TABLE users ADD COLUMN federated_url TEXT;
ALTER TABLE users ADD COLUMN federated_subject_id TEXT;
CREATE UNIQUE INDEX users_federated_idx ON users (tenant_id, federated_provider_id, federated_subject_id);
CREATE INDEX users_federated_subject_idx ON users (tenant_id, federated_subject_id);

-- Work the store does once, at the first start after a migration asked for it: here, indexing
-- the claims of the users that existed before the index.
CREATE TABLE store_tasks (
    name  TEXT PRIMARY KEY NOT NULL
);
INSERT INTO store_tasks (name) VALUES ('index_claims');
