-- Access policies: named sign-in conditions (networks a user may sign in from), numbered per
-- tenant. Every tenant has a default policy (number 1), which applies to users assigned none.
ALTER TABLE tenants ADD COLUMN policy_seq INTEGER NOT NULL DEFAULT 0;

CREATE TABLE access_policies (
    id                BLOB PRIMARY KEY NOT NULL,
    tenant_id         BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    number            INTEGER NOT NULL,
    name              TEXT NOT NULL,
    name_key          TEXT NOT NULL,
    description       TEXT,
    allowed_networks  TEXT NOT NULL DEFAULT '[]',
    is_default        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at        INTEGER NOT NULL,
    modified_at       INTEGER NOT NULL
);
CREATE UNIQUE INDEX access_policies_number_idx ON access_policies (tenant_id, number);
CREATE UNIQUE INDEX access_policies_name_key_idx ON access_policies (tenant_id, name_key);

ALTER TABLE users ADD COLUMN access_policy_id BLOB REFERENCES access_policies (id) ON DELETE SET NULL;
CREATE INDEX users_access_policy_idx ON users (access_policy_id) WHERE access_policy_id IS NOT NULL;

INSERT INTO access_policies (id, tenant_id, number, name, name_key, description, is_default, created_at, modified_at)
SELECT randomblob(16), id, 1, 'default', 'default', 'The policy of users assigned none', TRUE, created_at, created_at
FROM tenants;
UPDATE tenants SET policy_seq = 1;
