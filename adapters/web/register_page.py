"""规范性文件登记簿: the register of normative documents (art. 8) as a page, paged like the case list."""
from __future__ import annotations

from flask import render_template, request, url_for

from workflows.document_register import FILING, register_page
from xsflow.errors import InvalidPayload

from .auth import current_actor, signed_in
from .blueprint import web, xs
from .cases import agency_names
from .forms import whole_number

YEARS = (2000, 2100)  # as the API's RegisterQuery


@web.route("/register")
@signed_in
def register():
    actor = current_actor()
    x = xs()
    args = request.args
    year = whole_number(args.get("year"), "year")
    if year is not None and not YEARS[0] <= year <= YEARS[1]:
        raise InvalidPayload("筛选条件有误，请逐项修改。", {"year": [f"年份应在 {YEARS[0]} 至 {YEARS[1]} 之间。"]})
    chosen = {"agency": args.get("agency") or None, "state": args.get("state") or None,
              "document_number": (args.get("document_number") or "").strip() or None, "year": year}
    with x.db.read() as conn:
        names = agency_names(conn)
        page = register_page(conn, x.registry, actor, now=x.clock.now(), cursor=args.get("cursor") or None,
                             limit=50, **chosen)
    states = {s.name: s.title for p in x.registry.versions(FILING) for s in p.states}
    next_url = url_for("web.register", **{**args.to_dict(), "cursor": page.next}) if page.next else None
    return render_template("web/register.html", page=page, names=names, filters=chosen, states=states,
                           county_wide=actor.county_wide, next_url=next_url)
