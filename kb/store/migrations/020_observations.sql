-- Monitoring observations (监测评估): one value per indicator and year, plus an append-only history.
-- `indicator` is the indicator id when entered; `indicator_name` + `item_fingerprint` let a rebuild
-- that renumbers indicators re-anchor the row (kb/observations.py); unmatched rows are orphans, never dropped.
CREATE TABLE observations (
  id INTEGER PRIMARY KEY,
  indicator TEXT NOT NULL,
  indicator_name TEXT NOT NULL,
  item_fingerprint TEXT NOT NULL,
  plan TEXT NOT NULL,
  year INTEGER NOT NULL,
  value REAL NOT NULL,
  unit TEXT,
  source TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT '',
  entered_by TEXT NOT NULL,
  entered_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (indicator, year)
);
CREATE INDEX observations_anchor ON observations(indicator_name, item_fingerprint);

-- Every change of an observation (set, change, clear, re-anchor); rows are never updated or deleted.
CREATE TABLE observation_log (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  indicator TEXT NOT NULL,
  year INTEGER NOT NULL,
  old_value REAL,
  new_value REAL,
  unit TEXT,
  source TEXT NOT NULL DEFAULT '',
  batch TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX observation_log_indicator ON observation_log(indicator, year);
CREATE TRIGGER observation_log_no_update BEFORE UPDATE ON observation_log
BEGIN SELECT RAISE(ABORT, 'observation_log is append-only'); END;
CREATE TRIGGER observation_log_no_delete BEFORE DELETE ON observation_log
BEGIN SELECT RAISE(ABORT, 'observation_log is append-only'); END;
