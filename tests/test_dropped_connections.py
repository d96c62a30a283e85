"""A pooled PostgreSQL connection the server closed (pg_terminate_backend, a restart, an idle timeout)
costs no request: the next one is answered as if nothing happened."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
import uuid

import pytest
from sqlalchemy import create_engine, text

from .conftest import LEGALITY_READY, fire, get_case, make_tokens, pg_base_url, start_server

pytestmark = pytest.mark.postgres


def _terminate(app_name: str) -> int:
    """Ends every backend of the server under test (found by its application_name); waits until they are gone."""
    admin = create_engine(pg_base_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            ended = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                                      " WHERE application_name = :a"), {"a": app_name}).scalar_one()
            for _ in range(100):
                if not conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :a"),
                                    {"a": app_name}).scalar_one():
                    break
                time.sleep(0.05)
        return ended
    finally:
        admin.dispose()


def _backends(app_name: str) -> int:
    admin = create_engine(pg_base_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :a"),
                                {"a": app_name}).scalar_one()
    finally:
        admin.dispose()


def _until_every_worker_holds_a_connection(server, token, case_id, app_name: str, workers: int = 2) -> None:
    """Sequential requests may all land on one worker; concurrent ones reach both, each keeping its connection."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(50):
            if _backends(app_name) >= workers:
                return
            list(pool.map(lambda _: get_case(server, token, case_id), range(16)))
    raise AssertionError(f"fewer than {workers} workers hold a database connection")


def test_requests_after_the_servers_connections_were_terminated_succeed(pg_url, tmp_path):
    app_name = f"xsflow_test_{uuid.uuid4().hex[:8]}"
    url = f"{pg_url}&application_name={app_name}"
    server = start_server(url, tmp_path)
    try:
        tokens = make_tokens(url, clerk=("clerk", "gaj"), reviewer=("reviewer", None))
        opened = []
        for i in range(12):
            r = server.call("POST", "/api/v1/cases", tokens["clerk"], {
                "procedure": "legality_review", "agency": "gaj", "title": f"关于规范第{i}号事项管理的通知（送审稿）",
                "data": LEGALITY_READY})
            assert r.status == 201, r.body
            opened.append(r.body["id"])
        _until_every_worker_holds_a_connection(server, tokens["clerk"], opened[0], app_name)
        # Both workers have pooled connections now; the server ends them all while they sit idle.
        assert _terminate(app_name) >= 2
        for case_id in opened[:6]:  # more requests than workers: every worker meets its dead connection
            assert fire(server, tokens["reviewer"], case_id, "accept")["state"] == "under_review"
        assert _terminate(app_name) >= 1
        for case_id in opened[6:]:
            assert get_case(server, tokens["reviewer"], case_id)["state"] == "submitted"
            assert fire(server, tokens["reviewer"], case_id, "accept")["version"] == 2
    finally:
        server.stop()
