"""进度报告 files and feeds: the offline packet (download, preview, import), the 通报 and the "what changed for my
department" page and Atom feed. Routes on webapp.progress's blueprint."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import Response, abort, g, jsonify, render_template, request, url_for

from kb.exports.safety import content_disposition, safe_filename
from kb.labels import CHANGE_KIND
from kb.progress import bulletin, packet, service
from webapp.permissions import EDITORS, SIGNED_IN, permit
from webapp.progress import (
    DOCX,
    WRITERS,
    XLSX,
    bp,
    feed_token,
    known_department,
    readable_department,
    request_board,
    writable_department,
)
from webapp.render import twin, wants_json


# -- packet, 通报 -----------------------------------------------------------------------------------
@permit(bp, *SIGNED_IN)
@bp.get("/progress/department/<name>/packet.xlsx")
def packet_download(name: str):
    dept = readable_department(name)
    b = request_board()
    data = packet.template(b, dept)
    resp = Response(data, mimetype=XLSX)
    resp.headers["Content-Disposition"] = content_disposition(
        safe_filename(f"{dept}-{b.period.code}-进度填报包", "xlsx")
    )
    return resp


def _uploads_dir():
    from kb import paths

    return paths.data_dir() / "progress-uploads"


@permit(bp, *WRITERS)
@bp.post("/progress/department/<name>/packet", endpoint="packet_upload")
@bp.post("/api/progress/department/<name>/packet", endpoint="packet_upload_api")
def packet_upload(name: str):
    """Preview (default) or commit a packet; the preview keeps the file under its hash for the confirm step."""
    dept = writable_department(name)
    upload = request.files.get("file")
    held = request.form.get("upload", "")
    if upload is not None and upload.filename:
        data = upload.read()
    elif len(held) == 64 and all(c in "0123456789abcdef" for c in held) and (_uploads_dir() / held).exists():
        data = (_uploads_dir() / held).read_bytes()
    else:
        abort(400, description="请选择要导入的填报包(xlsx)")
    commit = request.form.get("action") == "commit"
    result = service.import_packet(g.user, data, commit=commit, department=dept)
    digest = hashlib.sha256(data).hexdigest()
    if not commit:
        _uploads_dir().mkdir(parents=True, exist_ok=True)
        (_uploads_dir() / digest).write_bytes(data)
    elif (_uploads_dir() / digest).exists():
        (_uploads_dir() / digest).unlink()
    if wants_json():
        return jsonify({"ok": True, **result})
    return render_template(
        "progress/import_result.html",
        errors=[],
        changes=result["changes"],
        committed=commit,
        upload=digest,
        dept=dept,
        period=result["period"],
        period_label=result["period_label"],
        title="填报包已导入" if commit else "填报包导入预览",
    )


@permit(bp, *EDITORS)
@bp.get("/progress/bulletin.<fmt>")
def bulletin_download(fmt: str):
    if fmt not in ("docx", "xlsx"):
        abort(404, description="通报只有 docx 和 xlsx 两种格式")
    b = request_board()
    ov = b.overview()
    flagged = [
        {**r, "department": d["name"]}
        for d in ov["departments"]
        for r in b.rows(d["name"])
        if r["light"] in ("red", "yellow")
    ]
    flagged.sort(key=lambda r: (r["light"] != "red", r["department"]))
    data = (
        bulletin.docx(ov, [r for r in flagged if r["light"] == "red"]) if fmt == "docx" else bulletin.xlsx(ov, flagged)
    )
    resp = Response(data, mimetype=DOCX if fmt == "docx" else XLSX)
    resp.headers["Content-Disposition"] = content_disposition(safe_filename(f"进度通报-{b.period.code}", fmt))
    return resp


# -- what changed ---------------------------------------------------------------------------------
def _changes(dept: str) -> dict[str, Any]:
    b = request_board()
    service.sync_duties(b.s, dept)
    near = [
        {"kind": "deadline.near", "item": r["id"], "title": r["title"], "detail": x["text"], "at": ""}
        for r in b.rows(dept)
        for x in r["rules"]
        if x["code"] in ("deadline_near", "overdue")
    ]
    events = service.events(dept)
    duties = b.s.duties(dept)
    for e in events + near:
        item = b.s.by_id.get(e["item"])
        # Some events are stored without a title (a return); the item's title is what people recognise.
        e["title"] = e["title"] or (item["title"] if item else "")
        # The report page answers only for a current duty: a cancelled one links to the item itself.
        if e["item"] in duties:
            e["url"] = url_for("progress.report_page", name=dept, item_id=e["item"])
        else:
            e["url"] = url_for("items.item_page", item_id=e["item"]) if item else ""
    return {"department": dept, "events": events, "deadlines": near, "period": b.period.as_dict()}


@permit(bp, *SIGNED_IN)
@twin(bp, "/progress/department/<name>/changes", "progress/changes.html")
def changes_page(name: str) -> dict[str, Any]:
    dept = readable_department(name)
    out = _changes(dept)
    feed = url_for("progress.changes_feed", name=dept, token=feed_token(dept), _external=True)
    return {**out, "kind_labels": CHANGE_KIND, "feed_url": feed, "title": f"{dept} 的变化"}


@bp.get("/progress/department/<name>/changes.atom")
def changes_feed(name: str):
    """Atom feed: open to a signed-in reader of the department, or to anyone holding the feed token."""
    dept = known_department(name)
    token = request.args.get("token", "")
    if not (token and hmac.compare_digest(token, feed_token(dept))):
        if g.user is None:
            abort(401, description="请先登录,或使用部门变化页面上给出的订阅地址")
        service.may_read(g.user, dept)
    out = _changes(dept)
    xml = render_template(
        "progress/feed.atom",
        **out,
        kind_labels=CHANGE_KIND,
        self_url=request.url,
        page_url=url_for("progress.changes_page", name=dept, _external=True),
    )
    return Response(xml, mimetype="application/atom+xml")
