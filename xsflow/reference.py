"""Reference data: the agencies of attachment 1 art. 3 and the township and street governments of
attachment 2 art. 3 (each team names its government), from editable TOML files."""
from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select, update

from .store.schema import agencies

BUNDLED = sorted(Path(__file__).with_name("reference").glob("*.toml"))
KINDS = {"party_department", "government_office", "justice_bureau", "enforcement_agency", "township_team",
         "judicial_organ", "township_government"}  # judicial_organ: the county procuratorate and court (attachment 1
# art. 2, 7); township_government: 乡镇人民政府、街道办事处 (attachment 2 art. 3), which supervise the teams in their area


def read_agencies(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """Agencies from the files, checked: every problem is listed at once."""
    found: list[dict[str, Any]] = []
    problems: list[str] = []
    for path in paths:
        with Path(path).open("rb") as f:
            entries = tomllib.load(f).get("agency", [])
        for i, a in enumerate(entries, 1):
            where = f"{path} 第 {i} 个 [[agency]]"
            missing = [k for k in ("code", "name", "kind") if not str(a.get(k, "")).strip()]
            if missing:
                problems.append(f"{where} 缺少 {', '.join(missing)}")
            elif a["kind"] not in KINDS:
                problems.append(f"{where} 的 kind“{a['kind']}”应为 {', '.join(sorted(KINDS))} 之一")
            else:
                found.append({"code": a["code"], "name": a["name"], "kind": a["kind"], "basis": a.get("basis", ""),
                              "government": str(a.get("government", "")).strip() or None})
    codes = [a["code"] for a in found]
    governments = {a["code"] for a in found if a["kind"] == "township_government"}
    problems += [f"单位“{a['code']}”的 government“{a['government']}”不是名录中的乡镇人民政府或街道办事处"
                 for a in found if a["government"] is not None and a["government"] not in governments]
    problems += [f"单位代码“{c}”重复" for c in sorted({c for c in codes if codes.count(c) > 1})]
    if problems:
        raise ValueError("单位名录有误：\n" + "\n".join(problems))
    return found


def load_agencies(conn: Connection, entries: list[dict[str, Any]]) -> tuple[int, int]:
    """Adds new agencies and updates the names of known ones; never deletes. Returns (added, updated).
    Governments first: a team names its government (a foreign key)."""
    known = {r.code: r for r in conn.execute(select(agencies))}
    added = updated = 0
    for a in sorted(entries, key=lambda a: a["kind"] != "township_government"):
        old = known.get(a["code"])
        if old is None:
            conn.execute(insert(agencies).values(**a))
            added += 1
        elif (old.name, old.kind, old.basis, old.government) != (a["name"], a["kind"], a["basis"], a["government"]):
            conn.execute(update(agencies).where(agencies.c.code == a["code"]).values(**a))
            updated += 1
    return added, updated
