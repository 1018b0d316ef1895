"""Ingest another plan: analyse a file of any form without writing anything, then publish it (copy + rebuild).

`kb add` and the web upload both use these two steps, so a file is refused for the same reasons in both and
nothing is written before the analysis has succeeded.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

from kb import paths
from nlp.model import KIND_LABELS, Plan
from nlp.readers import SUFFIXES

DERIVED_META = ("page", "form", "layout", "reader_notes")  # computed on every read, never stored beside the file
SUFFIX_OF_FORM = {"txt": ".txt", "docx": ".docx", "doc": ".doc", "pdf": ".pdf", "html": ".html"}


class IngestError(ValueError):
    """A plan that cannot be added as asked (slug in use, bad slug)."""


def slug_for(name: str) -> str:
    """A URL-safe plan id from a file name."""
    return re.sub(r"[^\w-]+", "-", Path(name).stem).strip("-").lower() or "plan"


def level_of(title: str) -> str:
    """Administrative level from a plan title (益阳市… → 市, 桃江县… → 县); 市 when it does not say."""
    m = re.search(r"(省|自治区|市|州|盟|县|旗|区)(?=[^省市县区州旗盟]*(?:妇女|儿童|发展规划|纲要|规划))", title)
    return {"自治区": "省", "州": "市", "盟": "市", "旗": "县"}.get(m.group(1), m.group(1)) if m else "市"


def added_files() -> list[Path]:
    """Plan files added with `kb add` or the upload, in a stable order (any supported form)."""
    return sorted(p for p in paths.plans_dir().iterdir() if p.suffix.lower() in SUFFIXES and p.is_file())


def prepare(src: Path, slug: str | None = None, title: str | None = None, level: str | None = None) -> Plan:
    """Analyse a plan file as it would be published (the build's learned factors and repair reviews); raises
    PlanFormatError or IngestError, writes nothing. publish() builds from this very analysis."""
    from kb.build import build_factors, repair_rows
    from kb.build_cache import analyse
    from nlp.pipeline import load_meta

    slug = slug or slug_for(src.name)
    if not re.fullmatch(r"[\w-]{1,80}", slug):
        raise IngestError(f"无效的 slug: {slug!r}")
    taken = {f.stem: f for f in [paths.DEFAULT_PLAN, *added_files()]}
    if slug in taken and taken[slug].parent != paths.plans_dir():
        raise IngestError(f"slug {slug!r} 已被 {taken[slug].name} 使用,请另取一个")
    meta: dict[str, Any] = {**load_meta(src), "slug": slug}
    if title:
        meta["title"] = title
    meta["level"] = level or meta.get("level") or level_of(meta.get("title") or src.stem)
    plan = analyse(src, build_factors(), meta, repair_rows().get(slug, []))
    plan.meta.setdefault("title", plan.title)
    return plan


def publish(src: Path, plan: Plan) -> Path:
    """Copy the file into the plans folder (its form's suffix) with its metadata, and rebuild from prepare()'s
    analysis (the plan is not analysed a second time); undo on failure."""
    from kb.build import build
    from nlp.pipeline import load_meta

    slug = plan.id
    form = plan.meta.get("form", "txt")
    dest = paths.plans_dir() / f"{slug}{SUFFIX_OF_FORM[form]}"
    meta_path = paths.plans_dir() / f"{slug}.json"
    meta = {k: v for k, v in plan.meta.items() if k not in DERIVED_META}
    meta["slug"], meta["title"] = slug, plan.title
    replaced = [p for p in added_files() if p.stem == slug] + [p for p in (meta_path,) if p.exists()]
    backup = [(p, p.read_bytes()) for p in replaced]  # a re-add replaces a plan, whatever its old form
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.copyfile(src, tmp)
    for p in replaced:
        p.unlink()
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(dest)
    # The metadata as nlp.pipeline.analyse_file composes it when reading dest: the stored file's, then what reading
    # derived; so the rows written from this analysis equal those of analysing the published file again.
    derived: dict[str, Any] = {k: plan.meta[k] for k in ("reader_notes", "page", "form", "layout") if k in plan.meta}
    plan.meta = {**load_meta(dest), **derived}
    try:
        build(prepared={dest: plan})
    except BaseException:
        # A build that fails with the new plan must not leave it behind to break every later build.
        for p in (dest, meta_path):
            p.unlink(missing_ok=True)
        for p, data in backup:
            p.write_bytes(data)
        raise
    return dest


def report(plan: Plan, first: int = 8) -> dict[str, Any]:
    """The parse report: items per domain and kind, warnings, repairs, layout fixes and the first items."""
    counts = Counter((it.domain or "(无领域)", it.kind) for it in plan.items)
    per_domain: dict[str, dict[str, int]] = {}
    for (domain, kind), n in counts.items():
        per_domain.setdefault(domain, {})[kind] = n
    shown = [it for it in plan.items if it.kind in ("goal", "measure")] or plan.items
    applied = sum(r.applied for r in plan.repairs)
    return {
        "slug": plan.id,
        "title": plan.title,
        "form": plan.meta.get("form", "txt"),
        "reader_notes": plan.meta.get("reader_notes", []),
        "item_count": len(plan.items),
        "per_domain": per_domain,
        "kind_labels": {k: KIND_LABELS.get(k, k) for k in {it.kind for it in plan.items}},
        "warnings": plan.warnings,
        "repairs": {"applied": applied, "suggested": len(plan.repairs) - applied},
        "layout": Counter(f["rule"] for f in plan.meta.get("layout", [])),
        "first_items": [
            {"id": it.id, "kind": it.kind, "domain": it.domain, "number": it.number, "title": it.title, "text": it.text}
            for it in shown[:first]
        ],
    }
