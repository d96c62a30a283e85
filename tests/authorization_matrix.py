"""Who may call what: the one table of expected HTTP statuses, and docs/security.md rendered from it.

Every endpoint under /api/v1 × every caller × the agency its target belongs to. The agency-bound
callers (a clerk, an agency's system) all belong to 县市场监管局 (`scjgj`); "own" is a case or
document of that agency, "other" one of 县公安局 (`gaj`), "area" one of 中和街道综合行政执法大队
(`zhjd-zfdd`), a team in the area of the township caller, 中和街道办事处 (`zhjd-zf`). tests/test_authorization.py sends every
cell of this table to a real `xsflow serve` and checks that docs/security.md is what `render()`
prints. Regenerate the page with

    .venv/bin/python -m tests.authorization_matrix > docs/security.md
"""
from __future__ import annotations

from dataclasses import dataclass

OWN, OTHER, BUREAU = "scjgj", "gaj", "sfj"
# A township government (附件2 第三条) and a team in its area: the township caller's "area".
GOVERNMENT, AREA = "zhjd-zf", "zhjd-zfdd"
PROCURATORATE = "jcy"  # 县人民检察院: a party of every criminal transfer
REGENERATE = ".venv/bin/python -m tests.authorization_matrix > docs/security.md"


@dataclass(frozen=True)
class Caller:
    key: str
    heading: str  # the column heading in docs/security.md
    role: str | None  # None: the request carries no valid token at all
    agency: str | None
    credential: str  # how the Authorization header is made: token, expiring, none, malformed, unknown, revoked, expired
    about: str


CALLERS = (
    Caller("clerk", "clerk", "clerk", OWN, "token", "经办人员 of 县市场监管局 (`scjgj`): its own agency's cases only"),
    Caller("clerk_expiring", "clerk (expiring)", "clerk", OWN, "expiring",
           "the same clerk with a token made by `xsflow token create --expires-in-days 30`: it answers as the clerk"),
    Caller("reviewer", "reviewer", "reviewer", BUREAU, "token", "审查人员 of 县司法局 (`sfj`): every agency"),
    Caller("supervisor", "supervisor", "supervisor", None, "token", "监督人员: every agency"),
    Caller("admin", "admin", "admin", None, "token", "系统管理员: reads every agency, fires no transition"),
    Caller("system", "system", "system", None, "token", "对接系统 without an agency: an integration for the whole county"),
    Caller("system_agency", "system @scjgj", "system", OWN, "token",
           "对接系统 bound to `scjgj` (e.g. its OA): that agency's cases only"),
    Caller("township", "township", "township", GOVERNMENT, "token",
           f"乡镇人民政府、街道办事处监督人员 of 中和街道办事处 (`{GOVERNMENT}`): the cases of its own government and of "
           f"the teams in its area (`{AREA}`), and of the complaints about them; fires no transition"),
    Caller("procuratorate", "procuratorate", "procuratorate", PROCURATORATE, "token",
           "县人民检察院 (`jcy`), read-only: the criminal transfers it is a party to (list, case, history, "
           "documents) and nothing else; fires and opens nothing"),
    Caller("no_token", "none", None, None, "none", "no `Authorization` header"),
    Caller("malformed", "malformed", None, None, "malformed", "`Authorization: Basic …` instead of `Bearer <token>`"),
    Caller("unknown", "unknown", None, None, "unknown", "a well-formed bearer token that was never issued"),
    Caller("revoked", "revoked", None, None, "revoked", "the clerk's token after `xsflow token revoke <name>`"),
    Caller("expired", "expired", None, None, "expired", "the clerk's token past its `expires_at`"),
)
VALID = tuple(c.key for c in CALLERS if c.role is not None)
READ_ONLY = ("procuratorate",)  # its column is PROCURATORATE_STATUS below, not a positional value of line()
POSITIONAL = tuple(k for k in VALID if k not in READ_ONLY)
INVALID = tuple(c.key for c in CALLERS if c.role is None)

TARGETS = {
    "-": "no particular agency; a list unfiltered",
    "own": f"a case or document of `{OWN}`, the agency-bound callers' own agency",
    "other": f"a case or document of `{OTHER}`, another agency; for a list, `?agency={OTHER}`",
    "party": f"a dispute case opened by `{OTHER}` in which `{OWN}` is a party (domain.md: parties see it)",
    "area": f"a case or document of `{AREA}`, a team in the township caller's area; for a list, `?agency={AREA}`",
    "transfer": f"a `criminal_transfer` case of `{OWN}`, in `found`; `{OTHER}` (police) and `{PROCURATORATE}` "
                "(procuratorate) are its parties; for a list, `?procedure=criminal_transfer`",
    "none": "an id, name or correlation key that does not exist",
}

REQUESTS = {
    "": "",
    "invalid_body": "a body without `agency` and `title`: refused field by field before the token is looked at",
    "legality_review": "`legality_review` (opened by clerks only)",
    "filing_review": "`filing_review` (opened by clerks, systems, supervisors)",
    "complaint": "`complaint` (opened by clerks, systems, supervisors; data of a 12345 complaint)",
    "correction_order": "`correction_order` (opened by supervisors only)",
    "procedure_name": "`legality_review`",
    "no_such_procedure": "a procedure name that does not exist",
    "withdraw": "trigger `withdraw` (clerk) on a case in `submitted`",
    "accept": "trigger `accept` (reviewer) on a case in `submitted`",
    "supplement": "trigger `supplement` (clerk, system) on a case in `submitted`: not allowed in that state",
    "no_such_trigger": "a trigger the procedure does not have",
    "publish": "`publish` for `filing_review`: opens a case for the agency in the payload",
    "file": "`file` for `filing_review` by correlation key (the document number)",
    "empty_import": "an empty body: refused after the token is checked, before anything is read",
    "year_2025": "`?year=2025`; with target other also `&agency=gaj`",
    "draw": "`{\"default_size\": 1}`",
    "year_2021": "year 2021, before the rule: refused after the role is checked (the supervisor's success is in tests/test_annual_report.py)",
    "submit_report": "trigger `submit_report` (the agency: clerk, system) on a `criminal_transfer` case in `found`",
    "year_2027": "year 2027, which has no standard file `assessment_2027.toml`: refused 422 after the role is checked",
    "no_reason": "a correction without `reason`: refused 422 field by field before the token is looked at",
    "entered_item": "a correction of an item the assessors enter (`three_systems_missing`, not computed): refused 422 after the role and agency are checked",
    "finding": "`{found_on: 2025-09-10, points: 1, text}` for 2025",
    "publish_2027": "year 2027 (no standard file): refused 422 after the role is checked (the supervisor's success is in tests/test_assessment_record.py)",
}

OPENAPI = "GET /api/v1/openapi.json"
PROCEDURES = "GET /api/v1/procedures"
PROCEDURE = "GET /api/v1/procedures/{name}"
AGENCIES = "GET /api/v1/agencies"
DOCUMENT_NUMBERS = "GET /api/v1/document-numbers"
DEADLINE = "GET /api/v1/calendar/deadline"
CASES = "GET /api/v1/cases"
OPEN = "POST /api/v1/cases"
CASE = "GET /api/v1/cases/{case_id}"
HISTORY = "GET /api/v1/cases/{case_id}/history"
FIRE = "POST /api/v1/cases/{case_id}/events"
INBOUND_LIST = "GET /api/v1/events"
INBOUND = "POST /api/v1/events"
OVERDUE = "GET /api/v1/overdue"
OVERDUE_SUMMARY = "GET /api/v1/overdue/summary"
TODO = "GET /api/v1/todo"
INCIDENTS = "GET /api/v1/incidents"
DOCUMENT = "GET /api/v1/documents/{document_id}"
DOCUMENT_FILE = "GET /api/v1/documents/{document_id}/file"
CORRECT = "POST /api/v1/documents/{document_id}/corrections"
SERVE = "POST /api/v1/documents/{document_id}/service"
REGISTER = "GET /api/v1/register"
AUDIT_LOG = "GET /api/v1/audit-log"
ENFORCERS = "GET /api/v1/certificates/enforcers"
ANNUAL_REPORTS = "POST /api/v1/annual-reports"
CASE_FILE_IMPORT = "POST /api/v1/case-files/import"
SELF_REVIEW_RATES = "GET /api/v1/case-files/self-review-rates"
ASSESSMENT_FACTS = "GET /api/v1/case-files/assessment-facts"
CAMPAIGN_DRAW = "POST /api/v1/case-file-evaluations/{case_id}/draw"
CAMPAIGN_REDRAW = "GET /api/v1/case-file-evaluations/{case_id}/redraw"
STATISTICS_OPEN = "POST /api/v1/statistics/periods"
STATISTICS_TOTALS = "GET /api/v1/statistics/totals"
STATISTICS_CSV = "GET /api/v1/statistics/totals.csv"
OFFICERS = "GET /api/v1/liaison-officers"
OFFICERS_MISSING = "GET /api/v1/liaison-officers/missing"
NAME_OFFICERS = "PUT /api/v1/agencies/{code}/liaison-officers"
NOTIFICATIONS = "GET /api/v1/notifications"
ASSESSMENT_COMPUTE = "POST /api/v1/assessments/{year}/compute"
ASSESSMENT_RESULT = "GET /api/v1/assessments/{year}/agencies/{code}"
ASSESSMENT_CORRECT = "POST /api/v1/assessments/{year}/agencies/{code}/corrections"
ASSESSMENT_FINDING = "POST /api/v1/assessments/{year}/agencies/{code}/findings"
ASSESSMENT_PERSONNEL = "GET /api/v1/assessments/{year}/agencies/{code}/personnel"
ASSESSMENT_TABLE = "GET /api/v1/assessments/{year}/table.xlsx"
ASSESSMENT_PUBLISH = "POST /api/v1/assessments/{year}/publication"
ASSESSMENT_CASES = "GET /api/v1/assessments/{year}/agencies/{code}/items/{item}/cases"

ENDPOINTS = (OPENAPI, PROCEDURES, PROCEDURE, AGENCIES, DEADLINE, CASES, OPEN, CASE, HISTORY, FIRE, INBOUND_LIST,
             INBOUND, OVERDUE, OVERDUE_SUMMARY, TODO, INCIDENTS, DOCUMENT, DOCUMENT_FILE, CORRECT, SERVE, REGISTER, ENFORCERS, ANNUAL_REPORTS,
             CASE_FILE_IMPORT, SELF_REVIEW_RATES, ASSESSMENT_FACTS, CAMPAIGN_DRAW, CAMPAIGN_REDRAW,
             STATISTICS_OPEN, STATISTICS_TOTALS, STATISTICS_CSV, OFFICERS, OFFICERS_MISSING, NAME_OFFICERS,
             NOTIFICATIONS, DOCUMENT_NUMBERS, ASSESSMENT_COMPUTE, ASSESSMENT_RESULT, ASSESSMENT_CORRECT,
             ASSESSMENT_FINDING, ASSESSMENT_PERSONNEL, ASSESSMENT_TABLE, ASSESSMENT_PUBLISH, ASSESSMENT_CASES, AUDIT_LOG)
LISTS = (CASES, OVERDUE, TODO, INCIDENTS, REGISTER, ENFORCERS, AUDIT_LOG)  # answers filtered to what the caller may see


@dataclass(frozen=True)
class Line:
    endpoint: str
    target: str
    request: str
    expected: dict[str, int]  # caller key -> HTTP status

    @property
    def method(self) -> str:
        return self.endpoint.split(" ", 1)[0]

    @property
    def path(self) -> str:
        return self.endpoint.split(" ", 1)[1]


def line(endpoint: str, target: str, request: str, *valid: int, bad: int = 401) -> Line:
    """One endpoint, target and request: a status per valid caller (in POSITIONAL order), `bad` for every
    invalid token; the read-only procuratorate's from PROCURATORATE_STATUS (403 where it is not listed)."""
    assert len(valid) == len(POSITIONAL), (endpoint, target, request)
    read_only = PROCURATORATE_STATUS.get((endpoint, target, request), 403)
    return Line(endpoint, target, request, {**dict(zip(POSITIONAL, valid)), "procuratorate": read_only,
                                            **{k: bad for k in INVALID}})


# The read-only procuratorate (role `procuratorate`, agency `jcy`): 403 on every line not listed here.
# It reads what anybody may (the definitions, the agencies, the calendar), its own lists filtered to the
# transfers it is a party to (empty where a list holds no transfer), and a transfer's case and history.
PROCURATORATE_STATUS = {
    (OPENAPI, "-", ""): 200, (PROCEDURES, "-", ""): 200, (PROCEDURE, "-", "procedure_name"): 200,
    (PROCEDURE, "none", "no_such_procedure"): 404, (AGENCIES, "-", ""): 200, (DEADLINE, "-", ""): 200,
    (CASES, "-", ""): 200, (CASES, "other", ""): 200, (CASES, "transfer", ""): 200,
    (OPEN, "-", "invalid_body"): 422,
    (CASE, "transfer", ""): 200, (CASE, "none", ""): 404,
    (HISTORY, "transfer", ""): 200, (HISTORY, "none", ""): 404,
    (FIRE, "none", "withdraw"): 404, (INBOUND, "none", "file"): 404,
    (OVERDUE, "-", ""): 200, (OVERDUE, "other", ""): 200, (OVERDUE_SUMMARY, "-", ""): 200,
    (OVERDUE_SUMMARY, "other", ""): 200, (TODO, "-", ""): 200, (INCIDENTS, "-", ""): 200,
    (DOCUMENT, "none", ""): 404, (DOCUMENT_FILE, "none", ""): 404,
    (REGISTER, "-", ""): 200, (REGISTER, "other", ""): 200, (ENFORCERS, "-", ""): 200,
    (AUDIT_LOG, "-", ""): 200, (AUDIT_LOG, "other", ""): 200,
    (CASE_FILE_IMPORT, "-", "empty_import"): 400, (SELF_REVIEW_RATES, "-", "year_2025"): 200,
    (ASSESSMENT_FACTS, "-", "year_2025"): 200, (CASES, "area", ""): 200, (OVERDUE, "area", ""): 200,
    (CAMPAIGN_DRAW, "none", "draw"): 404, (CAMPAIGN_REDRAW, "none", ""): 404,
    (OFFICERS, "-", ""): 200, (NOTIFICATIONS, "-", ""): 200, (DOCUMENT_NUMBERS, "-", ""): 200,
    (ASSESSMENT_CORRECT, "own", "no_reason"): 422,
}


# The table. Columns: clerk, clerk (expiring), reviewer, supervisor, admin, system, system @scjgj, township; then
# `bad` for no, malformed, unknown, revoked and expired tokens (401 unless stated).
#     endpoint       target   request              clerk exp  rev  sup  adm  sys  sysA town
MATRIX = (
    line(OPENAPI,       "-",     "",                  200, 200, 200, 200, 200, 200, 200, 200, bad=200),
    line(PROCEDURES,    "-",     "",                  200, 200, 200, 200, 200, 200, 200, 200),
    line(PROCEDURE,     "-",     "procedure_name",    200, 200, 200, 200, 200, 200, 200, 200),
    line(PROCEDURE,     "none",  "no_such_procedure", 404, 404, 404, 404, 404, 404, 404, 404),
    line(AGENCIES,      "-",     "",                  200, 200, 200, 200, 200, 200, 200, 200),
    line(DEADLINE,      "-",     "",                  200, 200, 200, 200, 200, 200, 200, 200),
    line(CASES,         "-",     "",                  200, 200, 200, 200, 200, 200, 200, 200),
    line(CASES,         "other", "",                  200, 200, 200, 200, 200, 200, 200, 200),
    line(CASES,         "transfer", "",               200, 200, 200, 200, 200, 200, 200, 200),
    line(OPEN,          "-",     "invalid_body",      422, 422, 422, 422, 422, 422, 422, 422, bad=422),
    line(OPEN,          "own",   "legality_review",   201, 201, 403, 403, 403, 403, 403, 403),
    line(OPEN,          "other", "legality_review",   403, 403, 403, 403, 403, 403, 403, 403),
    line(OPEN,          "own",   "filing_review",     201, 201, 403, 201, 403, 201, 201, 403),
    line(OPEN,          "other", "filing_review",     403, 403, 403, 201, 403, 201, 403, 403),
    line(OPEN,          "own",   "complaint",         201, 201, 403, 201, 403, 201, 201, 403),
    line(OPEN,          "other", "complaint",         403, 403, 403, 201, 403, 201, 403, 403),
    line(OPEN,          "own",   "correction_order",  403, 403, 403, 201, 403, 403, 403, 403),
    line(OPEN,          "other", "correction_order",  403, 403, 403, 201, 403, 403, 403, 403),
    line(CASE,          "own",   "",                  200, 200, 200, 200, 200, 200, 200, 403),
    line(CASE,          "party", "",                  200, 200, 200, 200, 200, 200, 200, 403),
    line(CASE,          "other", "",                  403, 403, 200, 200, 200, 200, 403, 403),
    line(CASE,          "transfer", "",               200, 200, 200, 200, 200, 200, 200, 403),
    line(CASE,          "none",  "",                  404, 404, 404, 404, 404, 404, 404, 404),
    line(HISTORY,       "own",   "",                  200, 200, 200, 200, 200, 200, 200, 403),
    line(HISTORY,       "party", "",                  200, 200, 200, 200, 200, 200, 200, 403),
    line(HISTORY,       "other", "",                  403, 403, 200, 200, 200, 200, 403, 403),
    line(HISTORY,       "transfer", "",               200, 200, 200, 200, 200, 200, 200, 403),
    line(HISTORY,       "none",  "",                  404, 404, 404, 404, 404, 404, 404, 404),
    line(FIRE,          "own",   "withdraw",          200, 200, 403, 403, 403, 403, 403, 403),
    line(FIRE,          "other", "withdraw",          403, 403, 403, 403, 403, 403, 403, 403),
    line(FIRE,          "own",   "accept",            403, 403, 200, 403, 403, 403, 403, 403),
    line(FIRE,          "other", "accept",            403, 403, 200, 403, 403, 403, 403, 403),
    line(FIRE,          "own",   "supplement",        409, 409, 403, 403, 403, 409, 409, 403),
    line(FIRE,          "other", "supplement",        403, 403, 403, 403, 403, 409, 403, 403),
    line(FIRE,          "own",   "no_such_trigger",   409, 409, 409, 409, 409, 409, 409, 403),
    line(FIRE,          "other", "no_such_trigger",   403, 403, 409, 409, 409, 409, 403, 403),
    line(FIRE,          "none",  "withdraw",          404, 404, 404, 404, 404, 404, 404, 404),
    line(FIRE,          "transfer", "submit_report",  200, 200, 403, 403, 403, 200, 200, 403),
    line(INBOUND_LIST,  "-",     "",                  403, 403, 403, 200, 200, 403, 403, 403),
    line(INBOUND,       "own",   "publish",           200, 200, 403, 200, 403, 200, 200, 403),
    line(INBOUND,       "other", "publish",           403, 403, 403, 200, 403, 200, 403, 403),
    line(INBOUND,       "own",   "file",              200, 200, 403, 403, 403, 200, 200, 403),
    line(INBOUND,       "other", "file",              403, 403, 403, 403, 403, 200, 403, 403),
    line(INBOUND,       "none",  "file",              404, 404, 404, 404, 404, 404, 404, 404),
    line(OVERDUE,       "-",     "",                  200, 200, 200, 200, 200, 200, 200, 200),
    line(OVERDUE,       "other", "",                  200, 200, 200, 200, 200, 200, 200, 200),
    line(OVERDUE_SUMMARY, "-",   "",                  200, 200, 200, 200, 200, 200, 200, 200),
    line(OVERDUE_SUMMARY, "other", "",                200, 200, 200, 200, 200, 200, 200, 200),
    line(TODO,          "-",     "",                  200, 200, 200, 200, 200, 200, 200, 200),
    line(INCIDENTS,     "-",     "",                  200, 200, 200, 200, 200, 200, 200, 200),
    line(DOCUMENT,      "own",   "",                  200, 200, 200, 200, 200, 200, 200, 403),
    line(DOCUMENT,      "other", "",                  403, 403, 200, 200, 200, 200, 403, 403),
    line(DOCUMENT,      "none",  "",                  404, 404, 404, 404, 404, 404, 404, 404),
    line(DOCUMENT_FILE, "own",   "",                  200, 200, 200, 200, 200, 200, 200, 403),
    line(DOCUMENT_FILE, "other", "",                  403, 403, 200, 200, 200, 200, 403, 403),
    line(DOCUMENT_FILE, "none",  "",                  404, 404, 404, 404, 404, 404, 404, 404),
    line(CORRECT,       "own",   "",                  403, 403, 201, 201, 403, 403, 403, 403),
    line(CORRECT,       "other", "",                  403, 403, 201, 201, 403, 403, 403, 403),
    line(CORRECT,       "none",  "",                  403, 403, 404, 404, 403, 403, 403, 403),
    line(SERVE,         "own",   "",                  403, 403, 201, 201, 403, 403, 403, 403),
    line(SERVE,         "other", "",                  403, 403, 201, 201, 403, 403, 403, 403),
    line(SERVE,         "none",  "",                  403, 403, 404, 404, 403, 403, 403, 403),
    line(REGISTER,      "-",     "",                  200, 200, 200, 200, 200, 200, 200, 200),
    line(REGISTER,      "other", "",                  200, 200, 200, 200, 200, 200, 200, 200),
    line(AUDIT_LOG,     "-",     "",                  200, 200, 200, 200, 200, 200, 200, 200),
    line(AUDIT_LOG,     "other", "",                  200, 200, 200, 200, 200, 200, 200, 200),
    line(ENFORCERS,     "-",     "",                  200, 200, 200, 200, 200, 200, 200, 200),
    line(ENFORCERS,     "other", "",                  403, 403, 200, 200, 200, 200, 403, 403),
    line(ANNUAL_REPORTS, "-",    "year_2021",         403, 403, 403, 422, 403, 403, 403, 403),
    line(CASE_FILE_IMPORT, "-",  "empty_import",      400, 400, 400, 400, 400, 400, 400, 400),
    line(SELF_REVIEW_RATES, "-", "year_2025",         200, 200, 200, 200, 200, 200, 200, 200),
    line(SELF_REVIEW_RATES, "other", "year_2025",     403, 403, 200, 200, 200, 200, 403, 403),
    line(ASSESSMENT_FACTS, "-",  "year_2025",         200, 200, 200, 200, 200, 200, 200, 200),
    line(ASSESSMENT_FACTS, "other", "year_2025",      403, 403, 200, 200, 200, 200, 403, 403),
    line(CAMPAIGN_DRAW, "none",  "draw",              404, 404, 404, 404, 404, 404, 404, 404),
    line(CAMPAIGN_REDRAW, "none", "",                 404, 404, 404, 404, 404, 404, 404, 404),
    line(STATISTICS_OPEN, "-",   "",                  403, 403, 201, 201, 403, 403, 403, 403),
    line(STATISTICS_TOTALS, "-", "",                  403, 403, 200, 200, 200, 200, 403, 403),
    line(STATISTICS_CSV, "-",    "",                  403, 403, 200, 200, 200, 200, 403, 403),
    line(OFFICERS,      "-",     "",                  200, 200, 200, 200, 200, 200, 200, 200),
    line(OFFICERS_MISSING, "-",  "",                  403, 403, 200, 200, 200, 200, 403, 403),
    line(NAME_OFFICERS, "own",   "",                  200, 200, 200, 403, 200, 403, 403, 403),
    line(NAME_OFFICERS, "other", "",                  403, 403, 200, 403, 200, 403, 403, 403),
    line(NAME_OFFICERS, "none",  "",                  403, 403, 404, 403, 404, 403, 403, 403),
    line(NOTIFICATIONS, "-",     "",                  200, 200, 200, 200, 200, 200, 200, 200),
    line(DOCUMENT_NUMBERS, "-",  "",                  200, 200, 200, 200, 200, 200, 200, 200),
    line(CASES,         "area",  "",                  200, 200, 200, 200, 200, 200, 200, 200),
    line(CASE,          "area",  "",                  403, 403, 200, 200, 200, 200, 403, 200),
    line(HISTORY,       "area",  "",                  403, 403, 200, 200, 200, 200, 403, 200),
    line(FIRE,          "area",  "withdraw",          403, 403, 403, 403, 403, 403, 403, 403),
    line(OVERDUE,       "area",  "",                  200, 200, 200, 200, 200, 200, 200, 200),
    line(DOCUMENT,      "area",  "",                  403, 403, 200, 200, 200, 200, 403, 200),
    line(DOCUMENT_FILE, "area",  "",                  403, 403, 200, 200, 200, 200, 403, 200),
    line(ASSESSMENT_COMPUTE, "-", "year_2025",        403, 403, 403, 200, 403, 403, 403, 403),
    line(ASSESSMENT_COMPUTE, "none", "year_2027",     403, 403, 403, 422, 403, 403, 403, 403),
    line(ASSESSMENT_RESULT, "own", "year_2025",       200, 200, 200, 200, 200, 200, 200, 403),
    line(ASSESSMENT_RESULT, "other", "year_2025",     403, 403, 200, 200, 200, 200, 403, 403),
    line(ASSESSMENT_RESULT, "none", "year_2025",      403, 403, 404, 404, 404, 404, 403, 403),
    line(ASSESSMENT_CORRECT, "own", "no_reason",      422, 422, 422, 422, 422, 422, 422, 422, bad=422),
    line(ASSESSMENT_CORRECT, "own", "entered_item",   403, 403, 403, 422, 403, 403, 403, 403),
    line(ASSESSMENT_CORRECT, "none", "entered_item",  403, 403, 403, 404, 403, 403, 403, 403),
    line(ASSESSMENT_FINDING, "own", "finding",        403, 403, 403, 201, 403, 403, 403, 403),
    line(ASSESSMENT_FINDING, "other", "finding",      403, 403, 403, 201, 403, 403, 403, 403),
    line(ASSESSMENT_PERSONNEL, "own", "year_2025",    200, 200, 200, 200, 200, 200, 200, 403),
    line(ASSESSMENT_PERSONNEL, "other", "year_2025",  403, 403, 200, 200, 200, 200, 403, 403),
    line(ASSESSMENT_TABLE, "-",  "year_2025",         403, 403, 200, 200, 200, 200, 403, 403),
    line(ASSESSMENT_PUBLISH, "none", "publish_2027",  403, 403, 403, 422, 403, 403, 403, 403),
    line(ASSESSMENT_CASES, "own", "year_2025",        200, 200, 200, 200, 200, 200, 200, 403),
    line(ASSESSMENT_CASES, "other", "year_2025",      403, 403, 200, 200, 200, 200, 403, 403),
    line(ASSESSMENT_CASES, "none", "year_2025",       403, 403, 404, 404, 404, 404, 403, 403),
)


def cells() -> list[tuple[Line, str]]:
    """Every (line, caller) pair the test sends."""
    return [(ln, c.key) for ln in MATRIX for c in CALLERS]


# --- docs/security.md ------------------------------------------------------------------------------

HEAD = """\
# Security: tokens, roles, agencies

<!-- Generated from tests/authorization_matrix.py; do not edit by hand. Regenerate with
     {regenerate}
     tests/test_authorization.py fails when this file and the table differ. -->

Who may call what over the JSON API, as tests/test_authorization.py checks it: every cell of the
table below is sent to a real `xsflow serve` (gunicorn) on SQLite and on PostgreSQL, and the
answer's status must be the one written here. The web pages sign people in with passwords
(argon2, see docs/web.md); their sign-in and sessions are at the end of this page.

## Tokens

- A token is `xsf_` followed by 32 random bytes (`secrets.token_urlsafe(32)`, 256 bits). It is
  printed once, by `xsflow token create --name N --role R [--agency CODE] [--expires-in-days D]`,
  and never stored: the `tokens` table keeps its **SHA-256** digest (hex, `xsflow/tokens.py`
  `token_hash`), with name, role, agency, `created_at`, `expires_at` and `revoked_at`. A copy
  of the database therefore holds no usable token. A fast hash suffices because the secret is
  random, not a password: there is nothing to guess.
- A request presents it as `Authorization: Bearer <token>`. No token, another scheme, an unknown
  token, a revoked one or an expired one is answered 401 with a message saying which.
- `xsflow token revoke NAME` revokes every live token of that name at once, `xsflow token revoke
  --id N` the one token numbered N (never both: a token named "3" is not token 3); the next
  request with it is refused.
- `--expires-in-days D` (1 to 3650) sets `expires_at`; from that instant on the token is refused.
  Without it a token lives until revoked.
- Tokens are never written to logs: they travel in a header, and the access log records only the
  client, the request line, status, size and duration. The test checks the server's whole log
  (access and error log) and every table of the database for the text of every token it used.

## Roles and agencies

`clerk` and an agency-bound `system` see and act on the cases of their own agency, and on the
cases in which their agency is a party (a dispute's other agencies). A `township` user (乡镇人民政府、
街道办事处, attachment 2 art. 3) sees the cases of its government and of the teams in its area
(`agencies.government`, from xsflow/reference/township_teams.toml), and the complaints about those teams
(their government is made a party), and nothing of other areas; it fires no transition, and its 待办
lists the cases of its teams that wait for the teams' act. `reviewer`, `supervisor`,
`admin` and a `system` without an agency see every agency. Which transitions a role may fire is
declared per procedure (docs/procedures.md); `admin` fires none.

- **Another agency's case or document is answered 403**, the same for reading it, its history,
  its document record and file, firing a trigger on it (also one the procedure does not have) and
  posting an event for its correlation key. The answer says only that the case belongs to another
  agency: no title, state, triggers, parties or numbers. A number that does not exist is answered
  404. Case and document ids are sequential, so telling "not yours" from "no such id" gives away
  nothing that counting does not.
- **Lists are filtered, not refused**: `GET /cases`, `/overdue`, `/overdue/summary` (counts only), `/todo`, `/incidents` and
  `/register` hold only what the caller may see (`/todo` only what its role can act on); `?agency=` another agency gives an empty list to an
  agency-bound caller. `GET /certificates/enforcers?agency=` another agency is refused with 403,
  since that query names one agency only.
- **Personal data is left out, field by field**: a complainant's name and contact (`complaint`
  `data.complainant`) are in no answer — case, lists, history, document record — to anyone but the
  bureau's own staff and the county-wide roles; the reply addressed to the complainant is refused
  (403) to the others (`xsflow/private.py`; tests/test_outside.py checks every answer).
- `GET /events` (what other systems posted) is for supervisors and administrators only.
- Document corrections are issued by the bureau: reviewers and supervisors; everybody else gets
  403 before the document is even looked up. The same holds for recording a document's service
  (送达), which the bureau, its issuer, records.
- A refused request changes nothing: the test compares every target before and after, and finds
  no case opened by a refused request.
- The request's JSON body and query are checked before the token: a malformed request is answered
  400 or 422 whoever sends it (the `invalid_body` line). Those answers name fields of the public
  OpenAPI schema only, never data.

## Callers

| column | caller |
|---|---|
{callers}

## Targets and requests

| target | meaning |
|---|---|
{targets}

## The matrix

{count} cells: {lines} lines × {columns} callers. Each cell is the HTTP status the request gets.

| endpoint | target | request | {headings} |
|---|---|---|{rule}
{rows}

## Input: nothing a caller sends reaches a 500

One validation layer, `xsflow/payloads.py`, is used by the API's request schemas, every
procedure's payload schemas, the opening event of `POST /events`, the web forms and the CLI. Each
item below names the test that proves it; the tests in tests/test_hostile_input.py send their
requests to a real `xsflow serve` on SQLite and on PostgreSQL and check that a refused request
changes nothing.

- **Lengths** come from one place, the columns of `xsflow/store/schema.py` (`payloads.limit(column)`):
  a title over 500 characters, an agency code over 40, a trigger over 60, an event id or
  correlation key over 200, a token name over 200 are answered 422 naming the field and its limit
  before the database sees them (PostgreSQL would refuse them with an error, a 500).
  `test_lengths_come_from_the_columns_and_are_checked_first`, `test_bad_input_is_one_line_and_exit_2`.
- **Characters** are decided per kind of field. A one-line field (title, name, reference, number,
  code) takes printable text only; a multi-line field (a statement, a summary: a text area on the
  web form, allowed more than 200 characters) also takes line breaks and tabs. C0 and C1 control
  characters, DEL, Unicode noncharacters (U+FDD0–U+FDEF, U+xFFFE, U+xFFFF) and lone surrogates
  are refused everywhere, in keys and in free `data` too, with 422 naming the field, the character
  and its position. `Payload` adds the rule to every text field of every procedure.
  `test_control_characters_are_refused_per_kind_of_field`.
- **What is already stored cannot break a file or a page**: the .docx writer and the XLSX export
  replace any character XML cannot hold with U+FFFD (`payloads.xml_safe`), so a title stored before
  these checks still gives its document, its correction and the county-wide export; a stored date
  that is not a real date is shown as written.
  `test_text_stored_before_the_checks_cannot_break_documents_exports_or_pages`.
- **Dates** (`payloads.Day`) are ASCII digits, strictly `YYYY-MM-DD`, a real calendar date within
  2000–2099, the calendar's range: `２０２６-03-01`, a trailing newline, `2026-02-30`, `20260301`
  are 422; `occurred_at` outside 2000–2099 is 422 too (the bounds by case and procedure are the
  engine's). `test_dates_are_strict_calendar_dates_within_the_calendar`.
- **Cursors** are checked for the shape each list gave out (an id: an integer from 0 to 2⁶³ − 1,
  not `true`; a code; a lapse instant with its zone and an id): `true`, `{{}}`, a 31-digit number, bad
  base64 or a deeply nested value are 400 naming `cursor`. `test_malformed_cursors_are_400_on_every_paged_list`.
- **JSON types and duplicate keys**: numbers, lists, objects or null where text belongs, in
  `POST /events` and in its opening event's payload, are 422; a key given twice in one object is
  400 (parsed with `object_pairs_hook`: which one wins is not for the server to guess); a lone
  surrogate in a key is 422 with the key written escaped.
  `test_wrong_json_types_and_duplicate_keys_are_refused`.
- **Web parameters**: a form's `version` of `-1`, `1.0`, `²` or `١` is 400 instead of passing as "no
  version" and skipping the stale-form check; numeric fields and page parameters take ASCII digits
  only. `test_numeric_web_parameters_and_form_versions_are_strict`.
- **Inbound event ids are per issuing token** (`inbound_events.issuer`, the token's id, migration
  0004): another system's token cannot squat an id, and a repeat is answered only to the token that
  sent the event, so a second token of the same name never receives another agency's case.
  `test_event_ids_are_scoped_per_issuing_token`.
- **Chunked bodies** over 1 MB are 413, like a body whose Content-Length says so.
  `test_a_chunked_body_over_the_limit_is_413`.
- **The command line**: every refused command prints one line on stderr and exits 2, never a
  traceback; `--expires-in-days` is 1 to 3650, dates are checked like the API's.
  tests/test_cli_input.py.
- **Fuzzing**: tests/test_schemathesis.py sends generated valid and invalid requests to every
  operation, and stateful scenarios along the OpenAPI links between operations
  (`adapters/http/links.py`: every operation is a link's source or target), on both databases: no
  answer is a 5xx.
"""


WEB_PAGES = """
## The web pages: sign-in, sessions, headers

What is defended, how, and the test that proves it (docs/web.md has the details and the words shown).

| defended | how | proved by |
|---|---|---|
| No open redirect after signing in: `next=/%09/evil.example` (a tab the browser drops, leaving `//evil.example`), line breaks, backslashes, schemes, hosts | `local_path` (`adapters/web/auth.py`): `next` is used only if, %-decoded or not, it holds no whitespace, control or format character and no backslash, and `urllib.parse.urlsplit` finds no scheme or host and a path starting with one `/`; it is then re-quoted to ASCII. Anything else leads to 待办; a line break no longer reaches the `Location` header (it gave a 500) | `tests/test_web.py`: `test_sign_in_never_sends_the_browser_off_site` (17 addresses), `test_the_reported_address_signs_in_to_the_todo_list`, and in Chromium `test_sign_in_stays_on_site_and_sign_out_ends_a_copied_cookie_in_the_browser` |
| A copied session cookie stops working at 退出, at a password reset and when the account is disabled | The cookie carries only a random 256-bit token; `web_sessions` holds its SHA-256 digest and `revoked_at` (`xsflow/sessions.py`), looked up at every request. 退出 revokes the row; `reset_password` and `xsflow user disable` revoke all of the account's rows | `tests/test_sessions.py`: `test_sign_out_ends_the_session_for_a_copied_cookie_too`, `test_password_reset_and_disabling_end_open_sessions`, `test_the_cookie_holds_a_token_the_database_does_not`; `tests/test_users.py`: `test_reset_password_lifts_the_lock_and_ends_old_sessions`, `test_a_disabled_account_ends_its_sessions_and_cannot_sign_in`; the Chromium test above |
| Sessions end after 30 minutes idle and 12 hours in all (`XSFLOW_SESSION_IDLE_MINUTES`, `XSFLOW_SESSION_MAX_HOURS`) | `created_at` and `last_seen_at` against the injected clock; `last_seen_at` written at most once a minute (SQLite's one write lock) | `tests/test_sessions.py`: `test_idle_and_absolute_timeouts_follow_the_clock`, `test_timeouts_are_set_by_the_environment`, `test_last_seen_is_written_at_most_once_a_minute` |
| The sign-in page does not tell which user names exist | One message and status 401 for an unknown name, a wrong password and a locked account (even with its right password); each verifies an argon2 hash first (a dummy one for an unknown name), so they take like time | `tests/test_users.py`: `test_unknown_user_wrong_password_and_locked_account_get_one_answer_in_like_time`; `tests/test_web.py`: `test_sign_in_says_the_same_for_unknown_names_wrong_passwords_and_locked_accounts` |
| Password guessing | Per account: 5 wrong passwords lock it for 15 minutes. Per client address (an IPv6 one by its /64): 20 failures in 15 minutes refuse the address with 429 (`XSFLOW_SIGN_IN_ADDRESS_FAILURES`, `XSFLOW_SIGN_IN_ADDRESS_MINUTES`), counted in table `sign_in_failures` so that every worker sees them; behind a proxy, `XSFLOW_PROXY_HOPS` | `tests/test_users.py`: `test_five_wrong_passwords_lock_the_account_for_fifteen_minutes`, `test_failures_from_one_address_refuse_it_whatever_the_name`; `tests/test_web.py`: `test_too_many_failures_from_one_address_are_refused_with_429`, `test_behind_a_proxy_the_forwarded_address_is_throttled` |
| Every answer, error pages included, carries the security headers | One `after_request` hook of the whole app (`adapters/web/pages.py` `headers`), which Flask runs also for errors raised before any view (unknown address, wrong method, CSRF, a refused query) and for a 500: CSP with `frame-ancestors 'none'`, `X-Content-Type-Options: nosniff`, `Cache-Control: no-store`, `X-Frame-Options: DENY`, `Referrer-Policy: same-origin` | `tests/test_web.py`: `test_every_answer_carries_the_security_headers` (page, 404 page, 404 case, 405, CSRF 400, API 401, 404 and 400, 500) |
"""


def render() -> str:
    """docs/security.md, from the table."""
    def esc(text: str) -> str:
        return text.replace("|", "\\|")

    rows = []
    for ln in MATRIX:
        statuses = " | ".join(str(ln.expected[c.key]) for c in CALLERS)
        rows.append(f"| `{ln.endpoint}` | {ln.target} | {esc(REQUESTS[ln.request])} | {statuses} |")
    return HEAD.format(
        regenerate=REGENERATE,
        callers="\n".join(f"| {c.heading} | {esc(c.about)} |" for c in CALLERS),
        targets="\n".join(f"| {k} | {esc(v)} |" for k, v in TARGETS.items()),
        count=len(MATRIX) * len(CALLERS), lines=len(MATRIX), columns=len(CALLERS),
        headings=" | ".join(c.heading for c in CALLERS), rule="---|" * len(CALLERS),
        rows="\n".join(rows),
    ) + WEB_PAGES


if __name__ == "__main__":
    print(render(), end="")
