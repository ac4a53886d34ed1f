-- 0003: the session a run belongs to (a web lab server's session, or a
-- batch), so a session's totals and history can be listed without reading
-- every record. Runs stored before this migration belong to no session ('').

ALTER TABLE runs ADD COLUMN session TEXT NOT NULL DEFAULT '';
CREATE INDEX runs_session ON runs (session, created_at);
