-- The claims index keys strings by their lower case from now on, so that one key serves the
-- comparisons that ignore case too: the index is rebuilt once, at the first start.
INSERT INTO store_tasks (name) VALUES ('index_claims') ON CONFLICT DO NOTHING;
