"""A full disk and a read-only data dir (issue 14), on real mounts: a tmpfs of 2 MB filled up, and a read-only bind
mount of the data dir. Writes are refused with a clear message (503 in the API's error shape, nothing half
written), every review made before is still there, and read pages keep serving. Needs root and mount(8); the
mounts are removed in a finally."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ITEM = "yiyang-children-2021-2025:health-m4"


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


@contextlib.contextmanager
def _mounted(*args: str, target: Path):
    try:
        _mount(*args, str(target))
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"mount not permitted here: {exc}")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], capture_output=True)


def _client(data: Path):
    from kb.reviews import snapshot
    from webapp import create_app

    snapshot.reset()
    return create_app({"TESTING": True, "KB_DATA_DIR": str(data)}).test_client()


def _note(client, token: str, body: str):
    return client.post(
        f"/api/items/{ITEM}/review", json={"action": "note.add", "body": body}, headers={"X-CSRF-Token": token}
    )


def _notes(client) -> list[str]:
    return [n["body"] for n in client.get(f"/api/items/{ITEM}").get_json()["reviews"]["notes"]]


pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("mount"), reason="needs root and mount(8)")


@pytest.mark.slow
def test_full_disk_refuses_writes_clearly_and_loses_nothing(built_kb, tmp_path, monkeypatch):
    from monitoring_helpers import signed_in

    mnt = tmp_path / "small"
    mnt.mkdir()
    with _mounted("-t", "tmpfs", "-o", "size=2m", "tmpfs", target=mnt):
        data = mnt / "data"
        data.mkdir()
        (data / "current").symlink_to((built_kb / "current").resolve(), target_is_directory=True)
        monkeypatch.setenv("KB_DATA_DIR", str(data))
        client = _client(data)
        token = signed_in(client)
        assert _note(client, token, "写满之前的备注").status_code == 200
        filler = mnt / "filler"
        with open(filler, "wb") as f, contextlib.suppress(OSError):  # fill the disk to the last byte
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        resp = _note(client, token, "写满之后的备注" * 50)
        assert resp.status_code == 503, resp.get_data(as_text=True)[:300]
        body = resp.get_json()
        assert body["ok"] is False and "未保存" in body["error"]
        for url in ("/", f"/items/{ITEM}", "/departments/市卫健委", "/search?q=近视", "/monitoring"):
            assert client.get(url).status_code == 200, url  # reading needs no free space
        assert _notes(client) == ["写满之前的备注"]
        filler.unlink()  # space again: writing works again, and nothing was lost
        assert _note(client, token, "腾出空间之后").status_code == 200
        assert _notes(client) == ["写满之前的备注", "腾出空间之后"]


def test_read_only_data_dir_refuses_writes_clearly_and_pages_serve(built_kb, tmp_path, monkeypatch):
    from monitoring_helpers import signed_in

    data = tmp_path / "data"
    data.mkdir()
    (data / "current").symlink_to((built_kb / "current").resolve(), target_is_directory=True)
    monkeypatch.setenv("KB_DATA_DIR", str(data))
    client = _client(data)
    token = signed_in(client)
    assert _note(client, token, "只读之前的备注").status_code == 200
    ro = tmp_path / "ro"
    ro.mkdir()
    with _mounted("--bind", str(data), target=ro):
        _mount("-o", "remount,bind,ro", str(ro))
        with pytest.raises(OSError):
            (ro / "probe").write_text("x")  # the mount really is read-only
        monkeypatch.setenv("KB_DATA_DIR", str(ro))
        client.application.config["KB_DATA_DIR"] = str(ro)  # same app and session, now over the read-only dir
        from kb.reviews import snapshot

        snapshot.reset()
        for url in ("/", f"/items/{ITEM}", "/departments/市卫健委", "/search?q=近视", "/monitoring"):
            assert client.get(url).status_code == 200, url
        resp = _note(client, token, "只读之后的备注")
        assert resp.status_code in (403, 503), resp.get_data(as_text=True)[:300]
        assert resp.get_json()["ok"] is False
    monkeypatch.setenv("KB_DATA_DIR", str(data))
    assert _notes(_client(data)) == ["只读之前的备注"]  # nothing lost, nothing half written
