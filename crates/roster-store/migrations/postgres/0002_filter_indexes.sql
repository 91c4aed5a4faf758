-- Indexes for the remaining user and group attributes the native filter and sort expose that
-- are selective enough to profit (booleans and small enums are left to the tenant scans).
CREATE INDEX users_given_name_idx ON users (tenant_id, given_name);
CREATE INDEX users_unix_user_name_idx ON users (tenant_id, unix_user_name);
CREATE INDEX users_domain_name_idx ON users (tenant_id, lower(domain_name));
CREATE INDEX users_dn_idx ON users (tenant_id, lower(distinguished_name));
CREATE INDEX users_deleted_idx ON users (tenant_id, deleted_at);
CREATE INDEX groups_display_name_idx ON "groups" (tenant_id, display_name);
CREATE INDEX groups_modified_idx ON "groups" (tenant_id, modified_at, id);
