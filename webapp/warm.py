"""The pages a serving process keeps warm (kb.serving.warm): each computes per-state values (kb.reviews.statecache)
that every later request of that state reads — home counts, plans, department counts and the duty index, goals,
targets, the graph, monitoring rows, the review queue, an item page's neighbours."""

from __future__ import annotations

from urllib.parse import quote

from kb.reviews import snapshot
from webapp.lookup import duty_index

PAGES = ("/", "/plans", "/departments", "/goals", "/targets", "/plan", "/graph", "/monitoring", "/review/queue")


def warm_paths() -> list[str]:
    """The default view of every page with per-state values, one item page and the busiest department's page."""
    snap = snapshot.current()
    out = list(PAGES)
    item = next((it for it in snap.items if it["kind"] in ("goal", "measure")), None)
    if item is not None:
        out.append(f"/items/{quote(item['id'])}")
    duties = duty_index(snap)
    if duties:
        busiest = max(sorted(duties), key=lambda name: len(duties[name]))
        out.append(f"/departments/{quote(busiest)}")
    return out
