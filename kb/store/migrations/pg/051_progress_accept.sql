-- PostgreSQL form of ../051_progress_accept.sql.
ALTER TABLE progress_reports ADD COLUMN accepted_by TEXT;
ALTER TABLE progress_reports ADD COLUMN accepted_at TEXT;
