"""Who may call what: the one table of expected HTTP statuses, and docs/security.md rendered from it.

Every endpoint under /api/v1 × every caller × the agency its target belongs to. The agency-bound
callers (a clerk, an agency's system) all belong to 县市场监管局 (`scjgj`); "own" is a case or
document of that agency, "other" one of 县公安局 (`gaj`). tests/test_authorization.py sends every
cell of this table to a real `xsflow serve` and checks that docs/security.md is what `render()`
prints. Regenerate the page with

    .venv/bin/python -m tests.authorization_matrix > docs/security.md
"""
from __future__ import annotations

from dataclasses import dataclass

OWN, OTHER, BUREAU = "scjgj", "gaj", "sfj"
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
    Caller("no_token", "none", None, None, "none", "no `Authorization` header"),
    Caller("malformed", "malformed", None, None, "malformed", "`Authorization: Basic …` instead of `Bearer <token>`"),
    Caller("unknown", "unknown", None, None, "unknown", "a well-formed bearer token that was never issued"),
    Caller("revoked", "revoked", None, None, "revoked", "the clerk's token after `xsflow token revoke <name>`"),
    Caller("expired", "expired", None, None, "expired", "the clerk's token past its `expires_at`"),
)
VALID = tuple(c.key for c in CALLERS if c.role is not None)
INVALID = tuple(c.key for c in CALLERS if c.role is None)

TARGETS = {
    "-": "no particular agency; a list unfiltered",
    "own": f"a case or document of `{OWN}`, the agency-bound callers' own agency",
    "other": f"a case or document of `{OTHER}`, another agency; for a list, `?agency={OTHER}`",
    "party": f"a dispute case opened by `{OTHER}` in which `{OWN}` is a party (domain.md: parties see it)",
    "none": "an id, name or correlation key that does not exist",
}

REQUESTS = {
    "": "",
    "invalid_body": "a body without `agency` and `title`: refused field by field before the token is looked at",
    "legality_review": "`legality_review` (opened by clerks only)",
    "filing_review": "`filing_review` (opened by clerks, systems, supervisors)",
    "procedure_name": "`legality_review`",
    "no_such_procedure": "a procedure name that does not exist",
    "withdraw": "trigger `withdraw` (clerk) on a case in `submitted`",
    "accept": "trigger `accept` (reviewer) on a case in `submitted`",
    "supplement": "trigger `supplement` (clerk, system) on a case in `submitted`: not allowed in that state",
    "no_such_trigger": "a trigger the procedure does not have",
    "publish": "`publish` for `filing_review`: opens a case for the agency in the payload",
    "file": "`file` for `filing_review` by correlation key (the document number)",
}

OPENAPI = "GET /api/v1/openapi.json"
PROCEDURES = "GET /api/v1/procedures"
PROCEDURE = "GET /api/v1/procedures/{name}"
AGENCIES = "GET /api/v1/agencies"
DEADLINE = "GET /api/v1/calendar/deadline"
CASES = "GET /api/v1/cases"
OPEN = "POST /api/v1/cases"
CASE = "GET /api/v1/cases/{case_id}"
HISTORY = "GET /api/v1/cases/{case_id}/history"
FIRE = "POST /api/v1/cases/{case_id}/events"
INBOUND_LIST = "GET /api/v1/events"
INBOUND = "POST /api/v1/events"
OVERDUE = "GET /api/v1/overdue"
INCIDENTS = "GET /api/v1/incidents"
DOCUMENT = "GET /api/v1/documents/{document_id}"
DOCUMENT_FILE = "GET /api/v1/documents/{document_id}/file"
CORRECT = "POST /api/v1/documents/{document_id}/corrections"
REGISTER = "GET /api/v1/register"
ENFORCERS = "GET /api/v1/certificates/enforcers"
STATISTICS_OPEN = "POST /api/v1/statistics/periods"
STATISTICS_TOTALS = "GET /api/v1/statistics/totals"
STATISTICS_CSV = "GET /api/v1/statistics/totals.csv"
OFFICERS = "GET /api/v1/liaison-officers"
OFFICERS_MISSING = "GET /api/v1/liaison-officers/missing"
NAME_OFFICERS = "PUT /api/v1/agencies/{code}/liaison-officers"
NOTIFICATIONS = "GET /api/v1/notifications"

ENDPOINTS = (OPENAPI, PROCEDURES, PROCEDURE, AGENCIES, DEADLINE, CASES, OPEN, CASE, HISTORY, FIRE, INBOUND_LIST,
             INBOUND, OVERDUE, INCIDENTS, DOCUMENT, DOCUMENT_FILE, CORRECT, REGISTER, ENFORCERS,
             STATISTICS_OPEN, STATISTICS_TOTALS, STATISTICS_CSV, OFFICERS, OFFICERS_MISSING, NAME_OFFICERS,
             NOTIFICATIONS)
LISTS = (CASES, OVERDUE, INCIDENTS, REGISTER, ENFORCERS)  # answers filtered to what the caller may see


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
    """One endpoint, target and request: a status per valid caller (in VALID order), `bad` for every invalid token."""
    assert len(valid) == len(VALID), (endpoint, target, request)
    return Line(endpoint, target, request, {**dict(zip(VALID, valid)), **{k: bad for k in INVALID}})


# The table. Columns: clerk, clerk (expiring), reviewer, supervisor, admin, system, system @scjgj; then
# `bad` for no, malformed, unknown, revoked and expired tokens (401 unless stated).
#     endpoint       target   request              clerk exp  rev  sup  adm  sys  sysA
MATRIX = (
    line(OPENAPI,       "-",     "",                  200, 200, 200, 200, 200, 200, 200, bad=200),
    line(PROCEDURES,    "-",     "",                  200, 200, 200, 200, 200, 200, 200),
    line(PROCEDURE,     "-",     "procedure_name",    200, 200, 200, 200, 200, 200, 200),
    line(PROCEDURE,     "none",  "no_such_procedure", 404, 404, 404, 404, 404, 404, 404),
    line(AGENCIES,      "-",     "",                  200, 200, 200, 200, 200, 200, 200),
    line(DEADLINE,      "-",     "",                  200, 200, 200, 200, 200, 200, 200),
    line(CASES,         "-",     "",                  200, 200, 200, 200, 200, 200, 200),
    line(CASES,         "other", "",                  200, 200, 200, 200, 200, 200, 200),
    line(OPEN,          "-",     "invalid_body",      422, 422, 422, 422, 422, 422, 422, bad=422),
    line(OPEN,          "own",   "legality_review",   201, 201, 403, 403, 403, 403, 403),
    line(OPEN,          "other", "legality_review",   403, 403, 403, 403, 403, 403, 403),
    line(OPEN,          "own",   "filing_review",     201, 201, 403, 201, 403, 201, 201),
    line(OPEN,          "other", "filing_review",     403, 403, 403, 201, 403, 201, 403),
    line(CASE,          "own",   "",                  200, 200, 200, 200, 200, 200, 200),
    line(CASE,          "party", "",                  200, 200, 200, 200, 200, 200, 200),
    line(CASE,          "other", "",                  403, 403, 200, 200, 200, 200, 403),
    line(CASE,          "none",  "",                  404, 404, 404, 404, 404, 404, 404),
    line(HISTORY,       "own",   "",                  200, 200, 200, 200, 200, 200, 200),
    line(HISTORY,       "party", "",                  200, 200, 200, 200, 200, 200, 200),
    line(HISTORY,       "other", "",                  403, 403, 200, 200, 200, 200, 403),
    line(HISTORY,       "none",  "",                  404, 404, 404, 404, 404, 404, 404),
    line(FIRE,          "own",   "withdraw",          200, 200, 403, 403, 403, 403, 403),
    line(FIRE,          "other", "withdraw",          403, 403, 403, 403, 403, 403, 403),
    line(FIRE,          "own",   "accept",            403, 403, 200, 403, 403, 403, 403),
    line(FIRE,          "other", "accept",            403, 403, 200, 403, 403, 403, 403),
    line(FIRE,          "own",   "supplement",        409, 409, 403, 403, 403, 409, 409),
    line(FIRE,          "other", "supplement",        403, 403, 403, 403, 403, 409, 403),
    line(FIRE,          "own",   "no_such_trigger",   409, 409, 409, 409, 409, 409, 409),
    line(FIRE,          "other", "no_such_trigger",   403, 403, 409, 409, 409, 409, 403),
    line(FIRE,          "none",  "withdraw",          404, 404, 404, 404, 404, 404, 404),
    line(INBOUND_LIST,  "-",     "",                  403, 403, 403, 200, 200, 403, 403),
    line(INBOUND,       "own",   "publish",           200, 200, 403, 200, 403, 200, 200),
    line(INBOUND,       "other", "publish",           403, 403, 403, 200, 403, 200, 403),
    line(INBOUND,       "own",   "file",              200, 200, 403, 403, 403, 200, 200),
    line(INBOUND,       "other", "file",              403, 403, 403, 403, 403, 200, 403),
    line(INBOUND,       "none",  "file",              404, 404, 404, 404, 404, 404, 404),
    line(OVERDUE,       "-",     "",                  200, 200, 200, 200, 200, 200, 200),
    line(OVERDUE,       "other", "",                  200, 200, 200, 200, 200, 200, 200),
    line(INCIDENTS,     "-",     "",                  200, 200, 200, 200, 200, 200, 200),
    line(DOCUMENT,      "own",   "",                  200, 200, 200, 200, 200, 200, 200),
    line(DOCUMENT,      "other", "",                  403, 403, 200, 200, 200, 200, 403),
    line(DOCUMENT,      "none",  "",                  404, 404, 404, 404, 404, 404, 404),
    line(DOCUMENT_FILE, "own",   "",                  200, 200, 200, 200, 200, 200, 200),
    line(DOCUMENT_FILE, "other", "",                  403, 403, 200, 200, 200, 200, 403),
    line(DOCUMENT_FILE, "none",  "",                  404, 404, 404, 404, 404, 404, 404),
    line(CORRECT,       "own",   "",                  403, 403, 201, 201, 403, 403, 403),
    line(CORRECT,       "other", "",                  403, 403, 201, 201, 403, 403, 403),
    line(CORRECT,       "none",  "",                  403, 403, 404, 404, 403, 403, 403),
    line(REGISTER,      "-",     "",                  200, 200, 200, 200, 200, 200, 200),
    line(REGISTER,      "other", "",                  200, 200, 200, 200, 200, 200, 200),
    line(ENFORCERS,     "-",     "",                  200, 200, 200, 200, 200, 200, 200),
    line(ENFORCERS,     "other", "",                  403, 403, 200, 200, 200, 200, 403),
    line(STATISTICS_OPEN, "-",   "",                  403, 403, 201, 201, 403, 403, 403),
    line(STATISTICS_TOTALS, "-", "",                  403, 403, 200, 200, 200, 200, 403),
    line(STATISTICS_CSV, "-",    "",                  403, 403, 200, 200, 200, 200, 403),
    line(OFFICERS,      "-",     "",                  200, 200, 200, 200, 200, 200, 200),
    line(OFFICERS_MISSING, "-",  "",                  403, 403, 200, 200, 200, 200, 403),
    line(NAME_OFFICERS, "own",   "",                  200, 200, 200, 403, 200, 403, 403),
    line(NAME_OFFICERS, "other", "",                  403, 403, 200, 403, 200, 403, 403),
    line(NAME_OFFICERS, "none",  "",                  403, 403, 404, 403, 404, 403, 403),
    line(NOTIFICATIONS, "-",     "",                  200, 200, 200, 200, 200, 200, 200),
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
(argon2, see docs/web.md); this page is about the API's bearer tokens.

## Tokens

- A token is `xsf_` followed by 32 random bytes (`secrets.token_urlsafe(32)`, 256 bits). It is
  printed once, by `xsflow token create --name N --role R [--agency CODE] [--expires-in-days D]`,
  and never stored: the `tokens` table keeps its **SHA-256** digest (hex, `xsflow/tokens.py`
  `token_hash`), with name, role, agency, `created_at`, `expires_at` and `revoked_at`. A copy
  of the database therefore holds no usable token. A fast hash suffices because the secret is
  random, not a password: there is nothing to guess.
- A request presents it as `Authorization: Bearer <token>`. No token, another scheme, an unknown
  token, a revoked one or an expired one is answered 401 with a message saying which.
- `xsflow token revoke NAME|ID` revokes every live token of that name (or that id) at once; the
  next request with it is refused.
- `--expires-in-days D` sets `expires_at`; from that instant on the token is refused. Without it
  a token lives until revoked.
- Tokens are never written to logs: they travel in a header, and the access log records only the
  client, the request line, status, size and duration. The test checks the server's whole log
  (access and error log) and every table of the database for the text of every token it used.

## Roles and agencies

`clerk` and an agency-bound `system` see and act on the cases of their own agency, and on the
cases in which their agency is a party (a dispute's other agencies). `reviewer`, `supervisor`,
`admin` and a `system` without an agency see every agency. Which transitions a role may fire is
declared per procedure (docs/procedures.md); `admin` fires none.

- **Another agency's case or document is answered 403**, the same for reading it, its history,
  its document record and file, firing a trigger on it (also one the procedure does not have) and
  posting an event for its correlation key. The answer says only that the case belongs to another
  agency: no title, state, triggers, parties or numbers. A number that does not exist is answered
  404. Case and document ids are sequential, so telling "not yours" from "no such id" gives away
  nothing that counting does not.
- **Lists are filtered, not refused**: `GET /cases`, `/overdue`, `/incidents` and `/register`
  hold only what the caller may see; `?agency=` another agency gives an empty list to an
  agency-bound caller. `GET /certificates/enforcers?agency=` another agency is refused with 403,
  since that query names one agency only.
- `GET /events` (what other systems posted) is for supervisors and administrators only.
- Document corrections are issued by the bureau: reviewers and supervisors; everybody else gets
  403 before the document is even looked up.
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
    )


if __name__ == "__main__":
    print(render(), end="")
