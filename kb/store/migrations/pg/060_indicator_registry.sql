-- PostgreSQL form of ../060_indicator_registry.sql.
CREATE TABLE indicator_registry (
  plan TEXT NOT NULL,
  indicator_name TEXT NOT NULL,
  definition TEXT NOT NULL DEFAULT '',
  method TEXT NOT NULL DEFAULT '',
  unit TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL DEFAULT '',
  frequency TEXT NOT NULL DEFAULT '',
  updated_by TEXT NOT NULL,
  updated_at TEXT NOT NULL DEFAULT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  PRIMARY KEY (plan, indicator_name)
);
