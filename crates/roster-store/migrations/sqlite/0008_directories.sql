-- Directory connectors: a tenant's LDAP and Active Directory connections (the bind password only
-- sealed with the server's secret key), the connection each directory user comes from, and the
-- directory group a group follows, with when it was last and is next synchronised.
CREATE TABLE directory_connections (
    id               BLOB PRIMARY KEY NOT NULL,
    tenant_id        BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    name_key         TEXT NOT NULL,
    settings         TEXT NOT NULL,
    sealed_password  BLOB NOT NULL,
    created_at       INTEGER NOT NULL,
    modified_at      INTEGER NOT NULL,
    version          INTEGER NOT NULL
);
CREATE UNIQUE INDEX directory_connections_name_key_idx ON directory_connections (tenant_id, name_key);

ALTER TABLE users ADD COLUMN directory_id BLOB REFERENCES directory_connections (id);
CREATE INDEX users_directory_idx ON users (directory_id) WHERE directory_id IS NOT NULL;

ALTER TABLE "groups" ADD COLUMN directory_id BLOB REFERENCES directory_connections (id);
ALTER TABLE "groups" ADD COLUMN directory_dn TEXT;
ALTER TABLE "groups" ADD COLUMN synced_at INTEGER;
ALTER TABLE "groups" ADD COLUMN sync_due_at INTEGER;
CREATE INDEX groups_directory_idx ON "groups" (directory_id) WHERE directory_id IS NOT NULL;
CREATE INDEX groups_sync_due_idx ON "groups" (sync_due_at) WHERE sync_due_at IS NOT NULL;
