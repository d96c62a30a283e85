"""Bearer tokens for systems and people: only a hash is stored, so a database copy leaks none."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import Connection, bindparam, insert, select, update

from .access import Actor
from .areas import township_problems, with_area
from .definitions import OBSERVER_ROLES, ROLES
from .errors import InvalidPayload, NotAuthenticated, NotFound
from .payloads import limit, unprintable
from .store.db import Prepared
from .store.schema import agencies, tokens

PREFIX = "xsf_"


def token_hash(secret: str) -> str:
    # The secrets are 256-bit random, so a fast hash suffices: there is nothing to brute-force.
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(conn: Connection, *, name: str, role: str, agency: str | None, now: datetime,
                 expires_at: datetime | None = None) -> str:
    """Stores a new token's hash and returns the token itself, which is shown only this once."""
    problems: dict[str, list[str]] = {}
    if not name.strip():
        problems["name"] = ["请填写令牌名称（使用者或系统名称）。"]
    elif len(name.strip()) > limit(tokens.c.name) or unprintable(name, multiline=False):
        problems["name"] = [unprintable(name, multiline=False) or f"令牌名称不能超过 {limit(tokens.c.name)} 个字。"]
    if role not in ROLES | OBSERVER_ROLES:
        problems["role"] = [f"角色应为 {', '.join(sorted(ROLES | OBSERVER_ROLES))} 之一。"]
    if role in ("clerk", *OBSERVER_ROLES) and not agency:
        problems["agency"] = [f"{role} 的令牌必须指定所属单位（如检察院 jcy）。" if role != "clerk" else
                              "经办人员（clerk）的令牌必须指定所属单位。"]
    if role == "township":
        problems.update(township_problems(conn, agency))
    if agency and conn.execute(select(agencies.c.code).where(agencies.c.code == agency)).first() is None:
        problems["agency"] = [f"没有代码为“{agency}”的单位；请先运行 xsflow init 载入单位名录。"]
    if problems:
        raise InvalidPayload("令牌参数有误。", problems)
    secret = PREFIX + secrets.token_urlsafe(32)
    conn.execute(insert(tokens).values(name=name.strip(), role=role, agency_code=agency or None,
                                       token_hash=token_hash(secret), created_at=now, expires_at=expires_at))
    return secret


_TOKEN = Prepared(select(tokens).where(tokens.c.token_hash == bindparam("token_hash")))  # every request: built once


def authenticate(conn: Connection, header: str | None, now: datetime) -> Actor:
    """The caller behind an `Authorization: Bearer …` header, or NotAuthenticated."""
    if not header:
        raise NotAuthenticated("缺少访问令牌：请在请求头中提供 Authorization: Bearer <令牌>。")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise NotAuthenticated("访问令牌格式有误：应为 Authorization: Bearer <令牌>。")
    found = _TOKEN.rows(conn, {"token_hash": token_hash(secret.strip())})
    row = found[0] if found else None
    if row is None:
        raise NotAuthenticated("访问令牌无效：请向系统管理员申领令牌。")
    if row["revoked_at"] is not None:
        raise NotAuthenticated("访问令牌已被吊销：请向系统管理员重新申领。")
    if row["expires_at"] is not None and row["expires_at"] <= now:
        raise NotAuthenticated("访问令牌已过期：请向系统管理员重新申领。")
    return with_area(conn, Actor(name=row["name"], role=row["role"], agency=row["agency_code"], token_id=row["id"]))


def revoke_token(conn: Connection, now: datetime, *, name: str | None = None, token_id: int | None = None) -> int:
    """Revokes every live token with that name, or the one with that id (never both: a token named
    "3" is not the token numbered 3); returns how many."""
    if (name is None) == (token_id is None):
        raise InvalidPayload("请给出令牌名称或令牌编号二者之一。", {})
    cond = tokens.c.name == name if name is not None else tokens.c.id == token_id
    result = conn.execute(update(tokens).where(cond, tokens.c.revoked_at.is_(None)).values(revoked_at=now))
    if result.rowcount == 0:
        what = f"名为“{name}”的" if name is not None else f"编号为 {token_id} 的"
        raise NotFound(f"没有{what}有效令牌。")
    return result.rowcount
