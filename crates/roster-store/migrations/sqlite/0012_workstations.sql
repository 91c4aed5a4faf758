-- What users sign in to workstations with: computer user names (one user's in a tenant, compared
-- in any case) and smartcards (a number, and a label). Numbers may repeat when an administrator
-- allows it, so only a lookup index keeps them.
CREATE TABLE computer_user_names (
    tenant_id  BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name_key   TEXT NOT NULL,
    user_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    name       TEXT NOT NULL,
    PRIMARY KEY (tenant_id, name_key)
);
CREATE INDEX computer_user_names_user_idx ON computer_user_names (user_id, position);

CREATE TABLE smartcards (
    user_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    tenant_id  BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    number     TEXT NOT NULL,
    label      TEXT,
    PRIMARY KEY (user_id, position)
);
CREATE INDEX smartcards_number_idx ON smartcards (tenant_id, number);

-- Access policies are assigned to groups as well as users: a user is under its own and those of
-- every group it belongs to.
ALTER TABLE groups ADD COLUMN access_policy_id BLOB REFERENCES access_policies (id) ON DELETE SET NULL;
CREATE INDEX groups_access_policy_idx ON groups (access_policy_id) WHERE access_policy_id IS NOT NULL;

-- When a user first became active, and when its email was confirmed. Users that existed before
-- are taken to have done both when they were created.
ALTER TABLE users ADD COLUMN activated_at INTEGER;
ALTER TABLE users ADD COLUMN email_confirmed_at INTEGER;
UPDATE users SET activated_at = created_at WHERE status <> 'invited';
UPDATE users SET email_confirmed_at = created_at WHERE email_verified;
