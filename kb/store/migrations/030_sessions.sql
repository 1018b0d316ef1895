-- Server-side sessions: the cookie carries a random token, only its SHA-256 is stored here, so signing out,
-- disabling an account or changing its password ends the session everywhere (kb/store/sessions.py).
CREATE TABLE IF NOT EXISTS sessions (
  token_hash TEXT PRIMARY KEY,
  user TEXT NOT NULL,
  ip TEXT NOT NULL DEFAULT '',
  created_at REAL NOT NULL,
  expires_at REAL NOT NULL       -- absolute: created_at + the lifetime, never extended by use
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user);
-- Sign-in throttling counts failures per (account, address).
CREATE INDEX IF NOT EXISTS login_failures_pair ON login_failures(user, ip, at);
