"""Opening many cases at once (xsflow.bulk) writes exactly what opening them one by one writes:
the same case rows, parties, deadlines and history, hash for hash, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from adapters.compose import open_system
from tests.conftest import at
from xsflow.access import Actor
from xsflow.bulk import NewCase, open_cases
from xsflow.clock import FixedClock
from xsflow.errors import Forbidden, InvalidPayload
from xsflow.store.schema import case_agencies, cases, deadlines, history

OWN, OTHER = "scjgj", "gaj"
CLERK, OTHER_CLERK = Actor("市场监管局经办人", "clerk", OWN), Actor("公安局经办人", "clerk", OTHER)
NOW = datetime(2025, 3, 14, 2, 0, tzinfo=timezone.utc)


def items() -> list[NewCase]:
    """Reviews dated over a fortnight (deadlines on both sides of a weekend), disputes with parties,
    transfers with a correlation key."""
    out = []
    for i in range(24):
        out.append(NewCase(CLERK, "legality_review", OWN, f"送审稿{i}",
                           occurred_at=at(f"2025-03-{3 + i % 10:02d}T09:{i:02d}:00+08:00")))
        if i % 4 == 0:
            out.append(NewCase(OTHER_CLERK, "dispute_coordination", OTHER, f"职责争议{i}",
                               {"category": "duty", "parties": [OWN, "jw"]}))
        if i % 6 == 0:
            out.append(NewCase(CLERK, "criminal_transfer", OWN, f"涉嫌犯罪案件{i}",
                               {"case_number": f"秀市监立〔2025〕{i}号", "suspected_offence": "生产、销售伪劣产品罪"}))
    return out


def dump(x) -> dict[str, list[tuple]]:
    with x.db.read() as conn:
        return {t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
                for t in (cases, case_agencies, history, deadlines)}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def two_urls(request, tmp_path):
    if request.param == "sqlite":
        return [f"sqlite:///{tmp_path / 'one.db'}", f"sqlite:///{tmp_path / 'bulk.db'}"]
    make = request.getfixturevalue("new_pg_url")
    return [make(), make()]


def test_bulk_rows_and_hash_chain_equal_one_by_one(two_urls):
    """The same cases opened one by one and in one batch: every row of cases, parties, deadlines and history is equal (hashes included), and both audits verify."""
    one, bulk = (open_system(u, clock=FixedClock(NOW)) for u in two_urls)
    for x in (one, bulk):
        x.init()
    batch = items()
    ids = [one.engine.open_case(i.actor, procedure=i.procedure, agency=i.agency, title=i.title, data=i.data,
                                occurred_at=i.occurred_at)["id"] for i in batch]
    assert open_cases(bulk.engine, batch) == ids
    a, b = dump(one), dump(bulk)
    assert {k: len(v) for k, v in a.items()} == {k: len(v) for k, v in b.items()}
    assert len(a["deadlines"]) >= len(batch) // 2 and len(a["case_agencies"]) > 0
    assert a == b
    assert one.audit() is None and bulk.audit() is None
    # The engine goes on from a bulk-opened case as from any other.
    view = bulk.engine.fire(Actor("司法局审查员", "reviewer"), ids[0], "request_supplement",
                            {"missing": ["legal_basis"]}, occurred_at=at("2025-03-10T10:00:00+08:00"))
    assert view["state"] == "awaiting_supplement" and bulk.audit() is None
    for x in (one, bulk):
        x.db.dispose()


def test_bulk_refuses_the_whole_batch_naming_the_item(sqlite_url):
    """A bad item (unknown agency, empty title, a key used twice, another agency's case) refuses the batch with the item named, and no case is written."""
    x = open_system(sqlite_url, clock=FixedClock(NOW))
    x.init()
    good = NewCase(CLERK, "legality_review", OWN, "送审稿")
    key = {"case_number": "秀市监立〔2025〕1号", "suspected_offence": "生产、销售伪劣产品罪"}
    bad = [
        (NewCase(Actor("无名单位经办人", "clerk", "nowhere"), "legality_review", "nowhere", "送审稿"), "items[1].agency", "没有代码为"),
        (NewCase(CLERK, "legality_review", OWN, "  "), "items[1].title", "请填写案件名称"),
        (NewCase(CLERK, "criminal_transfer", OWN, "重复", key), "items[1].data.case_number", "不能重复立案"),
    ]
    for item, field, words in bad:
        batch = [good, item] + ([NewCase(CLERK, "criminal_transfer", OWN, "先", key)] if "重复" in item.title else [])
        with pytest.raises(InvalidPayload) as err:
            open_cases(x.engine, batch[::-1] if "重复" in item.title else batch)
        fields = err.value.fields
        assert any(words in m for ms in fields.values() for m in ms), fields
        assert ("重复" in item.title) or field in fields
    with pytest.raises(Forbidden, match="第 2 件：只能以本单位名义发起案件"):
        open_cases(x.engine, [good, NewCase(CLERK, "legality_review", OTHER, "替他单位")])
    with pytest.raises(InvalidPayload) as err:  # the data schema's refusal, named by item
        open_cases(x.engine, [good, NewCase(CLERK, "criminal_transfer", OWN, "无案号", {})])
    assert "items[1].data.case_number" in err.value.fields and err.value.message.startswith("第 2 件")
    with x.db.read() as conn:
        assert conn.execute(select(cases.c.id)).first() is None
    x.db.dispose()


def test_bulk_and_one_by_one_refuse_the_same_input_with_the_same_words(db_url):
    """One check (xsflow/opening.py `check_new_case`): a filing opened without its publication date
    (`dated_by`) and a key already taken are refused by bulk as by one-by-one opening, word for word."""
    x = open_system(db_url, clock=FixedClock(NOW))
    x.init()
    filing = NewCase(CLERK, "filing_review", OWN, "关于规范集贸市场收费的通知", {"document_number": "秀山市监发〔2025〕31号"})
    key = {"case_number": "秀市监立〔2025〕1号", "suspected_offence": "生产、销售伪劣产品罪"}
    x.engine.open_case(CLERK, procedure="criminal_transfer", agency=OWN, title="先", data=key)
    duplicate = NewCase(CLERK, "criminal_transfer", OWN, "重复", key)
    for item, field in ((filing, "occurred_at"), (duplicate, "data.case_number")):
        with pytest.raises(InvalidPayload) as one:
            x.engine.open_case(item.actor, procedure=item.procedure, agency=item.agency, title=item.title,
                               data=item.data)
        with pytest.raises(InvalidPayload) as bulk:
            open_cases(x.engine, [item])
        assert bulk.value.fields[f"items[0].{field}"] == one.value.fields[field], (bulk.value.fields, one.value.fields)
    with x.db.read() as conn:
        assert conn.execute(select(cases.c.id)).all() == [(1,)]
    x.db.dispose()
