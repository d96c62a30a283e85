"""`xsflow audit verify` and `xsflow backup` report progress as they stream: the counts they report add
up to the cases verified and the rows written, and the command still prints its one-line result."""
from __future__ import annotations

from tests.conftest import at, cli
from xsflow.access import Actor
from xsflow.backup import backup, row_counts
from xsflow.bulk import NewCase, open_cases

CLERK = Actor("市场监管局经办人", "clerk", "scjgj")


def test_progress_adds_up_to_cases_and_rows(system, clock, tmp_path):
    """2,500 cases: verification reports 2,500 cases in steps, the backup every row it wrote, and both commands succeed."""
    open_cases(system.engine, [NewCase(CLERK, "legality_review", "scjgj", f"送审稿{i}",
                                       occurred_at=at("2025-02-27T09:00:00+08:00")) for i in range(2_500)])
    steps: list[int] = []
    assert system.audit(progress=steps.append) is None
    assert sum(steps) == 2_500 and len(steps) == 3
    written: list[int] = []
    counts = backup(system.db, tmp_path / "b.gz", now=clock.now(), progress=written.append)
    assert sum(written) == sum(counts.values()) == sum(row_counts(system.db).values())
    assert counts["cases"] == counts["history"] == 2_500
    p = cli(system.db.url, "audit", "verify")
    assert p.returncode == 0 and "审计校验通过" in p.stdout and "核对审计链" in p.stderr
    p = cli(system.db.url, "backup", str(tmp_path / "c.gz"))
    assert p.returncode == 0 and "案件 2500 件" in p.stdout
