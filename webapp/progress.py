"""进度报告 pages: a department's duties to report on, the report form with evidence, the 妇儿工委办's overview;
the writes are in webapp.progress_writes, the offline packet, the 通报 and the changes feed in
webapp.progress_files. Every page has a JSON twin.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import RequestEntityTooLarge

from kb.monitoring.workbook import ImportRejected
from kb.progress import ProgressError, rules, service
from kb.progress.board import Board
from kb.progress.packet import MAX_BYTES as PACKET_MAX_BYTES
from kb.progress.scope import scope
from kb.progress.store import may_write
from kb.store.durable import durable_connection
from webapp.permissions import ADMIN, EDITORS, REPORTER, SIGNED_IN, permit
from webapp.render import error_response, twin, wants_json
from webapp.timefmt import plan_today

bp = Blueprint("progress", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
WRITERS = (ADMIN, REPORTER)
# Requests carrying files may be larger than the app's default limit (attachments, packets).
_UPLOADS = {
    "progress.save_report",
    "progress.save_report_api",
    "progress.attach_api",
    "progress.packet_upload",
    "progress.packet_upload_api",
}


@bp.url_value_preprocessor
def _upload_limit(endpoint: str | None, _values: dict | None) -> None:
    """Runs before the CSRF check reads the form, so the larger limit applies to these uploads only."""
    if endpoint in _UPLOADS:
        request.max_content_length = int(rules()["attachments"]["max_bytes"]) + (256 << 10)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_exc: RequestEntityTooLarge):
    """An upload over the request limit is refused before any view runs: name the file limit, not "内容过大"."""
    if request.endpoint in ("progress.packet_upload", "progress.packet_upload_api"):
        message = f"文件过大,填报包最大 {PACKET_MAX_BYTES >> 20} MB"
    else:
        message = f"文件过大,单个佐证材料最大 {int(rules()['attachments']['max_bytes']) >> 20} MB"
    return error_response(413, message + ",未保存任何内容")


@bp.app_errorhandler(ProgressError)
def _progress_error(exc: ProgressError):
    # A page asked for with a bad ?period= or ?plan= is a bad request (400 请求有误, like search's bad parameters),
    # not 422 提交内容有误: nothing was submitted.
    status = 400 if exc.status == 422 and request.method in ("GET", "HEAD") else exc.status
    return error_response(status, str(exc))


@bp.app_errorhandler(ImportRejected)
def _rejected(exc: ImportRejected):
    if wants_json():
        body = {"ok": False, "status": 422, "error": str(exc), "errors": [str(e) for e in exc.errors]}
        return jsonify(body), 422
    return render_template(
        "progress/import_result.html",
        errors=[str(e) for e in exc.errors],
        changes=[],
        title="填报包未导入",
        dept=request.view_args.get("name") if request.view_args else "",
    ), 422


@bp.teardown_app_request
def _close(_exc) -> None:
    conn = g.pop("progress_conn", None)
    if conn is not None:
        conn.close()


def request_board(plan: str | None = None, period: str | None = None) -> Board:
    """One Board per request over a read connection (closed at teardown)."""
    if "progress_board" not in g:
        g.progress_conn = durable_connection()
        g.progress_board = Board(
            g.progress_conn,
            scope(),
            plan=plan or request.args.get("plan") or None,
            period=period or request.args.get("period") or None,
            # the offices' date, as the pages' times are: the server's UTC date said 今天 12-03 beside a
            # report updated 12-04 01:49, and moved deadlines and the current period eight hours late
            today=plan_today(),
        )
    return g.progress_board


def known_department(name: str) -> str:
    """The canonical name of a department in an address (any alias); 404 when there is no such department."""
    try:
        return service.canonical(name)
    except ProgressError as exc:
        abort(404, description=str(exc))


def readable_department(name: str) -> str:
    """The canonical department the signed-in user may see; 404 unknown, 403 another department's."""
    dept = known_department(name)
    service.may_read(g.user, dept)
    return dept


def writable_department(name: str) -> str:
    """The canonical department the signed-in user may write for; 404 unknown, 403 (saying 填报) another's."""
    dept = known_department(name)
    may_write(g.user, dept)
    return dept


def feed_token(dept: str) -> str:
    """The secret part of a department's feed address (feed readers cannot sign in)."""
    key = current_app.config["SECRET_KEY"]
    key = key if isinstance(key, bytes) else str(key).encode()
    return hmac.new(key, f"progress-feed:{dept}".encode(), hashlib.sha256).hexdigest()[:32]


# -- pages ----------------------------------------------------------------------------------------
@permit(bp, *SIGNED_IN)
@bp.get("/progress")
def index():
    if g.user["role"] == REPORTER:
        return redirect(url_for("progress.department_page", name=g.user["department"]))
    return redirect(url_for("progress.overview_page"))


@permit(bp, *EDITORS)
@twin(bp, "/progress/overview", "progress/overview.html")
def overview_page() -> dict[str, Any]:
    b = request_board()
    ov = b.overview()
    for d in ov["departments"]:
        d["url"] = url_for("progress.department_page", name=d["name"], period=b.period.code)
    for d in ov["domains"]:
        d["url"] = url_for("progress.domain_page", code=d["domain_code"] or "other", period=b.period.code)
    return {
        **ov,
        "title": "进度报告总览",
        "statuses": rules()["statuses"],
        "cadences": rules()["cadences"],
        "lights": rules()["lights"],
        "bulletins": {
            fmt: url_for("progress.bulletin_download", fmt=fmt, period=b.period.code) for fmt in ("docx", "xlsx")
        },
    }


@permit(bp, *EDITORS)
@twin(bp, "/progress/domain/<code>", "progress/domain.html")
def domain_page(code: str) -> dict[str, Any]:
    b = request_board()
    rows = [
        {**r, "department": d, "url": url_for("progress.report_page", name=d, item_id=r["id"], period=b.period.code)}
        for d in b.s.departments()
        for r in b.rows(d)
        if (r["domain_code"] or "other") == code
    ]
    if not rows:
        abort(404, description=f"本报告期没有领域“{code}”的条目")
    return {
        "code": code,
        "domain": rows[0]["domain"],
        "period": b.period.as_dict(),
        "rows": rows,
        "counts": {k: sum(r["light"] == k for r in rows) for k in ("red", "yellow", "green")},
        "title": f"{rows[0]['domain']} 进度",
    }


@permit(bp, *SIGNED_IN)
@twin(bp, "/progress/department/<name>", "progress/department.html")
def department_page(name: str) -> dict[str, Any]:
    dept = readable_department(name)
    b = request_board()
    rows = [
        {**r, "url": url_for("progress.report_page", name=dept, item_id=r["id"], period=b.period.code)}
        for r in b.rows(dept)
    ]
    return {
        "department": b.department(dept),
        "rows": rows,
        "period": b.period.as_dict(),
        "periods": b.periods(),
        "plan": b.plan,
        "plan_title": b.s.plans[b.plan]["title"],
        "can_write": g.user["role"] == ADMIN or g.user.get("department") == dept,
        "packet_url": url_for("progress.packet_download", name=dept, period=b.period.code),
        "changes_url": url_for("progress.changes_page", name=dept),
        "title": f"{dept} 进度报告",
    }


@permit(bp, *SIGNED_IN)
@twin(bp, "/progress/department/<name>/item/<item_id>", "progress/report.html")
def report_page(name: str, item_id: str) -> dict[str, Any]:
    dept = readable_department(name)
    b = request_board()
    item, _duty = service.duty(b.s, item_id, dept)
    row = next(r for r in b.rows(dept) if r["id"] == item_id) if item["plan"] == b.plan else None
    if row is None:
        abort(404, description="该条目不属于当前规划的报告期")
    detail = b.report_detail(item_id, dept)
    for a in detail["attachments"]:
        a["url"] = url_for("progress.attachment_download", aid=a["id"])
    report = detail.pop("report")
    detail.pop("item")  # the id; the page's "item" is the item itself
    return {
        "department": dept,
        "item": {
            "id": item["id"],
            "title": item["title"],
            "text": item["text"],
            "domain": item["domain"],
            "url": url_for("items.item_page", item_id=item["id"]),
        },
        "row": row,
        **detail,
        "fields": {
            k: (report or {}).get(k, "") for k in ("status", "progress", "next_steps", "difficulties", "evidence")
        },
        "version": report["version"] if report else 0,
        "period": b.period.as_dict(),
        "statuses": rules()["statuses"],
        "allowed_files": sorted(set(rules()["attachments"]["extensions"])),
        "max_mb": int(rules()["attachments"]["max_bytes"]) >> 20,
        "can_write": g.user["role"] == ADMIN or g.user.get("department") == dept,
        "is_admin": g.user["role"] == ADMIN,
        "title": f"{dept} · {item['title']}",
    }


from webapp import progress_files, progress_writes  # noqa: E402, F401  (register the writes, packet, 通报, feed on bp)
