-- Progress reporting (进度报告): department reporter accounts, reports per (item, department, period) with
-- evidence, deadline overrides, reporting cadence per plan, and the per-department change feed.
ALTER TABLE users ADD COLUMN department TEXT;

-- One report per (item, department, period); `version` increases on every write (lost-update check).
CREATE TABLE progress_reports (
  id INTEGER PRIMARY KEY,
  plan TEXT NOT NULL,
  item TEXT NOT NULL,
  item_fingerprint TEXT NOT NULL DEFAULT '',
  department TEXT NOT NULL,
  period TEXT NOT NULL,             -- '2024' (yearly) or '2024H1' / '2024H2' (half-yearly)
  role TEXT NOT NULL CHECK (role IN ('lead', 'co')),
  status TEXT NOT NULL DEFAULT 'not_started'
    CHECK (status IN ('not_started', 'in_progress', 'done', 'delayed', 'not_applicable')),
  progress TEXT NOT NULL DEFAULT '',
  next_steps TEXT NOT NULL DEFAULT '',
  difficulties TEXT NOT NULL DEFAULT '',
  evidence TEXT NOT NULL DEFAULT '',         -- document numbers or links, one per line
  indicator_values TEXT NOT NULL DEFAULT '{}',  -- JSON {indicator id: {"value", "unit"}}
  state TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'submitted', 'returned')),
  return_comment TEXT NOT NULL DEFAULT '',
  returned_by TEXT, returned_at TEXT,
  submitted_by TEXT, submitted_at TEXT,
  updated_by TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  UNIQUE (item, department, period)
);
CREATE INDEX progress_reports_dept ON progress_reports(department, period);
CREATE INDEX progress_reports_period ON progress_reports(period, state);

-- 佐证材料 files: the bytes live content-addressed under data/attachments/ (outside the web root).
CREATE TABLE progress_attachments (
  id INTEGER PRIMARY KEY,
  report INTEGER NOT NULL REFERENCES progress_reports(id),
  sha256 TEXT NOT NULL,
  filename TEXT NOT NULL,
  kind TEXT NOT NULL,               -- sniffed type: pdf, docx, xlsx, jpg, png
  size INTEGER NOT NULL,
  uploaded_by TEXT NOT NULL,
  uploaded_at TEXT NOT NULL,
  removed_at TEXT
);
CREATE INDEX progress_attachments_report ON progress_attachments(report);

-- Deadlines set by the 妇儿工委办 over the ones read from the text.
CREATE TABLE progress_deadlines (
  item TEXT PRIMARY KEY,
  plan TEXT NOT NULL,
  deadline TEXT NOT NULL,           -- YYYY-MM-DD, or 'yearly' / 'ongoing'
  reason TEXT NOT NULL DEFAULT '',
  set_by TEXT NOT NULL,
  set_at TEXT NOT NULL
);

-- Reporting cadence per plan ('year' when absent).
CREATE TABLE progress_cadence (
  plan TEXT PRIMARY KEY,
  cadence TEXT NOT NULL CHECK (cadence IN ('year', 'half')),
  set_by TEXT NOT NULL,
  set_at TEXT NOT NULL
);

-- The duties each department was last seen with, to tell it what was added or removed.
CREATE TABLE progress_duty_seen (
  department TEXT NOT NULL,
  item TEXT NOT NULL,
  role TEXT NOT NULL,
  title TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (department, item)
);

-- What changed for a department (duties added/removed, reports returned); append-only.
CREATE TABLE progress_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  department TEXT NOT NULL,
  kind TEXT NOT NULL,               -- duty.added, duty.removed, duty.role, report.returned
  item TEXT NOT NULL DEFAULT '',
  period TEXT NOT NULL DEFAULT '',
  title TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX progress_events_dept ON progress_events(department, id);
CREATE TRIGGER progress_events_no_update BEFORE UPDATE ON progress_events
BEGIN SELECT RAISE(ABORT, 'progress_events is append-only'); END;
CREATE TRIGGER progress_events_no_delete BEFORE DELETE ON progress_events
BEGIN SELECT RAISE(ABORT, 'progress_events is append-only'); END;
