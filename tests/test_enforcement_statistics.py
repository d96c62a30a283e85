"""行政执法统计 (attachment 2 art. 35 (七); attachment 4 五.1) over HTTP, on SQLite and PostgreSQL.

The bureau opens 2025-Q3 for every reporting agency at once (default schedule: quarterly, due 10 days
after the quarter, i.e. 10 October 2025); two agencies file, one returned and refiled; the others
miss the date and become overdue at 24:00 on 10 October (`xsflow tick --now`); the county totals add
up the filed reports only, and the CSV export says the same.
"""
from __future__ import annotations

import csv
import io
import urllib.request

from .conftest import Server, fire, make_tokens

ST = "enforcement_statistics"
ZERO = {"licensing": 0, "penalty": 0, "coercion": 0, "expropriation": 0, "charging": 0, "inspection": 0,
        "confirmation": 0, "adjudication": 0, "other": 0}


def by_agency(server: Server, token: str) -> dict[str, dict]:
    r = server.call("GET", f"/api/v1/cases?procedure={ST}&limit=200", token)
    assert r.status == 200, r.body
    return {c["agency"]: c for c in r.body["items"]}


def test_a_missed_period_becomes_overdue_and_the_totals_add_up(server: Server):
    t = make_tokens(server.database_url, bureau=("reviewer", "sfj"), gaj=("clerk", "gaj"),
                    scjgj=("clerk", "scjgj"), cgj=("clerk", "cgj"), supervisor=("supervisor", None))
    r = server.call("POST", "/api/v1/statistics/periods", t["gaj"], {"period": "2025-Q3", "occurred_at": "2025-10-01T09:00:00+08:00"})
    assert r.status == 403, r.body
    r = server.call("POST", "/api/v1/statistics/periods", t["bureau"], {"period": "2025-09"})
    assert r.status == 422 and "2026-Q1" in r.body["error"]["fields"]["period"][0], r.body
    r = server.call("POST", "/api/v1/statistics/periods", t["bureau"], {"period": "2025-Q3", "occurred_at": "2025-10-01T09:00:00+08:00"})
    assert r.status == 201, r.body
    assert r.body["due_date"] == "2025-10-10"
    opened = r.body["opened"]
    assert opened == 54  # 25 enforcement agencies, the justice bureau and 28 township and street teams
    again = server.call("POST", "/api/v1/statistics/periods", t["bureau"], {"period": "2025-Q3", "occurred_at": "2025-10-01T09:00:00+08:00"}).body
    assert (again["opened"], again["already_open"]) == (0, opened)

    cases = by_agency(server, t["bureau"])
    assert "zzb" not in cases and "zfb" not in cases  # party departments and the government office file none
    assert [(d["name"], d["due_date"]) for d in cases["gaj"]["deadlines"]] == [("report", "2025-10-10")]
    assert list(by_agency(server, t["gaj"])) == ["gaj"]

    fire(server, t["gaj"], cases["gaj"]["id"], "submit", {"counts": {**ZERO, "penalty": 120, "coercion": 4}},
         "2025-10-08T10:00:00+08:00")
    fire(server, t["scjgj"], cases["scjgj"]["id"], "submit", {"counts": {**ZERO, "penalty": 30, "inspection": 12}},
         "2025-10-09T10:00:00+08:00")
    fire(server, t["bureau"], cases["scjgj"]["id"], "return_for_correction", {"reason": "检查件数与台账不符"},
         "2025-10-09T15:00:00+08:00")
    fire(server, t["scjgj"], cases["scjgj"]["id"], "submit", {"counts": {**ZERO, "penalty": 30, "inspection": 15}},
         "2025-10-10T16:00:00+08:00")
    bad = fire(server, t["cgj"], cases["cgj"]["id"], "submit", {"counts": {**ZERO, "penalty": -1}},
               "2025-10-10T17:00:00+08:00", expect=422)
    assert "counts.penalty" in bad["error"]["fields"]
    fire(server, t["bureau"], cases["gaj"]["id"], "accept", None, "2025-10-10T18:00:00+08:00")

    # 10 October 2025 is a Friday; at 24:00 every agency that has not filed is overdue.
    out = server.tick("2025-10-11T00:00:01+08:00").stdout
    assert out.startswith(f"fired {opened - 2}"), out
    cases = by_agency(server, t["bureau"])
    assert cases["cgj"]["state"] == "overdue" and cases["gaj"]["state"] == "accepted"
    r = server.call("GET", f"/api/v1/overdue?procedure={ST}&limit=200", t["bureau"])
    late = {i["case_id"] for i in r.body["items"]}
    assert cases["cgj"]["id"] in late and cases["gaj"]["id"] not in late and cases["scjgj"]["id"] not in late
    assert len(late) == opened - 2

    # A late report is taken and marked late; it leaves the overdue list.
    after = fire(server, t["cgj"], cases["cgj"]["id"], "submit", {"counts": {**ZERO, "inspection": 7}},
                 "2025-10-13T09:00:00+08:00")
    assert (after["state"], after["data"]["late"]) == ("submitted", True)

    r = server.call("GET", "/api/v1/statistics/totals", t["supervisor"])
    assert r.status == 200, r.body
    [total] = r.body["items"]
    assert (total["period"], total["agencies_expected"], total["agencies_filed"], total["agencies_overdue"]) == \
        ("2025-Q3", opened, 3, opened - 3)
    assert total["counts"] == {**ZERO, "penalty": 150, "coercion": 4, "inspection": 22}
    assert server.call("GET", "/api/v1/statistics/totals", t["gaj"]).status == 403

    req = urllib.request.Request(f"{server.url}/api/v1/statistics/totals.csv?period=2025-Q3",
                                 headers={"Authorization": f"Bearer {t['bureau']}"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        assert resp.headers["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(resp.read().decode("utf-8-sig"))))
    assert rows[0][:4] == ["统计期间", "应报单位数", "已报单位数", "逾期未报单位数"] and rows[0][5] == "行政处罚"
    assert rows[1][:6] == ["2025-Q3", str(opened), "3", str(opened - 3), "0", "150"]
