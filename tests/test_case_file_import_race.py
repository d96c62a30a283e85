"""A case number registered by the platform while an import is being written (PostgreSQL: the import's
check cannot see a registration not yet committed; the unique key then refuses the import's COPY).
The import answers a 422 naming the spreadsheet row, in Chinese, and imports nothing."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, func, select, text

from adapters.case_file_import import import_case_files
from adapters.compose import open_system
from xsflow.access import Actor
from xsflow.clock import FixedClock
from xsflow.errors import InvalidPayload, http_status
from xsflow.store.schema import cases

from .test_case_file_import import as_csv, rows

pytestmark = pytest.mark.postgres


def test_a_case_number_registered_meanwhile_refuses_the_whole_import_naming_its_row(pg_url: str):
    x = open_system(pg_url, clock=FixedClock(datetime(2025, 11, 1, 1, 0, tzinfo=timezone.utc)))
    x.init()
    platform = Actor("县执法办案平台", "system")
    data = rows(300)
    # The platform registers row 42's case number in a transaction it has not committed yet.
    other = x.db.engine.connect()
    tx = other.begin()
    x.engine.open_in(other, platform, procedure="case_file_self_review", agency="scjgj", title="平台登记的案卷",
                     data={"case_number": data[40][0], "case_type": "penalty", "handler": "王五"},
                     occurred=datetime(2025, 9, 30, tzinfo=timezone.utc), now=x.clock.now())
    outcome: list[BaseException | dict] = []

    def run() -> None:
        try:
            outcome.append(import_case_files(x, platform, as_csv(data), "text/csv"))
        except BaseException as err:  # noqa: BLE001 - handed to the test's thread
            outcome.append(err)

    importer = threading.Thread(target=run)
    importer.start()
    watch = create_engine(pg_url)
    try:
        deadline = time.monotonic() + 60
        with watch.connect() as conn:  # the import's COPY waits for the platform's uncommitted case
            while not conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                                        " AND query LIKE 'COPY cases%'")).scalar():
                assert time.monotonic() < deadline and importer.is_alive(), outcome
                time.sleep(0.05)
                conn.rollback()
        tx.commit()
        importer.join(60)
    finally:
        other.close()
        watch.dispose()
    [err] = outcome
    assert isinstance(err, InvalidPayload), err
    assert http_status(err) == 422
    assert list(err.fields) == ["rows.42"]
    assert err.message.startswith("第42行案号在导入过程中已由其他途径登记，未导入任何案卷")
    with x.db.read() as conn:  # only the platform's own case
        assert conn.execute(select(func.count()).select_from(cases)).scalar() == 1
    x.db.dispose()
