-- Reviewers' decisions (current state, one row per reviewed thing) and the append-only audit log.
-- A review is keyed to the item id it was made on, plus an anchor (fingerprint, text, kind, domain)
-- so it can be re-anchored when a rebuild changes ids or text; it is never deleted by a rebuild.
CREATE TABLE reviews (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('assignment', 'link', 'repair', 'note')),
  plan TEXT NOT NULL,
  item TEXT NOT NULL,              -- item id when reviewed ('' for repairs: they belong to the plan text)
  target TEXT NOT NULL,            -- department name | goal id | repair id | note key
  decision TEXT NOT NULL CHECK (decision IN ('accept', 'reject', 'add', 'confirm', 'remove', 'note')),
  role TEXT CHECK (role IS NULL OR role IN ('lead', 'co')),
  body TEXT,                       -- note Markdown
  anchor TEXT NOT NULL DEFAULT '{}',  -- JSON: what the item/goal/repair looked like when reviewed
  actor TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (kind, plan, item, target)
);
CREATE INDEX reviews_target ON reviews(kind, plan, target);

CREATE TABLE audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,            -- e.g. assignment.reject, link.add, note.add, undo, reanchor, import
  review_id INTEGER,               -- the reviews row changed (no FK: rows may be deleted, history stays)
  kind TEXT, plan TEXT, item TEXT, target TEXT,
  before TEXT,                     -- JSON of the reviews row before the change (NULL: did not exist)
  after TEXT,                      -- JSON after (NULL: deleted)
  reason TEXT NOT NULL DEFAULT '',
  undoes INTEGER REFERENCES audit(id),
  origin TEXT UNIQUE               -- set on entries imported from another database: '<instance>#<id>'
);
CREATE INDEX audit_at ON audit(at);
CREATE INDEX audit_review ON audit(review_id);

CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;

CREATE TABLE reviews_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO reviews_meta VALUES ('instance', lower(hex(randomblob(8))));
