"""Web upload: signed-in office staff only, parse report before publishing, bad files refused with nothing written."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from forms import to_docx
from kb_helpers import copy_analyses

from nlp.reader import read_plan_file

REAL = Path(__file__).parent / "fixtures" / "real"


def _token(client) -> str:
    page = client.get("/upload").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _post(client, name: str, data: bytes, **fields):
    body = {"csrf_token": _token(client), "file": (io.BytesIO(data), name), **fields}
    return client.post("/upload", data=body, content_type="multipart/form-data")


def _leftovers(data_dir: Path) -> list[Path]:
    folders = [data_dir / d for d in ("uploads", "plans") if (data_dir / d).exists()]
    return [p for f in folders for p in f.rglob("*") if p.is_file()]


def test_upload_needs_a_signed_in_office_user(client):
    assert client.get("/upload").status_code == 302
    assert client.get("/api/upload").status_code == 401


def test_reporters_may_not_upload(client, web_data):
    from web_support import sign_in

    from kb.store.users import add_user

    add_user("wj", "Correct-horse-9", role="reporter", department="市卫健委")
    sign_in(client, "wj", "Correct-horse-9")
    assert client.get("/upload").status_code == 403


@pytest.mark.parametrize(
    "name,data,status,needle",
    [
        ("plan.exe", b"MZ\x90\x00", 415, "不支持的文件类型"),
        ("plan.docx", b"PK\x03\x04" + bytes(64), 422, "ZIP"),
        ("plan.txt", "今天天气很好。".encode(), 422, "未识别出规划结构"),
        ("plan.pdf", b"%PDF-1.4\n garbage", 422, "PDF 文件已损坏"),
    ],
)
def test_bad_uploads_are_refused_and_leave_nothing(reviewer, web_data, name, data, status, needle):
    resp = _post(reviewer, name, data)
    assert resp.status_code == status
    assert needle in resp.get_data(as_text=True)
    assert _leftovers(web_data) == []


def test_oversized_upload_is_refused_before_it_is_read(reviewer, web_data):
    body = b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n\r\n' + b"x" * (21 << 20)
    resp = reviewer.post("/upload", data=body, content_type="multipart/form-data; boundary=b")
    assert resp.status_code == 413 and "过大" in resp.get_data(as_text=True)
    assert _leftovers(web_data) == []


def test_report_then_publish_then_search(reviewer, web_data, built_kb):
    copy_analyses(built_kb, web_data)  # publishing rebuilds: the default plan's analysis as a build before left it
    data = to_docx(read_plan_file(REAL / "04_city_children_2011.txt").text)
    resp = _post(reviewer, "城市儿童规划.docx", data, title="某市儿童发展规划(2011-2020年)", slug="city-children-2011")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'data-testid="parse-report"' in html
    assert "Word 文档" in html and "儿童与教育" in html and "领域留空" in html  # counts, form and warnings
    assert "保障所有儿童享有公平教育" in html  # the first items as they will appear
    assert not (web_data / "plans").exists() or not list((web_data / "plans").iterdir())  # nothing published yet
    token = re.search(r"/upload/([\w-]+)/publish", html).group(1)
    resp = reviewer.post(f"/upload/{token}/publish", data={"csrf_token": _token(reviewer)})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/plans/city-children-2011")
    assert (web_data / "plans" / "city-children-2011.docx").read_bytes() == data  # stored as uploaded
    assert not list((web_data / "uploads").iterdir())  # the staging copy is gone
    page = reviewer.get("/plans/city-children-2011").get_data(as_text=True)
    assert 'data-testid="plan-warnings"' in page and "领域留空" in page
    api = reviewer.get("/api/plans/city-children-2011").get_json()
    assert api["source"]["form"] == "docx" and any("领域留空" in w for w in api["warnings"])
    hits = reviewer.get("/api/search?q=学前教育").get_json()
    assert any(h["id"].startswith("city-children-2011:") for h in hits["results"])
    again = reviewer.post(f"/upload/{token}/publish", data={"csrf_token": _token(reviewer)})
    assert again.status_code == 404  # a token publishes once
