"""`kb user add|list|passwd|disable|enable|role`: accounts of the web app (reviewers, admins, reporters)."""

from __future__ import annotations

import getpass
import sys

from kb.errors import UserError
from kb.store.users import ROLES


def register(sub) -> None:
    p = sub.add_parser("user", help="审核员账号 (reviewer accounts)")
    us = p.add_subparsers(dest="user_command", metavar="ACTION")
    a = us.add_parser("add", help="新建账号")
    a.add_argument("name")
    a.add_argument("--role", default="reviewer", choices=ROLES)
    a.add_argument("--dept", help="填报员所属部门 (any alias; required for --role reporter)")
    a.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码 (first line)")
    a.set_defaults(func=cmd_add)
    ls = us.add_parser("list", help="列出账号")
    ls.set_defaults(func=cmd_list)
    pw = us.add_parser("passwd", help="修改密码")
    pw.add_argument("name")
    pw.add_argument("--password-stdin", action="store_true")
    pw.set_defaults(func=cmd_passwd)
    for action, label in (("disable", "停用账号"), ("enable", "启用账号")):
        d = us.add_parser(action, help=label)
        d.add_argument("name")
        d.set_defaults(func=cmd_active, active=action == "enable")
    r = us.add_parser("role", help="修改角色与绑定部门")
    r.add_argument("name")
    r.add_argument("--role", required=True, choices=ROLES)
    r.add_argument("--dept")
    r.set_defaults(func=cmd_role)
    p.set_defaults(func=lambda args: (p.print_help(), 1)[1])


def _read_password(from_stdin: bool) -> str:
    """First line of stdin, or an interactive prompt asked twice."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UserError("没有终端可输入密码;请使用 --password-stdin")
    first = getpass.getpass("密码: ")
    if first != getpass.getpass("再次输入密码: "):
        raise UserError("两次输入的密码不一致")
    return first


def cmd_add(args) -> int:
    from kb.store.users import AccountError, add_user, role_and_department

    try:
        if args.role == "reporter" or args.dept:  # refuse a bad department before asking for a password
            role_and_department(args.role, args.dept)
        user = add_user(args.name, _read_password(args.password_stdin), args.role, department=args.dept)
    except AccountError as exc:
        raise UserError(str(exc)) from exc
    print(f"已创建账号 {user['name']} ({user['role']}{' · ' + user['department'] if user['department'] else ''})")
    return 0


def cmd_list(args) -> int:
    from kb.store.users import list_users

    users = list_users()
    if not users:
        print("尚无账号;用 `python -m kb user add NAME` 创建", file=sys.stderr)
    for u in users:
        state = "启用" if u["active"] else "停用"
        dept = u["department"] or "-"
        print(
            f"{u['name']}\t{u['role']}\t{dept}\t{state}\t创建 {u['created_at']}\t最近登录 {u['last_login_at'] or '-'}"
        )
    return 0


def cmd_passwd(args) -> int:
    from kb.store.users import AccountError, set_password

    try:
        set_password(args.name, _read_password(args.password_stdin))
    except AccountError as exc:
        raise UserError(str(exc)) from exc
    print(f"已修改 {args.name} 的密码")
    return 0


def cmd_active(args) -> int:
    from kb.store.users import AccountError, set_active

    try:
        set_active(args.name, args.active)
    except AccountError as exc:
        raise UserError(str(exc)) from exc
    print(f"已{'启用' if args.active else '停用'}账号 {args.name}")
    return 0


def cmd_role(args) -> int:
    from kb.store.users import AccountError, set_role

    try:
        user = set_role(args.name, args.role, args.dept)
    except AccountError as exc:
        raise UserError(str(exc)) from exc
    print(f"{user['name']}: {user['role']}{' · ' + user['department'] if user['department'] else ''}")
    return 0
