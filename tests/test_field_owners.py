"""One schema per procedure, trigger and role (xsflow/field_owners.py), walked over every loaded procedure:
each role that may fire a transition is refused, 422 on the field and in Chinese, every field that only
another role's act carries — in the trigger's payload and in the opening data — and a field restricted
within a trigger (`payloads.only_for`) to the roles it names."""
from __future__ import annotations

import re

import pytest

from workflows import ALL_PROCEDURES
from xsflow.definitions import TIMER
from xsflow.errors import InvalidPayload
from xsflow.field_owners import field_roles, fields_for, owners
from xsflow.validation import validated_data, validated_payload

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _foreign(proc, role):
    """Fields of the procedure that only other roles' transitions carry."""
    return sorted(name for name, carriers in owners(proc).items() if all(role not in roles for _, roles in carriers))


def _cases():
    for proc in ALL_PROCEDURES:
        seen = set()
        for t in proc.transitions:
            if t.automatic or t.trigger in seen:
                continue
            seen.add(t.trigger)
            for role in sorted(t.roles - {TIMER}):
                yield pytest.param(proc, t, role, id=f"{proc.name}-v{proc.version}-{t.trigger}-{role}")


@pytest.mark.parametrize(("proc", "t", "role"), list(_cases()))
def test_a_role_cannot_send_another_roles_fields_with_its_trigger(proc, t, role):
    mine = fields_for(proc, t.trigger, role)
    declared = set(t.payload().fields) if t.payload is not None else set()
    assert mine <= declared
    for name in _foreign(proc, role):
        if name in mine:
            continue
        with pytest.raises(InvalidPayload) as refused:
            validated_payload(t, {name: "x"}, proc, role)
        messages = refused.value.fields.get(name)
        assert messages, (name, refused.value.fields)
        assert CHINESE.search(messages[0]) and name in messages[0] and "不能填写" in messages[0], messages
    for name, f in (t.payload().fields.items() if t.payload is not None else ()):
        roles = field_roles(f)
        if roles is not None and role not in roles:
            with pytest.raises(InvalidPayload) as refused:
                validated_payload(t, {name: "x"}, proc, role)
            assert "不能填写" in refused.value.fields[name][0]


@pytest.mark.parametrize("proc", ALL_PROCEDURES, ids=lambda p: f"{p.name}-v{p.version}")
def test_the_opening_data_refuses_the_fields_of_acts_the_opener_cannot_perform(proc):
    assert proc.data is not None, f"{proc.name} v{proc.version} declares no schema for its opening data"
    data_fields = set(proc.data().fields)
    for role in sorted(proc.opened_by):
        for name in _foreign(proc, role):
            if name in data_fields:
                continue
            with pytest.raises(InvalidPayload) as refused:
                validated_data(proc, {name: "x"}, role)
            messages = refused.value.fields.get(f"data.{name}")
            assert messages and CHINESE.search(messages[0]) and "不能填写" in messages[0], refused.value.fields


def test_the_legality_reviews_conclusion_is_the_reviewers():
    proc = next(p for p in ALL_PROCEDURES if p.name == "legality_review")
    assert "conclusion" in fields_for(proc, "issue_opinion", "reviewer")
    assert "conclusion" not in fields_for(proc, "supplement", "clerk")
    with pytest.raises(InvalidPayload) as refused:
        validated_data(proc, {"conclusion": "lawful"}, "clerk")
    assert refused.value.fields["data.conclusion"] == [
        "“审查结论”（conclusion）由县司法局审查人员在“出具合法性审查意见”时填写，属于该环节的决定，"
        "执法机关（起草单位）经办人员不能填写，请删除该字段。"]
