"""The overdue list at size: the summary's counts, the keyset pages and the streamed rows agree.

Legality reviews opened on different days lapse on different days, so their working days overdue
fall into different bands; every way of reading the list must give the same rows, once each.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from sqlalchemy import text

from xsflow import overdue
from xsflow.access import Actor
from xsflow.errors import BadRequest

from .conftest import at

UNIT = "scjgj"
CLERK = Actor("张三（zhang）", "clerk", UNIT)
SUPERVISOR = Actor("王五（wang）", "supervisor")


@pytest.fixture
def lapsed(system, clock):
    """Thirty reviews opened every other day from 3 March 2025, seen on 28 May 2025."""
    for n in range(30):
        day = date(2025, 3, 3) + timedelta(days=2 * n)
        clock.move_to(at(f"{day.isoformat()}T09:00:00+08:00"))
        system.engine.open_case(CLERK, procedure="legality_review", agency=UNIT, title=f"第{n}号送审稿",
                                occurred_at=clock.now())
    clock.move_to(at("2025-05-28T10:00:00+08:00"))
    return system


def read(system, clock, filters=overdue.Filters(), **kw):
    with system.db.read() as conn:
        calendar = system.calendars.current(conn)
        bands = overdue.Bands(calendar, date(2025, 5, 28))
        total = overdue.summary(conn, SUPERVISOR, now=clock.now(), filters=filters, bands=bands)
        rows = list(overdue.stream(conn, system.registry, calendar, SUPERVISOR, now=clock.now(), filters=filters,
                                   bands=bands, batch=7))
    return total, rows


def pages(system, clock, order, filters=overdue.Filters(), limit=4):
    out, cursor = [], None
    while True:
        with system.db.read() as conn:
            page = overdue.page(conn, system.registry, system.calendars.current(conn), SUPERVISOR, now=clock.now(),
                                filters=filters, order=order, cursor=cursor, limit=limit)
        out += page.items
        if page.next is None:
            return out
        cursor = page.next


def key(item):
    return item["case_id"], item["deadline"]


def test_summary_counts_equal_the_rows_streamed_and_paged(lapsed, clock):
    """The total and every band's count equal the rows the export reads and the pages list, each row once."""
    summary, rows = read(lapsed, clock)
    assert summary["total"] == len(rows) >= 20
    for order in ("oldest", "grouped"):
        paged = pages(lapsed, clock, order)
        assert len(paged) == len({key(i) for i in paged}) == len(rows)  # nothing repeated, nothing lost
        assert {key(i) for i in paged} == {key(i) for i in rows}
    by_band = {b["band"]: b["count"] for b in summary["bands"] if b["count"]}
    assert len(by_band) >= 3  # the reviews spread over several bands
    assert summary["group_by"] == ["agency"] and [(c["agency"], c["band"]) for c in summary["items"]] == [(UNIT, None)]
    assert sum(by_band.values()) == summary["items"][0]["count"] == summary["total"]
    lows = [b["min_days"] for b in summary["bands"]]
    limits = dict(zip((b["band"] for b in summary["bands"]), zip(lows, [n - 1 for n in lows[1:]] + [10**6])))
    for band, count in by_band.items():
        banded = read(lapsed, clock, overdue.Filters(band=band))[1]
        assert len(banded) == count
        # The band computed in SQL from due dates is the band of the days counted on the calendar.
        low, high = limits[band]
        assert all(low <= r["working_days_overdue"] <= high for r in banded)


def test_summary_of_a_city_per_agency_of_an_agency_in_full(lapsed, clock):
    """Without an agency or procedure chosen the items are one per agency (a city's summary stays small); a
    procedure chosen, per agency and procedure; an agency chosen, per procedure and band: the same counts."""
    summary = read(lapsed, clock)[0]
    of_procedure = read(lapsed, clock, overdue.Filters(procedure="legality_review"))[0]
    of_agency = read(lapsed, clock, overdue.Filters(agency=UNIT))[0]
    assert of_procedure["group_by"] == ["agency", "procedure"] and of_agency["group_by"] == ["agency", "procedure", "band"]
    assert [(c["agency"], c["procedure"], c["band"]) for c in of_procedure["items"]] == [(UNIT, "legality_review", None)]
    per_band = {c["band"]: c["count"] for c in of_agency["items"]}
    assert per_band == {b["band"]: b["count"] for b in summary["bands"] if b["count"]}
    assert all(c["procedure"] == "legality_review" and c["band_title"] for c in of_agency["items"])
    assert summary["total"] == of_procedure["total"] == of_agency["total"] == sum(per_band.values())


def test_filters_narrow_count_and_rows_alike(lapsed, clock):
    """A due-date range and a band together: the summary, the pages and the stream hold the same rows."""
    filters = overdue.Filters(band="11-20", due_from=date(2025, 4, 1), due_to=date(2025, 5, 20), agency=UNIT,
                              procedure="legality_review")
    summary, rows = read(lapsed, clock, filters)
    assert summary["total"] == len(rows) > 0
    assert all("2025-04-01" <= r["due_date"] <= "2025-05-20" and 11 <= r["working_days_overdue"] <= 20 for r in rows)
    assert {key(i) for i in pages(lapsed, clock, "grouped", filters, limit=3)} == {key(r) for r in rows}


def test_rows_dealt_with_between_pages_are_neither_repeated_nor_skip_others(lapsed, clock):
    """A case withdrawn while the clerk reads page 1 does not shift page 2: no row is lost or shown twice."""
    with lapsed.db.read() as conn:
        first = overdue.page(conn, lapsed.registry, lapsed.calendars.current(conn), SUPERVISOR, now=clock.now(),
                             order="grouped", limit=5)
    lapsed.engine.fire(CLERK, first.items[0]["case_id"], "withdraw", occurred_at=clock.now())
    rest, cursor = [], first.next
    while cursor:
        with lapsed.db.read() as conn:
            page = overdue.page(conn, lapsed.registry, lapsed.calendars.current(conn), SUPERVISOR, now=clock.now(),
                                order="grouped", cursor=cursor, limit=5)
        rest += page.items
        cursor = page.next
    _, now_listed = read(lapsed, clock)
    assert not {key(i) for i in first.items} & {key(i) for i in rest}
    assert {key(i) for i in now_listed} - {key(i) for i in first.items} == {key(i) for i in rest}


def test_unknown_band_and_oversized_xlsx_are_refused_in_chinese(lapsed, clock):
    with pytest.raises(BadRequest, match="逾期天数段 band 应为以下之一：0、1-5、6-10、11-20、21\\+"):
        read(lapsed, clock, overdue.Filters(band="7"))
    overdue.check_xlsx(overdue.XLSX_MAX_ROWS)
    with pytest.raises(BadRequest, match="超过 Excel 工作表的行数上限（1048575 行）：请改用 CSV 导出"):
        overdue.check_xlsx(overdue.XLSX_MAX_ROWS + 1)



def test_oldest_first_merges_the_marked_and_the_unswept_lapses(lapsed, clock):
    """The API's order, oldest lapse first, reads the lapses a sweep has marked overdue and those past
    their instant that no sweep has reached yet each in that order, merged: walked in pages of any
    size, every lapse once, in lapse order (the id breaking ties)."""
    clock.move_to(at("2025-04-20T10:00:00+08:00"))
    marked = lapsed.tick()  # the early ones marked overdue; the later ones lapse unswept
    clock.move_to(at("2025-05-28T10:00:00+08:00"))
    rows = read(lapsed, clock)[1]
    with lapsed.db.read() as conn:
        flagged = {r.id for r in conn.execute(text("SELECT id FROM deadlines WHERE overdue"))}
    assert marked.overdue and 0 < len(flagged) < len(rows)  # both kinds are there to merge
    expected = sorted(rows, key=lambda r: (r["lapses_at"], r["case_id"]))
    for limit in (1, 4, 7, 50):
        paged = pages(lapsed, clock, "oldest", limit=limit)
        assert [key(i) for i in paged] == [key(r) for r in expected], limit


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_the_export_cut_in_two_writes_the_same_rows_in_the_same_order(system, clock, monkeypatch):
    """PostgreSQL writes the export in two parts cut by agency (the first rows leave before the rest is
    sorted): together they are the bytes of the whole export, in its order, every overdue row once, with
    agencies on both sides of the cut and at it (here cut at half of the agencies)."""
    from sqlalchemy import select

    from xsflow.store.copy_out import copy_csv, snapshot
    from xsflow.store.schema import agencies

    monkeypatch.setattr(overdue, "FIRST_PART_SHARE", 2)
    with system.db.read() as conn:
        codes = conn.execute(select(agencies.c.code).order_by(agencies.c.code)).scalars().all()
        units = conn.execute(select(agencies.c.code).where(agencies.c.kind == "enforcement_agency")
                             .order_by(agencies.c.code)).scalars().all()
    cut = codes[len(codes) // 2]
    chosen = [units[0], units[1], *(u for u in units if u >= cut)][:6]
    assert min(chosen) < cut <= max(chosen)
    for n, unit in enumerate(chosen * 2):
        clock.move_to(at(f"2025-03-{3 + n:02d}T09:00:00+08:00"))
        system.engine.open_case(Actor(f"{unit}经办人", "clerk", unit), procedure="legality_review", agency=unit,
                                title=f"{unit}第{n}号送审稿", occurred_at=clock.now())
    clock.move_to(at("2025-05-28T10:00:00+08:00"))
    with system.db.read() as conn:
        calendar = system.calendars.current(conn)
        bands = overdue.Bands(calendar, date(2025, 5, 28))
        words = overdue.ExportWords(procedures={}, kinds=("法定期限", "办理时限"), provisional=("", "是"),
                                    date=str, formula_starts=("=",))
        stmt = overdue.export_select(system.registry, calendar, SUPERVISOR, now=clock.now(), bands=bands, words=words)
        total = overdue.summary(conn, SUPERVISOR, now=clock.now(), filters=overdue.Filters(), bands=bands)["total"]
    with system.db.read() as conn:
        whole = b"".join(copy_csv(conn, stmt))
    with system.db.read() as conn:
        snapshot(conn)
        parts = [b"".join(copy_csv(conn, part)) for part in overdue.export_parts(conn, stmt)]
    assert len(parts) == 2 and all(parts)
    assert b"".join(parts) == whole
    assert whole.count(b"\n") == total == 2 * len(chosen)
