"""The key that signs session cookies and form tokens, the same in every worker process and
after a restart.

XSFLOW_SECRET_KEY when set; else the file named by XSFLOW_SECRET_KEY_FILE, else
`xsflow-secret.key` in the working folder, created on first use (mode 0600). Creation is a
hard link of a finished temporary file, so when several gunicorn workers start at once exactly
one key is written and every process reads that one.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

DEFAULT_FILE = "xsflow-secret.key"
MIN_LENGTH = 32


class SecretKeyError(RuntimeError):
    pass


def key_file() -> Path:
    return Path(os.environ.get("XSFLOW_SECRET_KEY_FILE") or DEFAULT_FILE).absolute()


def secret_key() -> str:
    given = os.environ.get("XSFLOW_SECRET_KEY")
    if given:
        if len(given) < MIN_LENGTH:
            raise SecretKeyError(f"XSFLOW_SECRET_KEY 过短：至少 {MIN_LENGTH} 个字符（建议 64 位十六进制随机数）。")
        return given
    path = key_file()
    if not path.exists():
        _create(path)
    value = path.read_text(encoding="ascii").strip()
    if len(value) < MIN_LENGTH:
        raise SecretKeyError(f"会话密钥文件 {path} 内容过短或已损坏：请删除该文件（所有人需重新登录）后重启服务。")
    return value


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(32) + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)  # atomic: fails if another process got there first
        except FileExistsError:
            pass
    finally:
        tmp.unlink(missing_ok=True)
