"""Form fields for the numbers the county's OA system assigned (docs/documents.md): a step that issues a
document of an issuer numbered by the OA asks for its number, one text box per such document kind."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from xsflow.definitions import Procedure, Transition
from xsflow.numbering import FIELD

from .forms import FormField

SEP = "__"  # form field `document_numbers__<kind>` ↔ payload `document_numbers.<kind>`


def oa_fields(proc: Procedure, candidates: Iterable[Transition]) -> list[FormField]:
    kinds = dict.fromkeys(k for t in candidates for k in t.issues)
    out = []
    for name in kinds:
        kind = proc.document(name)
        if kind.numbering is not None and kind.numbering.from_oa:
            out.append(FormField(f"{FIELD}{SEP}{name}", f"《{kind.title}》文号（县OA系统编定）", "text", required=True,
                                 max_length=80, help=f"例如 {kind.prefix}〔2026〕7号"))
    return out


def gather(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with the OA numbers the form gave moved under `document_numbers`."""
    numbers = {k.split(SEP, 1)[1]: payload.pop(k) for k in list(payload) if k.startswith(FIELD + SEP)}
    return {**payload, FIELD: numbers} if numbers else payload


def form_problems(problems: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """The engine's `document_numbers.<kind>` problems under the form's field names."""
    return {(k.replace(".", SEP, 1) if k.startswith(FIELD + ".") else k): v for k, v in problems.items()}
