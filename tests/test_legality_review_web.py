"""The reopening of art. 13 on the case page: a terminated legality review offers the bureau's reviewer
the form to reopen it (date of receipt, reason), not the clerk; posting it revokes the opinion."""
from __future__ import annotations

from xsflow.access import Actor

from .conftest import at
from .test_web import UNIT, _hidden, form_of, signed_in, texts, tree, web  # noqa: F401 (web is a fixture)

REVIEWER = Actor("李四（li）", "reviewer", "sfj")
CLERK = Actor("张三（zhang）", "clerk", UNIT)


def test_the_reviewer_reopens_a_terminated_review_from_its_page(web, system, clock):
    clock.move_to(at("2025-03-03T09:00:00+08:00"))
    cid = system.engine.open_case(CLERK, procedure="legality_review", agency=UNIT, title="关于规范农贸市场管理的通知（送审稿）",
                                  data={"materials": ["draft_and_explanation"]})["id"]
    clock.move_to(at("2025-03-03T10:00:00+08:00"))
    system.engine.fire(REVIEWER, cid, "request_supplement", {})
    clock.move_to(at("2025-03-11T09:00:00+08:00"))
    assert system.tick().fired == 1
    clerk = signed_in(web, "zhang")
    assert not tree(clerk.get(f"/cases/{cid}")).xpath('//form[contains(@action, "/events/reopen")]')
    reviewer = signed_in(web, "li")
    page = tree(reviewer.get(f"/cases/{cid}"))
    form = form_of(page, "reopen")
    labels = " ".join(texts(form, ".//label"))
    assert "纸质补正材料收到日期" in labels and "重新审查的理由" in labels
    late = reviewer.post(form.get("action"), data={**_hidden(form), "received_on": "2025-03-11", "reason": "收文登记延误"})
    assert late.status_code == 422 and "2025年3月10日" in late.text
    done = reviewer.post(form.get("action"), data={**_hidden(form), "received_on": "2025-03-07", "reason": "收文登记延误"})
    assert done.status_code == 302, done.text
    page = reviewer.get(f"/cases/{cid}").text
    assert "审查中" in page and "撤销终止审核意见书决定书" in page
