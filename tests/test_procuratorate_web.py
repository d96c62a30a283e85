"""The read-only procuratorate on the web pages (in process, SQLite and PostgreSQL): its case list
holds the transfers only, a transfer's page offers no form, posting a trigger changes nothing, and
another kind of case is refused like another agency's."""
from __future__ import annotations

from sqlalchemy import select

from tests.conftest import at
from tests.test_web import PASSWORD, signed_in, token_of, tree, texts
from xsflow.access import Actor
from xsflow.store.schema import cases
from xsflow.users import create_user

from .test_web import web  # noqa: F401  (the fixture)

CLERK = Actor("市场监管经办", "clerk", "scjgj")
OFFICE = Actor("县司法局", "reviewer", "sfj")


def test_the_procuratorate_reads_transfer_pages_and_acts_on_nothing(web, system, clock):  # noqa: F811
    clock.move_to(at("2025-06-03T10:00:00+08:00"))
    with system.db.write() as conn:
        create_user(conn, username="jian", display_name="钱检察官", role="procuratorate", agency="jcy",
                    password=PASSWORD, now=clock.now())
    e = system.engine
    transfer = e.open_case(CLERK, procedure="criminal_transfer", agency="scjgj", title="某商行销售假冒商品案",
                           data={"case_number": "秀山市监罚〔2025〕9号"}, occurred_at=at("2025-06-02T10:00:00+08:00"))["id"]
    meeting = e.open_case(OFFICE, procedure="joint_meeting", agency="sfj", title="联席会议",
                          data={"members": ["jcy", "scjgj"]}, occurred_at=at("2025-06-02T11:00:00+08:00"))["id"]
    jian = signed_in(web, "jian")
    listed = texts(tree(jian.get("/cases")), "//table[@class='list']//tbody/tr/td[2]")
    assert listed == ["某商行销售假冒商品案"]
    page = jian.get(f"/cases/{transfer}")
    assert page.status_code == 200 and "发现涉嫌犯罪，核实中" in page.text
    assert tree(page).xpath("//form[contains(@action, '/events/')]") == []
    post = jian.post(f"/cases/{transfer}/events/submit_report",
                     data={"csrf_token": token_of(page.text), "version": "1", "team": "检察官", "facts": "x"})
    assert post.status_code == 403
    with system.db.read() as conn:
        assert conn.execute(select(cases.c.state).where(cases.c.id == transfer)).scalar() == "found"
    assert jian.get(f"/cases/{meeting}").status_code == 403
    assert jian.get(f"/meetings/{meeting}").status_code == 403
    assert "检察院（只读" in jian.get("/").text  # the role is named beside the user
