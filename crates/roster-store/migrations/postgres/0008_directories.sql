-- Directory connectors: a tenant's LDAP and Active Directory connections (the bind password only
-- sealed with the server's secret key), the connection each directory user comes from, and the
-- directory group a group follows, with when it was last and is next synchronised.
CREATE TABLE directory_connections (
    id               UUID PRIMARY KEY NOT NULL,
    tenant_id        UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name             TEXT COLLATE "C" NOT NULL,
    name_key         TEXT COLLATE "C" NOT NULL,
    settings         TEXT COLLATE "C" NOT NULL,
    sealed_password  BYTEA NOT NULL,
    created_at       BIGINT NOT NULL,
    modified_at      BIGINT NOT NULL,
    version          BIGINT NOT NULL
);
CREATE UNIQUE INDEX directory_connections_name_key_idx ON directory_connections (tenant_id, name_key);

ALTER TABLE users ADD COLUMN directory_id UUID REFERENCES directory_connections (id);
CREATE INDEX users_directory_idx ON users (directory_id) WHERE directory_id IS NOT NULL;

ALTER TABLE "groups" ADD COLUMN directory_id UUID REFERENCES directory_connections (id);
ALTER TABLE "groups" ADD COLUMN directory_dn TEXT COLLATE "C";
ALTER TABLE "groups" ADD COLUMN synced_at BIGINT;
ALTER TABLE "groups" ADD COLUMN sync_due_at BIGINT;
CREATE INDEX groups_directory_idx ON "groups" (directory_id) WHERE directory_id IS NOT NULL;
CREATE INDEX groups_sync_due_idx ON "groups" (sync_due_at) WHERE sync_due_at IS NOT NULL;
