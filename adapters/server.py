"""`xsflow serve`: the Flask app on gunicorn, the timer scheduler in the arbiter process.

Workers build their own app after the fork (no preloading), so no database connection
is shared across processes; the scheduler lives in the arbiter, which never serves.
"""
from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication


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


def run_server(database_url: str | None, *, host: str, port: int, workers: int,
               scheduler_interval: int | None) -> None:
    state: dict[str, Any] = {}

    def when_ready(server) -> None:
        if scheduler_interval is not None:
            from .scheduler import start_background

            state["scheduler"] = start_background(database_url, interval=scheduler_interval)

    def on_exit(server) -> None:
        if "scheduler" in state:
            state["scheduler"].shutdown(wait=False)

    options = {
        "bind": f"{host}:{port}", "workers": workers, "worker_class": "gthread", "threads": 4,
        "when_ready": when_ready, "on_exit": on_exit, "accesslog": "-",
        # The access log shows the request line only: tokens travel in a header and never appear.
        "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(M)sms', "timeout": 60, "graceful_timeout": 10,
    }
    _Server(database_url, options).run()
