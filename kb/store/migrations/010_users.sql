-- Reviewer accounts (argon2 hashes) and failed sign-in attempts for rate limiting.
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL DEFAULT 'reviewer',
  active INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  password_changed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  last_login_at TEXT
);
CREATE TABLE IF NOT EXISTS login_failures (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user TEXT NOT NULL,
  ip TEXT NOT NULL,
  at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_user ON login_failures(user, at);
CREATE INDEX IF NOT EXISTS login_failures_ip ON login_failures(ip, at);
