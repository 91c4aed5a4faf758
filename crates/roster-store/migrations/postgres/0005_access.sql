-- Access: sign-in lockout (the tenant's policy, each user's failure count and temporary lock,
-- and the recent failures a lock is counted from), roles assigned to users and groups, client
-- secrets of application users, and who impersonates in a session.
ALTER TABLE tenants ADD COLUMN lockout_policy TEXT COLLATE "C";
ALTER TABLE users ADD COLUMN failed_logons BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until BIGINT;
-- Administrators look for accounts with failures or locks; most have neither.
CREATE INDEX users_failed_logons_idx ON users (tenant_id, failed_logons) WHERE failed_logons > 0;
CREATE INDEX users_locked_until_idx ON users (tenant_id, locked_until) WHERE locked_until IS NOT NULL;

CREATE TABLE logon_failures (
    tenant_id  UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    at         BIGINT NOT NULL
);
CREATE INDEX logon_failures_user_idx ON logon_failures (user_id, at);

-- Exactly one of user_id and group_id is set; a group's roles reach every member, nested or not.
CREATE TABLE role_assignments (
    tenant_id   UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id     UUID REFERENCES users (id) ON DELETE CASCADE,
    group_id    UUID REFERENCES "groups" (id) ON DELETE CASCADE,
    role        TEXT COLLATE "C" NOT NULL,
    created_at  BIGINT NOT NULL,
    CHECK ((user_id IS NULL) <> (group_id IS NULL))
);
CREATE UNIQUE INDEX role_assignments_user_idx ON role_assignments (user_id, role) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX role_assignments_group_idx ON role_assignments (group_id, role) WHERE group_id IS NOT NULL;
CREATE INDEX role_assignments_tenant_role_idx ON role_assignments (tenant_id, role);

CREATE TABLE client_secrets (
    user_id     UUID PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id   UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    hash        BYTEA NOT NULL,
    created_at  BIGINT NOT NULL
);

ALTER TABLE sessions ADD COLUMN actor_kind TEXT COLLATE "C";
ALTER TABLE sessions ADD COLUMN actor_id UUID;
