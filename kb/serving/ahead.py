"""Downloads rendered ahead in a serving process (kb.exports.cache.prerender), from kb.serving.warm.keep_warm's
thread after each change of state: one thread of the process at a time, each file once the process has been idle
for a moment, so the first download after a build or review is a file send and no request shares the interpreter
with its render."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Hashable
from typing import Any

from kb import paths
from kb.serving.warm import quiet_for, sharing, state_key

# A file is rendered once no request has been in flight for this long: a whole-corpus file is seconds of CPU at 100x,
# and rendered beside requests (a worker's boot, a reviewer's pages) it doubled their wall time.
AHEAD_QUIET = float(os.environ.get("KB_EXPORT_QUIET", "2"))
_ahead = threading.Lock()  # one thread of the process renders downloads ahead at a time


def render_downloads(app: Any, state: Hashable, stop: threading.Event | None = None) -> tuple[int, float]:
    """Render the state's downloads ahead (kb.exports.cache.prerender) in this thread, each file once no request has
    been in flight for AHEAD_QUIET seconds, stopping once the state moves from `state` or `stop` is set; the number
    of files rendered (0 at once when another thread of the process is rendering ahead)."""
    from kb.exports.cache import prerender
    from kb.store import KB

    if not _ahead.acquire(blocking=False):
        return 0, 0.0
    config = getattr(app, "config", None)
    token = paths.use_data_dir(config.get("KB_DATA_DIR") if config is not None else None)

    def go_on() -> bool:
        return not (stop is not None and stop.is_set()) and state_key(app) == state

    busy: list[Any] = [0.0, None]  # seconds rendering so far, when the render under way began

    def before() -> bool:
        if busy[1] is not None:
            busy[0] += time.monotonic() - busy[1]
        ok = quiet_for(AHEAD_QUIET, go_on)
        busy[1] = time.monotonic() if ok else None
        return ok

    try:
        with sharing(), KB() as kb:
            files = len(prerender(kb, before=before))
        return files, busy[0] + (time.monotonic() - busy[1] if busy[1] is not None else 0.0)
    except Exception as exc:  # an optimisation: the download itself will say what is wrong
        print(f"rendering downloads ahead failed in pid {os.getpid()}: {exc!r}", file=sys.stderr, flush=True)
        return 0, 0.0
    finally:
        paths.reset_data_dir(token)
        _ahead.release()
