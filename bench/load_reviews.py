"""The load bench's runs with reviewers writing (bench/load_bench.py): item pages with and without writers in
ABAB order, the server tree's CPU from /proc, and what one write costs the server."""

from __future__ import annotations

import json
import os
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from argparse import Namespace
from collections.abc import Callable
from pathlib import Path

from load_wrk import _rates, line, lua_script, run_wrk

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def writer_accounts(n: int) -> None:
    """The n reviewers' accounts (this makes the reviews database: both item-page runs see the same site)."""
    from kb.store.users import add_user, get_user

    for k in range(n):
        if get_user(f"bench-writer-{k}") is None:
            add_user(f"bench-writer-{k}", "bench-writer-password-42")


class Reviewer:
    """One reviewer's signed-in API session (signed in once, before any measured run: a sign-in hashes a
    password, which is no part of what a write costs) and how far through the plan they are."""

    def __init__(self, port: int, k: int):
        self.port, self.k, self.name, self.done = port, k, f"bench-writer-{k}", 0
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        self.token = self.call("/api/session")["csrf_token"]
        self.token = self.call("/api/login", {"name": self.name, "password": "bench-writer-password-42"})["csrf_token"]

    def call(self, path: str, body: dict | None = None) -> dict:
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method="POST" if body else "GET")
        if body is not None:
            req.data = json.dumps(body).encode()
            req.add_header("Content-Type", "application/json")
            req.add_header("X-CSRF-Token", self.token)
        with self.opener.open(req, timeout=30) as r:
            return json.loads(r.read())


def writers(
    reviewers: list[Reviewer],
    stop: threading.Event,
    items: list[str],
    goals: list[str],
    mix: list[str],
    counts: list[int],
    pause: float,
) -> list[threading.Thread]:
    """The reviewers writing on item after item until stop is set: notes, department reviews (add 市民政局 as 配合,
    later reject it) and link reviews (add a link, later remove it), cycling through `mix`, `pause` seconds after
    each write. A refused write (the item already had it) is counted apart, not fatal."""
    n = len(reviewers)

    def run(rv: Reviewer) -> None:
        while not stop.is_set():
            i, k = rv.done, rv.k
            j = i * n + k
            item, kind, undo = items[j % len(items)], mix[i % len(mix)], (j // len(items)) % 2
            body: dict = {"action": "note.add", "body": f"{rv.name} {i}"}
            if kind == "department":
                body = {"action": "assignment.reject" if undo else "assignment.add", "department": "市民政局"}
                body |= {} if undo else {"role": "co"}
            elif kind == "link":
                body = {"action": "link.remove" if undo else "link.add", "goal": goals[j % len(goals)]}
            try:
                rv.call(f"/api/items/{urllib.parse.quote(item, safe=':')}/review", body)
                counts[k] += 1
            except urllib.error.HTTPError as exc:
                if exc.code >= 500:
                    raise
                refused[0] += 1
            rv.done += 1
            stop.wait(pause)

    threads = [threading.Thread(target=run, args=(rv,), daemon=True) for rv in reviewers]
    for t in threads:
        t.start()
    return threads


refused = [0]  # writes the API refused with a 4xx (already present / absent): expected in the cycle


def _cpu_ms(run: dict) -> float:
    """The server tree's CPU ms per item-page request of a run (its writes' CPU included)."""
    return 1000 * run["cpu"] / max(run["requests"], 1)


def _cpu_lines(runs: list[dict], per_write: float, duration: int) -> None:
    """Per pair: the server's CPU per item-page request with writers (their writes' CPU, at `per_write` s each as
    measured apart, taken out) / without, and what the writers leave of the throughput when the server has the
    machine's cores to itself: (cores - writes/s x CPU per write) / cores x CPU per read without / with. CPU time
    is what writers take from readers; wall throughput on a shared 2-core machine is mostly waiting for a core."""
    cores = os.cpu_count() or 1
    reads, bound = [], []
    for r in runs:
        without = (_cpu_ms(r["before"]) + _cpu_ms(r["after"])) / 2
        read = 1000 * max(r["cpu"] - r["writes"] * per_write, 0.0) / max(r["requests"], 1)
        reads.append(read / max(without, 1e-9))
        share = max(cores - r["writes"] / duration * per_write, 0.0) / cores
        bound.append(share * without / max(read, 1e-9))
    print(
        "    server CPU per item-page request with writers (the writes' own CPU taken out) / without, per pair: "
        + ", ".join(f"{x:.2f}" for x in reads)
        + f"; median {statistics.median(reads):.2f}"
    )
    print(
        f"    throughput with writers / without when the server has the {cores} cores to itself (CPU-bound: the "
        "writes' CPU share and the reads' CPU per request), per pair: "
        + ", ".join(f"{x:.2f}" for x in bound)
        + f"; median {statistics.median(bound):.2f} (issue 14: >= 0.70)"
    )


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its children, from /proc (0.0 where there is none)."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(entry) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def writer_runs(port: int, server_pid: int, data: Path, tmp: Path, args: Namespace, item_urls: Callable) -> tuple:
    """Item pages alone and with the writers, ABAB, then the server's CPU per write: (quiet, busy, write_cost)."""
    quiet: list[dict] = []
    busy: dict[str, list[dict]] = {}
    (tmp / "items").mkdir(exist_ok=True)
    items_script = lua_script(item_urls(data), tmp / "items")
    writer_accounts(args.writers)  # the same site (a reviews database) in every item-page run
    reviewers = [Reviewer(port, k) for k in range(args.writers)]
    from kb.store import KB

    with KB() as kb:  # writes spread over the plan, as reviewers work (not piled on one page)
        targets = [i["id"] for i in kb.items() if i["kind"] == "measure"]
        goals = [i["id"] for i in kb.items() if i["kind"] == "goal"][::-1]
    paces = {"flat out": args.write_pause, "reviewer pace": args.reviewer_pause}
    paces = {pace: pause for pace, pause in paces.items() if pause >= 0}

    def measured(pace: str | None) -> dict:
        """One item-page run (with the writers at `pace`, or none), with the server tree's CPU."""
        stop, counts, refused[0] = threading.Event(), [0] * args.writers, 0
        mix = args.write_mix.split(",")
        ws = writers(reviewers, stop, targets, goals, mix, counts, paces[pace]) if pace else []
        cpu0, load0 = tree_cpu(server_pid), os.getloadavg()[0]
        r = run_wrk(port, items_script, args.duration, args.connections, args.threads)
        cpu = tree_cpu(server_pid) - cpu0
        stop.set()
        for t in ws:
            t.join(timeout=30)
        return r | {"writes": sum(counts), "refused": refused[0], "cpu": cpu, "load": load0}

    # ABAB: each run with writers sits between two runs without, and is compared with their mean (the
    # pair's ratio), so the drift of a shared machine's load hits both sides of a ratio alike
    quiet.append(measured(None))
    for _ in range(args.rounds):
        for pace in paces:
            busy.setdefault(pace, []).append(measured(pace) | {"before": quiet[-1]})
            quiet.append(measured(None))
            busy[pace][-1]["after"] = quiet[-1]
    # what a write costs the server in all (the request, every worker's catch-up, warm rounds): its
    # process tree's CPU while the writers write flat out and nothing else is asked of it
    stop, counts, refused[0] = threading.Event(), [0] * args.writers, 0
    cpu0 = tree_cpu(server_pid)
    ws = writers(reviewers, stop, targets, goals, args.write_mix.split(","), counts, args.write_pause)
    time.sleep(args.duration)
    stop.set()
    for t in ws:
        t.join(timeout=30)
    time.sleep(1)  # the last write's catch-ups in the other workers
    write_cost = (tree_cpu(server_pid) - cpu0, sum(counts))
    return quiet, busy, write_cost


def print_writer_runs(quiet: list[dict], busy: dict[str, list[dict]], write_cost: tuple, args: Namespace) -> None:
    """The report of writer_runs: throughput per pair, the CPU lines, the load of each run."""
    print(
        "item pages, no writer: "
        + _rates(quiet)
        + " req/s; server CPU per request "
        + ", ".join(f"{_cpu_ms(q):.2f}" for q in quiet)
        + " ms; load "
        + ", ".join(f"{q['load']:.1f}" for q in quiet)
    )
    for pace, runs in busy.items():
        pause = args.write_pause if pace == "flat out" else args.reviewer_pause
        writes = sum(r["writes"] for r in runs)
        print(line(f"item pages, {args.writers} writing", runs[0]) + "  (run 1; all: " + _rates(runs) + " req/s)")
        pairs = [r["rps"] / ((r["before"]["rps"] + r["after"]["rps"]) / 2) for r in runs]
        print(
            f"  {pace}: {args.writers} reviewers wrote {writes} reviews in {len(runs)} x {args.duration} s "
            f"({writes / max(len(runs) * args.duration, 1):.1f}/s, {pause:g} s pause each; {args.write_mix}; "
            f"{sum(r['refused'] for r in runs)} refused as already so); load "
            + ", ".join(f"{r['load']:.1f}" for r in runs)
        )
        print(
            "    item-page throughput with writers / without, per pair (the run between two without, vs their "
            "mean): " + ", ".join(f"{x:.2f}" for x in pairs) + f"; median {statistics.median(pairs):.2f} "
            "(issue 14: >= 0.70)"
        )
        if write_cost[1]:
            _cpu_lines(runs, write_cost[0] / write_cost[1], args.duration)
