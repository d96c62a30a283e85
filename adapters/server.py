"""`xsflow serve`: the Flask app on gunicorn, and the timer sweep in a process of its own.

gunicorn forks its workers from the arbiter. A thread that is inside SQLite (or any library
holding a lock) at that moment leaves the lock held for ever in the child: the worker hangs in
`sqlite3.connect`. So nothing but gunicorn runs in the arbiter. With the scheduler on, `serve`
is a small supervisor of two children, both started by fork+exec: gunicorn (`serve
--no-scheduler`) and the sweep (`xsflow worker`). It restarts a sweep that died, forwards
SIGTERM/SIGINT/SIGHUP, and stops when gunicorn stops.
"""
from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication

# A sweep that keeps dying is restarted after 1, 2, 4 … seconds, at most a minute apart.
RESTART_DELAY_MAX = 60.0


class _Server(BaseApplication):
    def __init__(self, database_url: str | None, options: dict[str, Any]) -> None:
        self.database_url = database_url
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from .http import create_app

        return create_app(database_url=self.database_url)


def run_http(database_url: str | None, *, host: str, port: int, workers: int,
             when_ready: Callable[[], None] | None = None) -> None:
    """gunicorn in this process; workers build their own app after the fork (no preloading)."""
    options = {
        "bind": f"{host}:{port}", "workers": workers, "worker_class": "gthread", "threads": 4,
        "accesslog": "-",
        # The request line only: tokens travel in a header and never appear. %(p)s is the worker.
        "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(M)sms pid=%(p)s',
        "timeout": 60, "graceful_timeout": 10,
        # gunicorn 23+ opens a control socket at one path per user: two servers would share it.
        "control_socket_disable": True,
    }
    if when_ready is not None:
        options["when_ready"] = lambda _arbiter: when_ready()
    _Server(database_url, options).run()


def _die_with_parent() -> None:
    """Runs in the child before exec: it gets SIGTERM when the supervisor dies (Linux)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (AttributeError, OSError):
        pass


def _answers(address: tuple[str, int]) -> bool:
    host, port = address
    try:
        with socket.create_connection(("127.0.0.1" if host in ("0.0.0.0", "") else host, port), timeout=0.2):
            return True
    except OSError:
        return False


def _xsflow(*args: str) -> list[str]:
    return [sys.executable, "-m", "adapters.cli", *args]


class Supervisor:
    """gunicorn and the sweep as two children; the sweep is restarted when it dies."""

    def __init__(self, http_cmd: list[str], sweep_cmd: list[str], env: dict[str, str], *,
                 address: tuple[str, int], when_ready: Callable[[], None] | None = None) -> None:
        self.http_cmd, self.sweep_cmd, self.env = http_cmd, sweep_cmd, env
        self.address, self.when_ready = address, when_ready
        self.stopping = False
        self.http: subprocess.Popen | None = None
        self.sweep: subprocess.Popen | None = None
        self.sweep_started = 0.0
        self.restart_delay = 1.0
        self.restart_at: float | None = None

    def _spawn(self, cmd: list[str]) -> subprocess.Popen:
        return subprocess.Popen(cmd, env=self.env, preexec_fn=_die_with_parent)

    def _on_signal(self, signum: int, _frame: Any) -> None:
        if signum == signal.SIGHUP:  # gunicorn reloads its workers
            if self.http is not None and self.http.poll() is None:
                self.http.send_signal(signal.SIGHUP)
            return
        self.stopping = True

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        self.http = self._spawn(self.http_cmd)
        self._start_sweep()
        try:
            while not self.stopping and self.http.poll() is None:
                self._watch_sweep()
                if self.when_ready is not None and _answers(self.address):
                    self.when_ready()
                    self.when_ready = None
                time.sleep(0.2)
        finally:
            code = self._stop()
        return code

    def _start_sweep(self) -> None:
        self.sweep = self._spawn(self.sweep_cmd)
        self.sweep_started = time.monotonic()
        self.restart_at = None

    def _watch_sweep(self) -> None:
        now = time.monotonic()
        if self.restart_at is not None:
            if now >= self.restart_at:
                self._start_sweep()
            return
        assert self.sweep is not None
        status = self.sweep.poll()
        if status is None:
            return
        if now - self.sweep_started > RESTART_DELAY_MAX:
            self.restart_delay = 1.0  # it had been running fine: start again soon
        print(f"xsflow: 期限扫描进程退出（状态 {status}），{self.restart_delay:.0f} 秒后重新启动。",
              file=sys.stderr, flush=True)
        self.restart_at = now + self.restart_delay
        self.restart_delay = min(self.restart_delay * 2, RESTART_DELAY_MAX)

    def _stop(self) -> int:
        children = [p for p in (self.http, self.sweep) if p is not None]
        for p in children:
            if p.poll() is None:
                p.terminate()
        deadline = time.monotonic() + 15  # gunicorn's graceful_timeout is 10 s
        for p in children:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        assert self.http is not None
        return 0 if self.stopping else (self.http.returncode or 0)


def run_server(database_url: str | None, *, host: str, port: int, workers: int,
               scheduler_interval: int | None, banner: Callable[[], None] | None = None) -> None:
    """Serves; with `scheduler_interval`, also sweeps timers every that many seconds."""
    if scheduler_interval is None:
        run_http(database_url, host=host, port=port, workers=workers, when_ready=banner)
        return
    env = dict(os.environ)
    if database_url:  # in the environment, not the command line, where `ps` would show a password
        env["XSFLOW_DATABASE_URL"] = database_url
    http_cmd = _xsflow("serve", "--host", host, "--port", str(port), "--workers", str(workers),
                       "--no-scheduler", "--supervised")
    sweep_cmd = _xsflow("worker", "--interval", str(scheduler_interval))
    sys.exit(Supervisor(http_cmd, sweep_cmd, env, address=(host, port), when_ready=banner).run())
