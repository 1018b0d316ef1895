"""Serving the web app: gunicorn's threaded worker with per-request deadlines (kb serve)."""

import os

THREADS = 16  # per worker: a slow client holds at most one thread, and only until its deadline
REQUEST_TIMEOUT = int(os.environ.get("KB_REQUEST_TIMEOUT", "15"))  # seconds to send headers and body, in total
SEND_TIMEOUT = 30  # seconds a response may take to reach a slow reader
KEEPALIVE = 5  # seconds an idle keep-alive connection waits (in the poller, holding no thread)
