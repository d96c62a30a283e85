"""OpenAPI links between operations: which answer gives the id another operation takes.

They tell a client (and the stateful fuzzing in tests/test_schemathesis.py) how to walk the API:
from an opened case to its history, its events and its documents, from a list to its items, from
a document to its correction. Every operation is the source or the target of at least one link.
An apispec plugin adds them, with an operationId for each operation, as the paths are documented.
"""
from __future__ import annotations

import re
from typing import Any

from apispec import BasePlugin

P = "/api/v1"
CASE, HISTORY, EVENTS = f"{P}/cases/{{case_id}}", f"{P}/cases/{{case_id}}/history", f"{P}/cases/{{case_id}}/events"
DOCUMENT, FILE, CORRECTIONS = (f"{P}/documents/{{document_id}}", f"{P}/documents/{{document_id}}/file",
                               f"{P}/documents/{{document_id}}/corrections")
SERVICE = f"{P}/documents/{{document_id}}/service"


def _case(pointer: str) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """The operations on a case whose id is at `pointer` in the answer."""
    ref = {"case_id": f"$response.body#{pointer}"}
    return {"Case": (CASE, "get", ref), "History": (HISTORY, "get", ref), "Fire": (EVENTS, "post", ref)}


def _document(pointer: str) -> dict[str, tuple[str, str, dict[str, Any]]]:
    ref = {"document_id": f"$response.body#{pointer}"}
    return {"Document": (DOCUMENT, "get", ref), "File": (FILE, "get", ref), "Correct": (CORRECTIONS, "post", ref),
            "Serve": (SERVICE, "post", ref)}


OFFICERS_OF = f"{P}/agencies/{{code}}/liaison-officers"
RATES = f"{P}/case-files/self-review-rates"
FACTS = f"{P}/case-files/assessment-facts"
CAMPAIGN = {"Draw": (f"{P}/case-file-evaluations/{{case_id}}/draw", "post", {"case_id": "$response.body#/id"}),
            "Redraw": (f"{P}/case-file-evaluations/{{case_id}}/redraw", "get", {"case_id": "$response.body#/id"})}

ASSESS = f"{P}/assessments/{{year}}"
ASSESS_RESULT = f"{ASSESS}/agencies/{{code}}"
_ASSESSED = {"year": "$response.body#/year", "code": "$response.body#/agency"}
ASSESSMENT_OPS = {"AssessmentResult": (ASSESS_RESULT, "get", _ASSESSED),
                  "CorrectAssessment": (f"{ASSESS_RESULT}/corrections", "post", _ASSESSED),
                  "AssessmentFinding": (f"{ASSESS_RESULT}/findings", "post", _ASSESSED),
                  "AssessmentPersonnel": (f"{ASSESS_RESULT}/personnel", "get", _ASSESSED),
                  "ComputeAssessment": (f"{ASSESS}/compute", "post", {"year": "$response.body#/year"}),
                  "AssessmentTable": (f"{ASSESS}/table.xlsx", "get", {"year": "$response.body#/year"}),
                  "PublishAssessment": (f"{ASSESS}/publication", "post", {"year": "$response.body#/year"}),
                  "AssessmentItemCases": (f"{ASSESS_RESULT}/items/{{item}}/cases", "get", {
                      "year": "$response.body#/year", "code": "$response.body#/agency",
                      "item": "$response.body#/items/1/code"})}

# (path, method, status) → {link name: (target path, target method, parameters)}
LINKS: dict[tuple[str, str, str], dict[str, tuple[str, str, dict[str, Any]]]] = {
    (f"{P}/procedures", "get", "200"): {"Procedure": (f"{P}/procedures/{{name}}", "get",
                                                      {"name": "$response.body#/items/0/name"})},
    (f"{P}/cases", "post", "201"): {**_case("/id"), **_document("/documents/0/id")},
    (f"{P}/cases", "get", "200"): _case("/items/0/id"),
    (CASE, "get", "200"): {**_case("/id"), **_document("/documents/0/id"), **CAMPAIGN,
                           "Deadline": (f"{P}/calendar/deadline", "get",
                                        {"start": "$response.body#/deadlines/0/due_date", "days": 1})},
    (EVENTS, "post", "200"): {**_case("/id"), **_document("/documents/0/id")},
    (f"{P}/events", "post", "200"): {**_case("/id"), **_document("/documents/0/id")},
    (f"{P}/events", "get", "200"): _case("/items/0/case_id"),
    (f"{P}/overdue", "get", "200"): _case("/items/0/case_id"),
    (f"{P}/overdue/summary", "get", "200"): {"OverdueInGroup": (f"{P}/overdue", "get", {
        "agency": "$response.body#/items/0/agency", "procedure": "$response.body#/items/0/procedure",
        "band": "$response.body#/items/0/band"})},
    (f"{P}/todo", "get", "200"): _case("/items/0/case_id"),
    (SERVICE, "post", "201"): {**_case("/case/id"), **_document("/document_id")},
    (f"{P}/incidents", "get", "200"): _case("/items/0/case_id"),
    (f"{P}/register", "get", "200"): _case("/items/0/case_id"),
    (f"{P}/audit-log", "get", "200"): _case("/items/0/case_id"),
    (f"{P}/certificates/enforcers", "get", "200"): _case("/items/0/case_id"),
    (f"{P}/agencies", "get", "200"): {
        "CasesOfAgency": (f"{P}/cases", "get", {"agency": "$response.body#/items/0/code"}),
        "OverdueOfAgency": (f"{P}/overdue", "get", {"agency": "$response.body#/items/0/code"}),
        "EnforcersOfAgency": (f"{P}/certificates/enforcers", "get", {"agency": "$response.body#/items/0/code"}),
        "OfficersOfAgency": (OFFICERS_OF, "put", {"code": "$response.body#/items/0/code"}),
        "SelfReviewRatesOfAgency": (RATES, "get", {"agency": "$response.body#/items/0/code", "year": 2025}),
        "AssessmentOfAgency": (ASSESS_RESULT, "get", {"year": 2025, "code": "$response.body#/items/0/code"})},
    (DOCUMENT, "get", "200"): {**_document("/id"), **_case("/case_id")},
    (CORRECTIONS, "post", "201"): {**_document("/id"), **_case("/case_id")},
    (f"{P}/annual-reports", "post", "200"): _case("/opened/0/case_id"),
    (f"{P}/statistics/periods", "post", "201"): _case("/case_ids/0"),
    (f"{P}/statistics/totals", "get", "200"): {"TotalsCsv": (f"{P}/statistics/totals.csv", "get", {})},
    (f"{P}/liaison-officers", "get", "200"): {"OfficersOfAgency": (OFFICERS_OF, "put", {"code": "$response.body#/items/0/agency"})},
    (f"{P}/liaison-officers/missing", "get", "200"): {"OfficersOfAgency": (OFFICERS_OF, "put", {"code": "$response.body#/items/0/code"})},
    (f"{P}/notifications", "get", "200"): _case("/items/0/case_id"),
    (f"{P}/case-files/import", "post", "201"): {"Rates": (RATES, "get", {"year": 2025}),
                                                "AssessmentFacts": (FACTS, "get", {"year": 2025})},
    (f"{P}/document-numbers", "get", "200"): {"Procedure": (f"{P}/procedures/{{name}}", "get",
                                                            {"name": "$response.body#/items/0/procedures/0"})},
    (f"{ASSESS}/compute", "post", "200"): {k: ASSESSMENT_OPS[k] for k in ("AssessmentTable", "PublishAssessment")},
    (ASSESS_RESULT, "get", "200"): {**ASSESSMENT_OPS, **_case("/items/0/cases/0/case_id")},
    (f"{ASSESS_RESULT}/corrections", "post", "201"): ASSESSMENT_OPS,
    (f"{ASSESS_RESULT}/findings", "post", "201"): {"AssessmentResult": (ASSESS_RESULT, "get", {
        "year": "$response.body#/year", "code": "$response.body#/agency_code"})},
    (f"{ASSESS_RESULT}/personnel", "get", "200"): {"AssessmentResult": (ASSESS_RESULT, "get", _ASSESSED),
                                                   **_case("/people/0/case_id"),
                                                   "Complaint": (CASE, "get", {
                                                       "case_id": "$response.body#/people/0/complaints/0/case_id"})},
    (f"{ASSESS}/publication", "post", "201"): {**_case("/case_id"), **_document("/document/id")},
    (f"{ASSESS_RESULT}/items/{{item}}/cases", "get", "200"): _case("/items/0/case_id"),
}


def operation_id(path: str, method: str) -> str:
    """`get /api/v1/cases/{case_id}/history` → `get_cases_case_id_history`."""
    return f"{method}_" + "_".join(re.sub(r"\W", "", part) for part in path.removeprefix(P).split("/") if part)


class LinksPlugin(BasePlugin):
    def operation_helper(self, path: str | None = None, operations: dict | None = None, **kwargs: Any) -> None:
        for method, operation in (operations or {}).items():
            operation.setdefault("operationId", operation_id(path or "", method))
            for status, response in operation.get("responses", {}).items():
                targets = LINKS.get((path, method, str(status)))
                if targets and isinstance(response, dict):
                    response["links"] = {name: {"operationId": operation_id(target, target_method),
                                                "parameters": parameters}
                                         for name, (target, target_method, parameters) in targets.items()}
