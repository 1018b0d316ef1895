-- PostgreSQL form of ../030_sessions.sql.
CREATE TABLE IF NOT EXISTS sessions (
  token_hash TEXT PRIMARY KEY,
  "user" TEXT NOT NULL,
  ip TEXT NOT NULL DEFAULT '',
  created_at DOUBLE PRECISION NOT NULL,
  expires_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions("user");
CREATE INDEX IF NOT EXISTS login_failures_pair ON login_failures("user", ip, at);
