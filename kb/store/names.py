"""Account names and passwords: NFKC + case-folded keys, look-alike names refused, a small password policy."""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
MAX_NAME = 64
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # argon2 hashes any length; a cap keeps one request's hashing bounded
_FORBIDDEN = set("/\\<>\"'&")
# Scripts whose letters can pass for each other; a name may use at most one of them (Han etc. mix freely).
_LOOKALIKE_SCRIPTS = {"LATIN", "CYRILLIC", "GREEK"}


class AccountError(ValueError):
    """A bad user name, password or role (message in Chinese, shown to the user as is)."""


def _lines(name: str) -> list[str]:
    text = (DATA / name).read_text(encoding="utf-8")
    return [ln.rstrip("\n") for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


@lru_cache(maxsize=1)
def _confusables() -> dict[str, str]:
    """Letter → the Latin letter it looks like (kb/data/confusables.tsv)."""
    out = {}
    for ln in _lines("confusables.tsv"):
        src, dst = ln.split("\t")[:2]
        out[src] = dst
    return out


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The refused common passwords (kb/data/common_passwords.txt), case-folded."""
    return frozenset(ln.strip().casefold() for ln in _lines("common_passwords.txt"))


def normalise(name: str) -> str:
    """The name as stored and shown: NFKC (full-width letters become ASCII), outer spaces dropped."""
    return unicodedata.normalize("NFKC", name or "").strip()


def key(name: str) -> str:
    """What two names must differ in to be two accounts: NFKC, case-folded."""
    return unicodedata.normalize("NFKC", normalise(name).casefold())


def skeleton(name: str) -> str:
    """The key with look-alike letters of other scripts mapped to Latin: equal skeletons look the same."""
    table = _confusables()
    return "".join(table.get(ch, ch) for ch in key(name))


def _script(ch: str) -> str:
    try:
        return unicodedata.name(ch).split()[0]
    except ValueError:
        return "UNKNOWN"


def check_name(name: str) -> str:
    """The normalised name, or AccountError when it cannot be an account name."""
    name = normalise(name)
    if not 1 <= len(name) <= MAX_NAME:
        raise AccountError(f"用户名须为 1–{MAX_NAME} 个字符")
    for ch in name:
        cat = unicodedata.category(ch)
        # Z* spaces, C* controls and invisible format characters (zero-width space, bidi marks)
        if cat[0] in "ZC" or ch in _FORBIDDEN:
            raise AccountError("用户名不能含空格、不可见字符、斜杠、引号或尖括号")
    scripts = {_script(ch) for ch in name if ch.isalpha()} & _LOOKALIKE_SCRIPTS
    if len(scripts) > 1:
        raise AccountError("用户名不能混用拉丁、西里尔、希腊字母(易与其他账号混淆)")
    return name


def check_password(password: str, name: str = "") -> None:
    """AccountError unless the password is long enough, not all spaces, not common and not the name."""
    password = password or ""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 个字符")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"密码最多 {MAX_PASSWORD} 个字符")
    if not password.strip():
        raise AccountError("密码不能全是空格")
    folded = unicodedata.normalize("NFKC", password).casefold()
    if len(set(folded)) == 1:
        raise AccountError("密码不能是同一个字符的重复")
    if folded in common_passwords():
        raise AccountError("这个密码太常见,容易被猜中,请换一个")
    if name and folded == key(name):
        raise AccountError("密码不能与用户名相同")
