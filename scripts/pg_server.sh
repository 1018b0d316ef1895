#!/usr/bin/env bash
# Makes sure the PostgreSQL server programs are installed (Debian `postgresql`, with pg_trgm in the server package);
# with `run`, starts a throw-away server in a temp dir on a free loopback port and prints its URL until Ctrl-C
# (tests/pg/server.py: initdb as the unprivileged `postgres` account, stopped by PID).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "installing postgresql (apt)"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "warning: PostgreSQL is not installed and cannot apt-get install it" >&2
    exit 1
  fi
fi
# Debian's package starts its own cluster as a service; the tests never use it (they run their own).
if [ "${1:-}" = "run" ]; then
  exec .venv/bin/python tests/pg/server.py
fi
