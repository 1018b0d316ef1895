-- 确认 (accept): the 妇儿工委办 confirms a submitted report. The report stays 'submitted'; who accepted it and when
-- are kept beside it, and any later write by the department or a return clears them (it must be confirmed again).
ALTER TABLE progress_reports ADD COLUMN accepted_by TEXT;
ALTER TABLE progress_reports ADD COLUMN accepted_at TEXT;
