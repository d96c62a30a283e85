"""Accounts of people who sign in to the web pages (systems use tokens instead).

Passwords are stored only as argon2id hashes (argon2-cffi). Five wrong passwords in a row lock
the account for fifteen minutes; a successful sign-in or a password reset clears the count. Too
many failures from one client address within a window refuse that address for a while
(AddressThrottle), whichever names it tries. An unknown name, a wrong password and a locked
account get one and the same answer, after the same argon2 work, so names cannot be probed.
Nothing here reads the clock: every operation is given `now`.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, delete, insert, select, update

from .access import ROLE_TITLES, Actor
from .areas import township_problems
from .errors import InvalidPayload, NotFound
from .sessions import end_sessions_of
from .store.schema import agencies, sign_in_failures, users

# People's roles; `system` is for other information systems, which hold tokens, not accounts.
PERSON_ROLES = ("clerk", "reviewer", "supervisor", "admin", "township", "procuratorate")
MAX_FAILED_ATTEMPTS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 8

# argon2id at the OWASP Password Storage Cheat Sheet's first configuration (19 MiB, 2 passes, 1 lane):
# tens of milliseconds per sign-in on the county's 2-core server. A hash made with other parameters
# is re-made with these at the next successful sign-in (check_needs_rehash).
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the user name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("xsflow: no such user")

# The one answer to an unknown name, a wrong password and a locked account (even with the right
# password): telling them apart would tell which names exist.
WRONG_CREDENTIALS = (f"用户名或密码不正确，或该账户因连续 {MAX_FAILED_ATTEMPTS} 次输错密码已被锁定 "
                     f"{int(LOCKOUT.total_seconds() // 60)} 分钟。请核对后再试；仍无法登录请联系系统管理员。")
DISABLED = "该账户已停用，请联系系统管理员。"


@dataclass(frozen=True)
class AddressThrottle:
    """`failures` failed sign-ins from one address within `window` refuse it until fewer remain
    in the window; 0 failures turns the throttle off. The defaults leave room for an office whose
    people all reach the server from one address (see docs/web.md)."""

    failures: int = 20
    window: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: str
    agency: str | None
    password_hash: str
    disabled: bool

    @property
    def actor(self) -> Actor:
        """The engine's view of this person: display name and user name, role, agency."""
        return Actor(name=f"{self.display_name}（{self.username}）", role=self.role, agency=self.agency)


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: the user, or the refusal to show (never both)."""

    user: User | None
    refusal: str | None = None
    throttled: bool = False  # refused for the client address, not the account


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _user(row: Any) -> User:
    return User(id=row["id"], username=row["username"], display_name=row["display_name"], role=row["role"],
                agency=row["agency_code"], password_hash=row["password_hash"],
                disabled=row["disabled_at"] is not None)


def password_problems(password: str, username: str = "") -> list[str]:
    """What is wrong with a new password, in words the person can act on; empty when it will do."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"密码至少 {MIN_PASSWORD_LENGTH} 个字符。")
    if not (any(c.isalpha() for c in password) and any(c.isdigit() for c in password)):
        problems.append("密码应同时包含字母和数字。")
    if username and password.strip().lower() == username.strip().lower():
        problems.append("密码不能与用户名相同。")
    return problems


def create_user(conn: Connection, *, username: str, display_name: str, role: str, agency: str | None,
                password: str, now: datetime) -> User:
    """Creates an account; raises InvalidPayload naming every problem, and stores nothing then."""
    username, display_name = username.strip(), display_name.strip()
    problems: dict[str, list[str]] = {}
    if not username or len(username) > 80 or any(c.isspace() for c in username):
        problems["username"] = ["用户名应为 1 至 80 个字符，不含空格。"]
    elif conn.execute(select(users.c.id).where(users.c.username == username)).first() is not None:
        problems["username"] = [f"用户名“{username}”已被使用。"]
    if not display_name or len(display_name) > 200:
        problems["display_name"] = ["请填写姓名（不超过 200 个字）。"]
    if role not in PERSON_ROLES:
        problems["role"] = [f"角色应为 {'、'.join(f'{r}（{ROLE_TITLES[r]}）' for r in PERSON_ROLES)} 之一。"]
    if role == "clerk" and not agency:
        problems["agency"] = ["经办人员（clerk）必须指定所属单位。"]
    if role == "township":
        problems.update(township_problems(conn, agency))
    if role == "procuratorate" and not agency:
        problems["agency"] = ["检察院（procuratorate）账户必须指定所属单位（如 jcy）。"]
    if agency and conn.execute(select(agencies.c.code).where(agencies.c.code == agency)).first() is None:
        problems["agency"] = [f"没有代码为“{agency}”的单位；请先运行 xsflow init 载入单位名录。"]
    bad_password = password_problems(password, username)
    if bad_password:
        problems["password"] = bad_password
    if problems:
        raise InvalidPayload("账户信息有误，请逐项修改。", problems)
    row = {"username": username, "display_name": display_name, "role": role, "agency_code": agency or None,
           "password_hash": hash_password(password), "failed_attempts": 0, "locked_until": None,
           "created_at": now, "disabled_at": None}
    row["id"] = conn.execute(insert(users).values(**row).returning(users.c.id)).scalar_one()
    return _user(row)


def get_user(conn: Connection, user_id: int) -> User | None:
    row = conn.execute(select(users).where(users.c.id == user_id)).mappings().first()
    return _user(row) if row is not None else None


def address_key(address: str | None) -> str:
    """Whom a failure is counted against: the IPv4 address, or the /64 an IPv6 host is given."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return (address or "unknown")[:64]
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)


def sign_in(conn: Connection, username: str, password: str, now: datetime, *, address: str | None = None,
            throttle: AddressThrottle = AddressThrottle()) -> SignIn:
    """Checks a password and counts the failure; run it in a write transaction and commit either way.

    A locked account is refused whatever the password (and the attempt is not counted against
    it), so the lock cannot be used to guess faster; its password is still verified, so that it
    takes as long as any other refusal.
    """
    where = address_key(address)
    refused = _throttled(conn, where, now, throttle)
    if refused is not None:
        return refused
    stmt = select(users).where(users.c.username == username.strip())
    if conn.dialect.name != "sqlite":  # SQLite's BEGIN IMMEDIATE already serialises writers
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).mappings().first()
    right = _verify(row["password_hash"] if row is not None else _DUMMY_HASH, password) and row is not None
    locked = row is not None and row["locked_until"] is not None and row["locked_until"] > now
    if not right or locked:
        # Written even with the throttle off: every refusal then commits a write, so none is quicker.
        conn.execute(insert(sign_in_failures).values(address=where, failed_at=now))
        if row is not None and not locked:
            failed = row["failed_attempts"] + 1
            lock = failed >= MAX_FAILED_ATTEMPTS
            conn.execute(update(users).where(users.c.id == row["id"]).values(
                failed_attempts=0 if lock else failed, locked_until=now + LOCKOUT if lock else None))
        return SignIn(None, WRONG_CREDENTIALS)
    if row["disabled_at"] is not None:
        return SignIn(None, DISABLED)  # only to someone who knows the password
    values: dict[str, Any] = {"failed_attempts": 0, "locked_until": None}
    if _hasher.check_needs_rehash(row["password_hash"]):
        values["password_hash"] = hash_password(password)  # the hasher's parameters were raised
    conn.execute(update(users).where(users.c.id == row["id"]).values(**values))
    return SignIn(_user({**row, **values}))


def _throttled(conn: Connection, where: str, now: datetime, throttle: AddressThrottle) -> SignIn | None:
    """The refusal for an address with too many recent failures, else None; forgets old failures."""
    conn.execute(delete(sign_in_failures).where(sign_in_failures.c.failed_at <= now - throttle.window))
    if not throttle.failures:
        return None
    recent = conn.execute(select(sign_in_failures.c.failed_at).where(sign_in_failures.c.address == where)
                          .order_by(sign_in_failures.c.failed_at)).scalars().all()
    if len(recent) < throttle.failures:
        return None
    until = recent[len(recent) - throttle.failures] + throttle.window  # then one fewer than the limit remains
    return SignIn(None, f"从本机地址登录失败的次数过多，已暂停从本机登录，请于 {_shanghai_time(until)}（北京时间）"
                        "以后再试，或请系统管理员协助。", throttled=True)


def reset_password(conn: Connection, username: str, password: str, now: datetime) -> User:
    """Sets a new password, lifts any lock, and ends every session signed in with the old one."""
    row = conn.execute(select(users).where(users.c.username == username.strip())).mappings().first()
    if row is None:
        raise NotFound(f"没有用户名为“{username}”的账户。")
    problems = password_problems(password, row["username"])
    if problems:
        raise InvalidPayload("新密码不符合要求。", {"password": problems})
    values = {"password_hash": hash_password(password), "failed_attempts": 0, "locked_until": None}
    conn.execute(update(users).where(users.c.id == row["id"]).values(**values))
    end_sessions_of(conn, row["id"], now)
    return _user({**row, **values})


def set_disabled(conn: Connection, username: str, disabled: bool, now: datetime) -> User:
    """Disables an account, ending its sessions at once, or enables it again."""
    row = conn.execute(select(users).where(users.c.username == username.strip())).mappings().first()
    if row is None:
        raise NotFound(f"没有用户名为“{username}”的账户。")
    values = {"disabled_at": (row["disabled_at"] or now) if disabled else None}
    conn.execute(update(users).where(users.c.id == row["id"]).values(**values))
    if disabled:
        end_sessions_of(conn, row["id"], now)
    return _user({**row, **values})


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _shanghai_time(instant: datetime) -> str:
    from .calendar import SHANGHAI

    return instant.astimezone(SHANGHAI).strftime("%H:%M")
