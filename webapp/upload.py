"""Upload another plan in any form (Word, PDF, saved web page, text): parse report first, then publish.

Publishing runs the same code as `kb add` (kb.ingest.prepare + publish). The file waits in a private staging
folder between the two steps; a refused file is deleted at once, so a bad upload leaves nothing behind.
"""

from __future__ import annotations

import re
import secrets
import shutil
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, abort, flash, g, jsonify, redirect, render_template, request, url_for

from kb import paths
from kb.build import BuildBusy
from kb.ingest import IngestError, prepare, publish, report
from nlp.reader import PlanFormatError
from nlp.readers import FORM_LABELS, SUFFIXES
from webapp.render import error_response, wants_json

bp = Blueprint("upload", __name__)
UPLOAD_MAX = 20 << 20  # bytes: a plan with scanned-free pages is far smaller
LEVELS = ("省", "市", "县", "区")
_TOKEN = re.compile(r"^[\w-]{16,64}$")


def init_app(app: Flask) -> None:
    """Uploads may be larger than other posts: the limit is raised before anything (the CSRF check) reads the body."""

    @app.before_request
    def _upload_limit() -> None:
        if request.path.startswith(("/upload", "/api/upload")):
            request.max_content_length = UPLOAD_MAX


@bp.before_request
def _signed_in_office_user():
    """Only signed-in 妇儿工委办 staff (reviewers, admins) may upload."""
    user = g.get("user")
    if user is None:
        if wants_json():
            abort(401, description="请先登录审核员账号")
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
    if user.get("role") == "reporter":
        abort(403, description="填报员账号不能导入规划;请联系妇儿工委办")
    return None


def _staging(token: str) -> Path:
    if not _TOKEN.match(token):
        abort(404)
    return paths.data_dir() / "uploads" / token


def _form_values() -> dict[str, str]:
    values = {k: request.form.get(k, "").strip() for k in ("title", "slug", "level")}
    if values["level"] not in LEVELS:
        values["level"] = ""
    return values


def _context(**extra: Any) -> dict[str, Any]:
    accepted = ", ".join(SUFFIXES)
    return {
        "title": "导入规划",
        "accepted": accepted,
        "max_mb": UPLOAD_MAX >> 20,
        "levels": LEVELS,
        "form_labels": FORM_LABELS,
        **extra,
    }


def _refuse(message: str, values: dict[str, str], status: int = 400):
    if wants_json():
        return error_response(status, message)
    return render_template("upload.html", **_context(error=message, values=values)), status


@bp.get("/upload")
def upload_page():
    return render_template("upload.html", **_context(values={}))


@bp.get("/api/upload")
def upload_page_api():
    ctx = _context()
    return jsonify({"ok": True, "accepted": ctx["accepted"].split(", "), "max_bytes": UPLOAD_MAX, "levels": LEVELS})


@bp.post("/upload")
@bp.post("/api/upload", endpoint="upload_api")
def upload():
    """Stage the file, analyse it exactly as publishing would, and show the parse report."""
    values = _form_values()
    file = request.files.get("file")
    if file is None or not file.filename:
        return _refuse("请选择要导入的规划文件", values)
    name = Path(file.filename).name
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        return _refuse(f"不支持的文件类型「{suffix or name}」;可导入 {', '.join(SUFFIXES)}", values, 415)
    token = secrets.token_urlsafe(18)
    folder = _staging(token)
    folder.mkdir(parents=True)
    safe = re.sub(r"[^\w.\-]+", "-", name).strip("-.") or f"plan{suffix}"
    src = folder / (safe if safe.lower().endswith(suffix) else safe + suffix)
    file.save(src)
    try:
        plan = prepare(src, values["slug"] or None, values["title"] or None, values["level"] or None)
    except (PlanFormatError, IngestError) as exc:
        shutil.rmtree(folder, ignore_errors=True)  # a refused file leaves nothing behind
        message = exc.message if isinstance(exc, PlanFormatError) else str(exc)
        where = f"第 {exc.line} 行: " if isinstance(exc, PlanFormatError) and exc.line else ""
        return _refuse(f"{name}: {where}{message}", values, 422)
    (folder / "request.txt").write_text("\n".join([src.name, *(values[k] for k in ("slug", "title", "level"))]))
    rep = report(plan)
    if wants_json():
        return jsonify({"ok": True, "token": token, "report": rep})
    return render_template("upload.html", **_context(report=rep, token=token, filename=name, values=values))


@bp.post("/upload/<token>/publish")
@bp.post("/api/upload/<token>/publish", endpoint="publish_api")
def publish_upload(token: str):
    """Publish a staged upload: the same prepare + publish as `kb add`, then the plan's page."""
    folder = _staging(token)
    request_file = folder / "request.txt"
    if not request_file.exists():
        abort(404, description="这次上传已经发布或已过期,请重新上传")
    name, slug, title, level = [*request_file.read_text().split("\n"), "", "", ""][:4]
    src = folder / name
    try:
        plan = prepare(src, slug or None, title or None, level or None)
        publish(src, plan)
    except BuildBusy as exc:  # the staged file stays: publishing again later works
        return error_response(503, str(exc))
    except (PlanFormatError, IngestError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        return error_response(422, str(exc))
    shutil.rmtree(folder, ignore_errors=True)
    url = url_for("reader.plan_page", plan_id=plan.id)
    if wants_json():
        return jsonify({"ok": True, "plan": plan.id, "url": url, "items": len(plan.items)})
    flash(f"已发布「{plan.title}」: {len(plan.items)} 个条目, {len(plan.warnings)} 条解析提示", "ok")
    return redirect(url)
