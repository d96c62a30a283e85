"""Accounts for the web pages: argon2 hashes, lockout after repeated failures, one answer to every
wrong sign-in, throttling by client address, password reset, disabling, CLI."""
from __future__ import annotations

import os
import subprocess
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import XSFLOW, at
from xsflow.errors import InvalidPayload, NotFound
from xsflow.sessions import SessionPolicy, find_session, start_session
from xsflow.store.schema import users
from xsflow.users import (_DUMMY_HASH, LOCKOUT, MAX_FAILED_ATTEMPTS, WRONG_CREDENTIALS, AddressThrottle, _verify,
                          address_key, create_user, reset_password, set_disabled, sign_in)

PASSWORD = "Zhifa2025ok"
NOW = at("2025-03-03T09:00:00+08:00")


def make(system, username="zhangsan", role="clerk", agency="scjgj", password=PASSWORD):
    with system.db.write() as conn:
        return create_user(conn, username=username, display_name="张三", role=role, agency=agency,
                           password=password, now=NOW)


def attempt(system, password, when=NOW, username="zhangsan", address="10.1.2.3", throttle=AddressThrottle(0)):
    with system.db.write() as conn:
        return sign_in(conn, username, password, when, address=address, throttle=throttle)


def session_of(system, user, when=NOW):
    with system.db.write() as conn:
        return start_session(conn, user.id, when, SessionPolicy())


def is_open(system, token, when=NOW) -> bool:
    with system.db.read() as conn:
        return find_session(conn, token, when, SessionPolicy()) is not None


def stored(system, username="zhangsan"):
    with system.db.read() as conn:
        return conn.execute(select(users).where(users.c.username == username)).mappings().one()


def test_password_is_stored_as_an_argon2id_hash_only(system):
    """The users table holds an argon2id hash that verifies the password and does not contain it."""
    make(system)
    row = stored(system)
    assert row["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in row["password_hash"]
    assert attempt(system, PASSWORD).user.username == "zhangsan"
    assert attempt(system, PASSWORD + "x").user is None


def test_the_signed_in_person_acts_as_their_role_and_agency(system):
    """A signed-in clerk becomes an engine Actor with the clerk role, the agency, and a name that identifies the account."""
    make(system)
    actor = attempt(system, PASSWORD).user.actor
    assert (actor.role, actor.agency, actor.name) == ("clerk", "scjgj", "张三（zhangsan）")


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(system):
    """After five wrong passwords even the right one is refused until fifteen minutes have passed; then it works and the count starts again."""
    make(system)
    for i in range(MAX_FAILED_ATTEMPTS - 1):
        result = attempt(system, "wrong-password-1", NOW + timedelta(seconds=i))
        assert result.user is None and stored(system)["failed_attempts"] == i + 1
    fifth = attempt(system, "wrong-password-1", NOW + timedelta(seconds=10))
    assert fifth.refusal == WRONG_CREDENTIALS
    assert stored(system)["locked_until"] == NOW + timedelta(seconds=10) + LOCKOUT  # 09:00:10 until 09:15:10

    locked = attempt(system, PASSWORD, NOW + timedelta(minutes=15, seconds=9))
    assert locked.user is None and locked.refusal == WRONG_CREDENTIALS
    assert stored(system)["failed_attempts"] == 0  # attempts on a locked account are not counted
    assert attempt(system, PASSWORD, NOW + timedelta(minutes=15, seconds=11)).user is not None
    row = stored(system)
    assert (row["failed_attempts"], row["locked_until"]) == (0, None)


def test_a_successful_sign_in_clears_the_failure_count(system):
    """Four failures, a success, then four more failures do not lock the account."""
    make(system)
    for _ in range(4):
        attempt(system, "wrong-password-1")
    assert attempt(system, PASSWORD).user is not None
    for _ in range(4):
        attempt(system, "wrong-password-1")
    assert attempt(system, PASSWORD).user is not None


def test_unknown_user_wrong_password_and_locked_account_get_one_answer_in_like_time(system):
    """An unknown name, a wrong password, and a locked account with its right password are refused with the same words, each after an argon2 verification."""
    make(system)
    make(system, username="locked")
    for _ in range(MAX_FAILED_ATTEMPTS):
        attempt(system, "wrong-password-1", username="locked")

    def fastest(act) -> tuple[object, float]:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            result = act()
            times.append(time.perf_counter() - start)
        return result, min(times)

    (wrong, _), (unknown, t_unknown), (locked, t_locked) = (
        fastest(lambda: attempt(system, "wrong-password-1", username="zhangsan")),
        fastest(lambda: attempt(system, PASSWORD, username="nobody")),
        fastest(lambda: attempt(system, PASSWORD, username="locked")))
    assert wrong.refusal == unknown.refusal == locked.refusal == WRONG_CREDENTIALS
    # The baseline, same run: one argon2 verification alone (a wrong password's attempt also records the
    # failure, a write whose time varies with the machine's load). Without the dummy hash an unknown name
    # is answered in about a millisecond, against ~30 ms for argon2.
    _, t_hash = fastest(lambda: _verify(_DUMMY_HASH, "wrong-password-1"))
    assert t_unknown > t_hash / 2 and t_locked > t_hash / 2, (t_hash, t_unknown, t_locked)


def test_failures_from_one_address_refuse_it_whatever_the_name(system):
    """Three failures within ten minutes from one address (any names, known or not) refuse that address even with a right password, until the oldest leaves the window; another address and an IPv6 neighbour outside its /64 are not affected."""
    make(system)
    throttle = AddressThrottle(3, timedelta(minutes=10))
    for i, name in enumerate(["nobody", "zhangsan", "someone"]):
        assert attempt(system, "wrong-password-1", NOW + timedelta(minutes=i), name, throttle=throttle).user is None
    refused = attempt(system, PASSWORD, NOW + timedelta(minutes=5), throttle=throttle)
    assert refused.user is None and refused.throttled and "09:10（北京时间）以后再试" in refused.refusal
    assert attempt(system, PASSWORD, NOW + timedelta(minutes=5), address="10.9.9.9", throttle=throttle).user
    assert attempt(system, PASSWORD, NOW + timedelta(minutes=10, seconds=1), throttle=throttle).user
    assert address_key("2001:db8:1:2::5") == address_key("2001:db8:1:2:ffff::1") == "2001:db8:1:2::/64"
    assert address_key("::ffff:10.1.2.3") == "10.1.2.3"


def test_reset_password_lifts_the_lock_and_ends_old_sessions(system):
    """A reset makes the new password work at once, the old one fail, and ends the sessions opened before it."""
    before = make(system)
    token = session_of(system, before)
    for _ in range(MAX_FAILED_ATTEMPTS):
        attempt(system, "wrong-password-1")
    with system.db.write() as conn:
        reset_password(conn, "zhangsan", "Xinmima2025", NOW)
    assert not is_open(system, token)
    assert attempt(system, "Xinmima2025").user is not None
    assert attempt(system, PASSWORD).user is None
    with pytest.raises(NotFound), system.db.write() as conn:
        reset_password(conn, "nobody", "Xinmima2025", NOW)


def test_a_disabled_account_ends_its_sessions_and_cannot_sign_in(system):
    """Disabling an account ends its open sessions at once; its right password is then refused as 停用; enabling lets it sign in again."""
    user = make(system)
    token = session_of(system, user)
    assert is_open(system, token)
    with system.db.write() as conn:
        set_disabled(conn, "zhangsan", True, NOW)
    assert not is_open(system, token)
    assert attempt(system, PASSWORD).refusal == "该账户已停用，请联系系统管理员。"
    assert attempt(system, "wrong-password-1").refusal == WRONG_CREDENTIALS
    with system.db.write() as conn:
        set_disabled(conn, "zhangsan", False, NOW)
    assert attempt(system, PASSWORD).user is not None


def test_account_problems_are_listed_together_and_nothing_is_stored(system):
    """A clerk without agency, a weak password and a taken user name are all named in one refusal."""
    make(system)
    with pytest.raises(InvalidPayload) as err, system.db.write() as conn:
        create_user(conn, username="zhangsan", display_name="", role="clerk", agency=None, password="abc", now=NOW)
    assert set(err.value.fields) == {"username", "display_name", "agency", "password"}
    with pytest.raises(InvalidPayload) as err, system.db.write() as conn:
        create_user(conn, username="lisi", display_name="李四", role="system", agency="nope", password=PASSWORD, now=NOW)
    assert set(err.value.fields) == {"role", "agency"}
    with system.db.read() as conn:
        assert conn.execute(select(users.c.username)).scalars().all() == ["zhangsan"]


def user_cli(url: str, *args: str, password: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "XSFLOW_DATABASE_URL": url}
    return subprocess.run([XSFLOW, "user", *args], env=env, input=password if password is not None else "",
                          capture_output=True, text=True, timeout=120, check=False)


def test_cli_creates_accounts_and_resets_passwords(system):
    """`xsflow user create` reads the password from standard input; `reset-password` replaces it; refusals exit non-zero with the reasons."""
    url = system.db.url
    made = user_cli(url, "create", "--username", "wangwu", "--name", "王五", "--role", "reviewer",
                    password=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    assert "已创建用户 wangwu（王五，县司法局审查人员）" in made.stdout
    assert attempt(system, PASSWORD, username="wangwu").user.role == "reviewer"

    refused = user_cli(url, "create", "--username", "zhaoliu", "--name", "赵六", "--role", "clerk",
                       password="short\n")
    assert refused.returncode == 2
    assert "必须指定所属单位" in refused.stderr and "密码至少 8 个字符" in refused.stderr
    no_password = user_cli(url, "create", "--username", "zhaoliu", "--name", "赵六", "--role", "clerk",
                           "--agency", "gaj", password="")
    assert no_password.returncode == 2 and "没有读到密码" in no_password.stderr

    reset = user_cli(url, "reset-password", "wangwu", password="Xinmima2025\n")
    assert reset.returncode == 0, reset.stderr
    assert attempt(system, "Xinmima2025", username="wangwu").user is not None
    assert attempt(system, PASSWORD, username="wangwu").user is None
    unknown = user_cli(url, "reset-password", "nobody", password="Xinmima2025\n")
    assert unknown.returncode == 2 and "没有用户名为“nobody”的账户" in unknown.stderr

    disabled = user_cli(url, "disable", "wangwu")
    assert disabled.returncode == 0 and "已停用用户 wangwu" in disabled.stdout, disabled.stderr
    assert attempt(system, "Xinmima2025", username="wangwu").refusal == "该账户已停用，请联系系统管理员。"
    assert user_cli(url, "enable", "wangwu").returncode == 0
    assert attempt(system, "Xinmima2025", username="wangwu").user is not None
