"""`xsflow serve` started the way README.md starts it: scheduler on, on the default SQLite file in
the working folder (and on PostgreSQL). Every worker answers, also when the machine is busy while
it boots; the sweep fires what lapsed while the server was down; SIGTERM stops everything within
seconds; a sweep that dies is started again; nothing outlives a killed `serve`."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from .conftest import XSFLOW, cli, free_port, make_tokens, start_server

STOP_WITHIN = 12.0  # seconds; gunicorn's graceful timeout is 10


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _tree(pid: int) -> list[int]:
    found = []
    for child in _children(pid):
        found += [child, *_tree(child)]
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


class Busy:
    """Two processes spinning on the CPU (the machine has two cores), stopped after `seconds`."""

    def __init__(self, seconds: float) -> None:
        code = f"import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end: pass"
        self.procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(2)]

    def stop(self) -> None:
        for p in self.procs:
            p.kill()
            p.wait()


def _get(url: str, timeout: float = 20) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers={"Connection": "close"}),
                                    timeout=timeout) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


class Readme:
    """`xsflow init` then `xsflow serve --port P` in a folder, as ./scripts/serve does."""

    def __init__(self, folder: Path, database_url: str | None) -> None:
        self.folder = folder
        self.env = {k: v for k, v in os.environ.items() if k != "XSFLOW_DATABASE_URL"}
        if database_url:
            self.env["XSFLOW_DATABASE_URL"] = database_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / f"serve-{self.port}.log"

    def init(self) -> str:
        p = subprocess.run([XSFLOW, "init"], env=self.env, cwd=self.folder, capture_output=True, text=True,
                           timeout=120)
        assert p.returncode == 0, p.stderr
        return p.stdout

    def start(self) -> subprocess.Popen:
        self.process = subprocess.Popen([XSFLOW, "serve", "--port", str(self.port)], env=self.env, cwd=self.folder,
                                        stdout=self.log.open("w"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            if "按 Ctrl+C 停止" in self.log.read_text():  # the banner: the server answers
                return self.process
            time.sleep(0.1)
        self.process.kill()
        raise AssertionError(f"no banner within 90 s:\n{self.log.read_text()}")

    def worker_pids_answering(self) -> set[int]:
        return {int(p) for p in re.findall(r"pid=<?(\d+)>?", self.log.read_text())}

    def sweep_pid(self) -> int:
        (pid,) = [p for p in _children(self.process.pid) if " worker " in _cmdline(p)]
        return pid

    def terminate(self) -> float:
        """SIGTERM to `serve`; seconds until it and every process it started are gone."""
        everyone = [self.process.pid, *_tree(self.process.pid)]
        began = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(30)
        while any(_alive(p) for p in everyone) and time.monotonic() - began < 30:
            time.sleep(0.05)
        assert not any(_alive(p) for p in everyone), [(_cmdline(p)) for p in everyone if _alive(p)]
        return time.monotonic() - began


def _every_worker_answers(server: Readme, workers: int = 2) -> int:
    """Requests from 8 clients at once until each worker has answered; all must answer, none hang."""
    sent = 0
    with ThreadPoolExecutor(8) as pool:
        for _ in range(10):
            statuses = list(pool.map(lambda _: _get(server.url + "/api/v1/openapi.json"), range(16)))
            sent += len(statuses)
            assert statuses == [200] * len(statuses), statuses
            if len(server.worker_pids_answering()) >= workers:
                break
    assert len(server.worker_pids_answering()) == workers, server.log.read_text()[-3000:]
    return sent


def _lapsed_legality_review(database_url: str, folder: Path) -> int:
    """A draft whose 5 working days to supplement ran out weeks ago, made while no sweep ran."""
    server = start_server(database_url, folder)
    try:
        tokens = make_tokens(database_url, clerk=("clerk", "gaj"), reviewer=("reviewer", None))
        long_ago = datetime.now(timezone.utc) - timedelta(days=30)
        r = server.call("POST", "/api/v1/cases", tokens["clerk"], {
            "procedure": "legality_review", "agency": "gaj", "title": "关于规范电动自行车管理的通知（送审稿）",
            "occurred_at": long_ago.isoformat()})
        assert r.status == 201, r.body
        case_id = r.body["id"]
        r = server.call("POST", f"/api/v1/cases/{case_id}/events", tokens["reviewer"], {
            "trigger": "request_supplement", "payload": {"missing": ["legal_basis"]},
            "occurred_at": (long_ago + timedelta(hours=1)).isoformat()})
        assert r.status == 200 and r.body["state"] == "awaiting_supplement", r.body
        return case_id
    finally:
        server.stop()


def _state(server: Readme, case_id: int, token: str) -> str:
    req = urllib.request.Request(f"{server.url}/api/v1/cases/{case_id}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=20) as r:
        return json.loads(r.read())["state"]


def _serve_as_the_readme_does(folder: Path, database_url: str | None, starts: int) -> None:
    for start in range(starts):
        server = Readme(folder, database_url)
        made = server.init()
        if start == 0 and database_url is None:
            assert "已新建数据库结构" in made, made
            assert (folder / "xsflow.db").exists()  # the default: a SQLite file in the working folder
        busy = Busy(seconds=20)
        try:
            server.start()
            _every_worker_answers(server)
        finally:
            busy.stop()
        assert server.terminate() < STOP_WITHIN


def test_readme_serve_on_sqlite_answers_through_every_worker_under_load_and_stops_on_sigterm(tmp_path):
    """Three starts on a busy machine, the scheduler on: every request through both workers answers."""
    _serve_as_the_readme_does(tmp_path, None, starts=3)


@pytest.mark.postgres
def test_readme_serve_on_postgresql_answers_through_every_worker_under_load_and_stops_on_sigterm(pg_url, tmp_path):
    """The same on PostgreSQL (XSFLOW_DATABASE_URL set, as docs/operations.md says)."""
    _serve_as_the_readme_does(tmp_path, pg_url, starts=2)


def test_serve_prints_where_to_go_and_how_to_make_the_first_account(tmp_path):
    """A newcomer reads the address, that the sweep runs, and the command for the first account."""
    server = Readme(tmp_path, None)
    server.init()
    server.start()
    try:
        text = server.log.read_text()
        assert f"网页 http://127.0.0.1:{server.port}/" in text
        assert "期限扫描：每 60 秒一次" in text
        assert "xsflow user create --username admin" in text and "--role admin" in text
        # followed word for word, the printed command makes the account and the banner no longer asks
        command = next(line for line in text.splitlines() if "xsflow user create" in line)
        p = subprocess.run(command.strip().replace("'<密码>'", "'shouye2026'").replace("xsflow user", f"{XSFLOW} user"),
                           shell=True, env=server.env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
    finally:
        server.terminate()
    again = Readme(tmp_path, None)
    again.init()
    again.start()
    try:
        assert "尚无网页账户" not in again.log.read_text()
    finally:
        again.terminate()


def test_the_sweep_started_by_serve_fires_a_lapse_missed_while_down_and_is_restarted_when_killed(db_url, tmp_path):
    """The first sweep at start terminates the lapsed draft; a killed sweep comes back by itself."""
    case_id = _lapsed_legality_review(db_url, tmp_path)
    token = make_tokens(db_url, reviewer2=("reviewer", None))["reviewer2"]
    server = Readme(tmp_path, db_url)
    server.init()
    server.start()
    try:
        deadline = time.monotonic() + 30
        while _state(server, case_id, token) != "terminated":
            assert time.monotonic() < deadline, server.log.read_text()[-3000:]
            time.sleep(0.2)
        first = server.sweep_pid()
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while True:
            pids = [p for p in _children(server.process.pid) if " worker " in _cmdline(p) and _alive(p)]
            if pids and pids != [first]:
                break
            assert time.monotonic() < deadline, server.log.read_text()[-3000:]
            time.sleep(0.1)
        assert "期限扫描进程退出" in server.log.read_text()
    finally:
        server.terminate()


def test_nothing_outlives_a_killed_serve(tmp_path):
    """SIGKILL of `serve` itself: gunicorn and the sweep notice and stop, freeing the port."""
    server = Readme(tmp_path, None)
    server.init()
    server.start()
    # The server answers through its first worker; the second and the sweep may come a moment later.
    deadline = time.monotonic() + 20
    while len(everyone := _tree(server.process.pid)) < 4:  # gunicorn, its two workers, the sweep
        assert time.monotonic() < deadline, [_cmdline(p) for p in everyone]
        time.sleep(0.1)
    server.process.kill()
    server.process.wait()
    deadline = time.monotonic() + STOP_WITHIN
    while any(_alive(p) for p in everyone):
        assert time.monotonic() < deadline, [_cmdline(p) for p in everyone if _alive(p)]
        time.sleep(0.1)
    p = cli(f"sqlite:///{tmp_path / 'xsflow.db'}", "tick")
    assert p.returncode == 0, p.stderr
