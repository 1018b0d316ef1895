#!/usr/bin/env bash
# Runs the whole suite in .venv; installs the Debian browser and fonts the browser tests need, and antiword
# (legacy Word .doc reading), when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
# (grep reads fc-list's whole output: with -q it exits at the first match, and under pipefail fc-list's SIGPIPE made
# the check fail, so apt-get ran on every run)
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/antiword ] || ! fc-list 2>/dev/null | grep -i "wenquanyi" >/dev/null; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "installing chromium, fonts-wqy-microhei and antiword (apt)"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei antiword >/dev/null
  else
    echo "warning: /usr/bin/chromium, antiword or fonts-wqy-microhei missing and cannot apt-get install them" >&2
  fi
fi
# The monitoring report and export tests render Word and Excel files: LibreOffice (docx/xlsx → pdf) and poppler
# (pdf → png, pdffonts).
if ! command -v soffice >/dev/null || ! command -v pdftoppm >/dev/null || ! dpkg -s libreoffice-calc-nogui >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "installing libreoffice-writer-nogui, libreoffice-calc-nogui and poppler-utils (apt)"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libreoffice-writer-nogui libreoffice-calc-nogui poppler-utils >/dev/null
  else
    echo "warning: soffice or pdftoppm missing and cannot apt-get install them" >&2
  fi
fi
# PostgreSQL (#23): the server programs, for tests/pg and the second run below; missing them then is a failure.
bash scripts/pg_server.sh && export KB_TEST_PG=required
# Without arguments: the whole suite in two xdist workers (a module sharing a server runs on one: conftest's
# SHARED_MODULE_FIXTURES), slowest tests listed; with arguments, pytest runs just those.
XDIST=(-n "${KB_TEST_WORKERS:-2}" --dist loadgroup)
set +e
if [ "$#" = "0" ]; then
  .venv/bin/python -m pytest -q "${XDIST[@]}" --durations=15
else
  .venv/bin/python -m pytest "$@"
fi
code=$?
# The store, review and monitoring suites again with the durable store on a real PostgreSQL (tests/pg/fixtures.py).
if [ "$code" = "0" ] && [ "$#" = "0" ]; then
  KB_TEST_ENGINE=postgresql .venv/bin/python -m pytest -q "${XDIST[@]}" -m "not browser" $(grep -v "^#" tests/pg/suites.txt)
  code=$?
fi
set -e
if [ "$code" = "5" ]; then
  echo "pytest collected no tests: failing" >&2
  exit 1
fi
exit "$code"
