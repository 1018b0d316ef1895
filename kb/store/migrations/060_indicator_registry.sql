-- The indicator registry (统计监测指标体系): what an admin wrote for an indicator's 定义, 计算方法, 计量单位,
-- 资料来源 (supplying department) and 报送频率. Keyed by (plan, indicator name), which survives rebuilds that renumber
-- indicators; fields left empty fall back to the defaults computed from the plan (kb/monitoring/registry.py).
CREATE TABLE indicator_registry (
  plan TEXT NOT NULL,
  indicator_name TEXT NOT NULL,
  definition TEXT NOT NULL DEFAULT '',
  method TEXT NOT NULL DEFAULT '',
  unit TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL DEFAULT '',
  frequency TEXT NOT NULL DEFAULT '',
  updated_by TEXT NOT NULL,
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (plan, indicator_name)
);
