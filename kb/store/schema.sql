-- Derived knowledge base: written whole by each build, read-only afterwards.
-- Reviews, audit log, users and observations live in reviews.sqlite (kb/durable.py, kb/migrations/).
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE plans (
  id TEXT PRIMARY KEY, title TEXT NOT NULL, raw_text TEXT NOT NULL, text TEXT NOT NULL,
  meta TEXT NOT NULL, encoding TEXT NOT NULL, warnings TEXT NOT NULL, position INTEGER NOT NULL);
CREATE TABLE headings (
  plan TEXT NOT NULL REFERENCES plans(id), position INTEGER NOT NULL, level INTEGER NOT NULL,
  kind TEXT NOT NULL, text TEXT NOT NULL, raw_text TEXT NOT NULL, line INTEGER NOT NULL);
CREATE TABLE items (
  id TEXT PRIMARY KEY, plan TEXT NOT NULL REFERENCES plans(id), kind TEXT NOT NULL, domain TEXT,
  domain_code TEXT, number INTEGER, title TEXT NOT NULL, text TEXT NOT NULL, raw_text TEXT NOT NULL,
  line INTEGER NOT NULL, raw_start INTEGER NOT NULL, raw_end INTEGER NOT NULL, section TEXT, block TEXT,
  position INTEGER NOT NULL, fingerprint TEXT NOT NULL, target_groups TEXT NOT NULL DEFAULT '[]');
CREATE INDEX items_plan ON items(plan, position);
CREATE TABLE clauses (
  id TEXT PRIMARY KEY, item TEXT NOT NULL REFERENCES items(id), idx INTEGER NOT NULL, text TEXT NOT NULL,
  raw_text TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL);
CREATE INDEX clauses_item ON clauses(item, idx);
CREATE TABLE repairs (
  id TEXT NOT NULL, plan TEXT NOT NULL REFERENCES plans(id), start INTEGER NOT NULL, "end" INTEGER NOT NULL,
  before TEXT NOT NULL, after TEXT NOT NULL, rule TEXT NOT NULL, kind TEXT NOT NULL,
  confidence REAL NOT NULL, applied INTEGER NOT NULL, PRIMARY KEY (plan, id));
CREATE TABLE departments (
  name TEXT PRIMARY KEY, full_name TEXT, category TEXT, aliases TEXT NOT NULL DEFAULT '[]');
CREATE TABLE assignments (
  item TEXT NOT NULL REFERENCES items(id), clause TEXT, name TEXT NOT NULL, role TEXT NOT NULL,
  source TEXT NOT NULL, confidence REAL NOT NULL, evidence TEXT NOT NULL, rank INTEGER NOT NULL);
CREATE INDEX assignments_item ON assignments(item, clause);
CREATE INDEX assignments_name ON assignments(name);
-- Items the tagger is not sure about: needs_review and the ranked candidate bodies (JSON [{name, score, evidence}]).
CREATE TABLE item_review (
  item TEXT PRIMARY KEY REFERENCES items(id), needs_review INTEGER NOT NULL, candidates TEXT NOT NULL);
CREATE TABLE indicators (
  id TEXT PRIMARY KEY, item TEXT NOT NULL REFERENCES items(id), name TEXT NOT NULL, comparator TEXT NOT NULL,
  value REAL, value_max REAL, unit TEXT, per TEXT, scope TEXT, year INTEGER, baseline TEXT, raw TEXT NOT NULL,
  start INTEGER NOT NULL, "end" INTEGER NOT NULL, rank INTEGER NOT NULL, baseline_year INTEGER);
CREATE INDEX indicators_item ON indicators(item, rank);
CREATE TABLE links (
  measure TEXT NOT NULL REFERENCES items(id), goal TEXT NOT NULL REFERENCES items(id), score REAL NOT NULL,
  why TEXT NOT NULL, cross_domain INTEGER NOT NULL, rank INTEGER NOT NULL, PRIMARY KEY (measure, goal));
CREATE INDEX links_goal ON links(goal);
