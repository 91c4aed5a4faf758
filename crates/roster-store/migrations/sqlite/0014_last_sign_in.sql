-- How each user last signed in, written in the transaction that opens the session (an
-- impersonation is no sign-in of the user): when, by which method, and through which directory
-- connection, for faces that show it (BeyondInsight's LastLogin* fields).
ALTER TABLE users ADD COLUMN last_sign_in_at INTEGER;
ALTER TABLE users ADD COLUMN last_sign_in_method TEXT;
ALTER TABLE users ADD COLUMN last_sign_in_source TEXT;
