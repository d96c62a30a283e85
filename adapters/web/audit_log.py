"""操作记录: the audit log page, newest first, filtered and paged like the case list."""
from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for

from xsflow.access import ROLE_TITLES
from xsflow.audit_log import audit_log

from .auth import current_actor, signed_in
from .blueprint import web, xs
from .cases import _day, _procedure_titles, agency_names, history_title

_TEXT_FILTERS = ("procedure", "agency", "by", "role", "trigger")


@web.route("/audit-log")
@signed_in
def audit_log_page():
    actor = current_actor()
    x = xs()
    args = request.args
    chosen: dict[str, Any] = {name: args.get(name) or None for name in _TEXT_FILTERS}
    chosen.update(recorded_from=_day(args, "recorded_from"), recorded_to=_day(args, "recorded_to"))
    with x.db.read() as conn:
        names = agency_names(conn)
        page = audit_log(conn, x.registry, actor, cursor=args.get("cursor") or None, limit=50, **chosen)
    rows = [{**e, "what": "立案" if e["trigger"] == "open" else
             history_title(x.registry.get(e["procedure"], e["definition_version"]), e)} for e in page.items]
    next_url = url_for("web.audit_log_page", **{**args.to_dict(), "cursor": page.next}) if page.next else None
    return render_template("web/audit_log.html", page=page, rows=rows, names=names, filters=chosen,
                           procedures=_procedure_titles(), roles=ROLE_TITLES, county_wide=actor.county_wide,
                           next_url=next_url)
