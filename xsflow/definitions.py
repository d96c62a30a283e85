"""Declarations of procedures: states, transitions, deadlines, documents, each with its legal basis.

A procedure module in `workflows/` builds one `Procedure` with `procedure(...)`; the
definition is checked as it is built and every problem is reported at once. Nothing
here touches a database or a clock.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from marshmallow import Schema

from .errors import DefinitionError

if TYPE_CHECKING:
    from .numbering import Numbering

ROLES = frozenset({"clerk", "reviewer", "supervisor", "system", "admin", "township"})
TIMER = "timer"  # the pseudo-role of transitions fired by a lapsing deadline
# Read-only roles: they fire nothing and open nothing, and see only the cases of the procedures that
# name them in `observers` (the county procuratorate: criminal transfers, 国务院令第310号 第十四条).
OBSERVER_ROLES = frozenset({"procuratorate"})


@dataclass(frozen=True)
class Basis:
    """Where a state, transition or deadline comes from: a rule and an article."""

    source: str
    article: str = ""
    note: str = ""
    # False: the article was taken from a summary and not yet checked against the published text
    # (shown on GET /api/v1/procedures and on the diagrams so the operator knows what to verify).
    verified: bool = True

    def __str__(self) -> str:
        text = f"{self.source}{self.article}"
        return f"{text}（{self.note}）" if self.note else text


UNVERIFIED_MARK = "※"  # on diagrams: the article was not checked against the published text
UNVERIFIED_TEXT = "标※者，依据条文系据摘要编写，尚未与公布文本核对"


def unverified(basis: Basis | None) -> bool:
    """True when `basis` names an article not yet checked against the published text."""
    return basis is not None and not basis.verified


@dataclass(frozen=True)
class Rule:
    """A rule whose articles are cited, e.g. `Rule("《秀山自治县行政执法监督制度》").art(13)`."""

    title: str

    verified: bool = True  # False: articles cited from a summary, not checked against the published text

    def art(self, number: int | str, item: int | str | None = None, *, note: str = "") -> Basis:
        article = f"第{number}条" + (f"第（{item}）项" if item is not None else "")
        return Basis(self.title, article, note, self.verified)


@dataclass(frozen=True)
class State:
    name: str
    title: str
    basis: Basis | None
    terminal: bool = False


@dataclass(frozen=True)
class Guard:
    """A condition on (case data, payload); `refusal` tells the clerk why it failed."""

    test: Callable[[Mapping[str, Any], Mapping[str, Any]], bool]
    refusal: str
    # Optional: the refusal in full from (case data, payload), e.g. naming the missing materials.
    explain: Callable[[Mapping[str, Any], Mapping[str, Any]], str] | None = None
    # Optional: the payload field at fault; the refusal is then a 422 on that field, not a 409.
    field: str | None = None


Effect = Callable[[Mapping[str, Any], Mapping[str, Any]], dict[str, Any]]
# Follow-up cases a transition opens in its own transaction (each decision of the minutes becomes a
# task): from (case data after the effect, payload, origin) to [{procedure, agency, title, data}];
# origin is {case_id, title, documents: [{kind, number}] issued by this transition}.
Opens = Callable[[Mapping[str, Any], Mapping[str, Any], Mapping[str, Any]], list[dict[str, Any]]]


@dataclass(frozen=True)
class NotBefore:
    """A rule that allows an act only from a day on, the day following from the case data (考核结果
    are published after the assessed year): the act's local date must be `first_day(data)` or later."""

    first_day: Callable[[Mapping[str, Any]], date]
    reason: str  # why, in the rule's words; the engine adds the day, the act's date and the basis
    basis: Basis | None


@dataclass(frozen=True)
class Unique:
    """A value a transition writes into the case data that no case of another subject (another
    correlation value) of the procedure may hold, open or closed: a certificate number is issued to
    one person only. Checked after the effect; refused 422 on the payload `field`."""

    field: str  # the payload field the value comes from, named in the refusal
    path: str  # where the case data keeps the value after the effect, dotted (certificate.number)
    what: str  # the value's name in the refusal, e.g. 执法证号


@dataclass(frozen=True)
class CaseLink:
    """A field (of the opening data, or of a transition's payload) naming another case by its id,
    checked when the case opens or the transition fires: the case exists, the caller sees it, and
    it is of a procedure, in a state, that `allowed(data, payload)` names ({procedure: states or
    None for any state}); else 422 on the field."""

    field: str
    allowed: Callable[[Mapping[str, Any], Mapping[str, Any]], Mapping[str, Iterable[str] | None]]
    what: str  # the linked case's name in a refusal, e.g. 行政执法个案监督案件


@dataclass(frozen=True)
class Private:
    """Personal data a case carries (a complainant's name and contact) that only the owning agency's own
    staff and the county-wide roles see (Actor.sees_private): the data `fields` (top level, in the case
    data and in any payload or opening data of its history) are left out of every answer to anyone else,
    and the `documents` addressed to the person (their facts name it) are withheld from them."""

    fields: tuple[str, ...]
    documents: tuple[str, ...] = ()


@dataclass(frozen=True)
class LinkedCase:
    """A case of another procedure that a transition opens in the same transaction (art. 28: a case
    file scored under 60 opens a case supervision; a decision of the minutes becomes a task). When
    `data` holds the other procedure's correlation value the same subject is never opened twice. The
    engine records the new cases under `linked_cases` in the opening case's data."""

    procedure: str
    agency: str
    title: str
    data: Mapping[str, Any]
    # The role the rule opens it as (one of the other procedure's opened_by), acting for the person
    # who fired the step; None: that person opens it in their own role.
    opened_as: str | None = None


# (case data after the effect, payload, origin) → the cases to open; origin is {case_id, title, agency,
# documents: [{kind, number}] issued by this transition}.
Opens = Callable[[Mapping[str, Any], Mapping[str, Any], Mapping[str, Any]], list[LinkedCase]]


@dataclass(frozen=True)
class Side:
    """One side of a procedure whose agencies act in turns (an agency and the police: 国务院令第310号),
    named by a transition's `acting_side`: only that side's staff and systems fire it, whatever their role."""

    title: str  # in the refusal and on the diagram, e.g. 行政执法机关, 公安机关
    # The side's agency codes, from the procedure's configuration; None: the case's own agency.
    agencies: frozenset[str] | None = None


@dataclass(frozen=True)
class Transition:
    trigger: str
    sources: tuple[str, ...]
    dest: str | None  # None: stays in the state (an internal transition)
    roles: frozenset[str]
    basis: Basis | None
    title: str
    payload: type[Schema] | None = None
    guard: Guard | None = None
    effect: Effect | None = None  # returns the case data after the transition
    issues: tuple[str, ...] = ()
    cancels_deadlines: bool = False  # leaving by this transition cancels, not meets, deadlines
    not_before: NotBefore | None = None  # the first day the act may be dated
    unique: Unique | None = None  # a value it writes that no other subject's case may hold
    links: tuple[CaseLink, ...] = ()  # payload fields naming other cases
    opens: Opens | None = None  # cases of other procedures it opens (see LinkedCase)
    # A payload field naming the agency that acts (a member unit proposing a topic): the engine fills
    # it with a clerk's own agency, refuses another, and requires it to be one of the case's agencies.
    acting_agency: str | None = None
    # It leaves a terminal state (an act of the bureau revoked: art. 13 legality review reopened).
    # Not offered in to-do lists or as an available trigger; fired deliberately by its role.
    reopens: bool = False
    # The side (Procedure.sides) whose agency acts; None: any agency that sees the case in the role.
    acting_side: str | None = None

    @property
    def automatic(self) -> bool:
        return TIMER in self.roles


@dataclass(frozen=True)
class Deadline:
    """A period that runs while the case stays in `while_in`, counted from the entering event.

    A statutory deadline fires `on_lapse` when it lapses, once: the lapse closes it wherever the
    lapse transition leads (an internal one, dest=None, stays and marks the case overdue; one back
    into the same state starts the period afresh). A service-level deadline (`on_lapse=None`,
    period from configuration) only makes the case overdue.
    """

    name: str
    title: str
    while_in: frozenset[str]
    basis: Basis | None
    working_days: int | None = None
    days: int | None = None
    on_lapse: str | None = None
    service_level: bool = False
    set_by: str | None = None  # a payload field of the entering transition that sets the period (限期)
    set_unit: str = "days"  # the unit of `set_by`: days | working_days
    set_date_by: str | None = None  # with set_by: a payload field that may name the last day instead
    fixed: Callable[[date], date] | None = None  # a date deadline (每年12月31日之前) from the entering date
    on_date: str | None = None  # a date deadline on the ISO date at this (dotted) path of the case data (有效期届满)
    hours: int | None = None  # N小时, counted from the entering event's instant, not in days (24小时内移送)
    # The document kinds the entering transitions issue (each one at least one of them): the period runs
    # from the service (送达) of the one the entering step issued, recorded by POST /documents/{id}/service,
    # not from the entering event; until then it waits (awaiting_service).
    from_service: tuple[str, ...] = ()
    # States in which the period is suspended (中止), not ended: back in `while_in` it resumes with the
    # days it had left; each part is a period of its own in the deadline history.
    suspended_in: frozenset[str] = frozenset()

    @property
    def period_text(self) -> str:
        text = self._count_text
        return f"自送达之日起{text}" if self.from_service else text

    def awaited(self, t: Transition | None) -> str | None:
        """The document whose service starts this period when `t` enters it: the first of `from_service`
        that `t` issues (the first declared when no step is known), None for a period that does not wait."""
        issued = [k for k in self.from_service if t is not None and k in t.issues]
        return (issued or list(self.from_service) or [None])[0]

    @property
    def _count_text(self) -> str:
        if self.hours is not None:
            return f"{self.hours}小时"
        if self.working_days is not None:
            return f"{self.working_days}个工作日"
        if self.days is not None:
            return f"{self.days}日"
        if self.set_by is not None and self.set_date_by is not None:
            return f"按“{self.set_by}”所定日数（{'工作日' if self.set_unit == 'working_days' else '日'}）或“{self.set_date_by}”所定日期"
        if self.set_by is not None:
            return f"按“{self.set_by}”所定期限（{'工作日' if self.set_unit == 'working_days' else '日'}）"
        if self.on_date is not None:
            return f"案件数据“{self.on_date}”所载日期"
        return "指定日期"


Facts = Callable[[Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class DocumentKind:
    """A document a transition issues: its number prefix, its wording template, and the facts
    the template needs beyond the common ones (recipient, case, deadlines, earlier documents)."""

    name: str
    title: str
    prefix: str  # 机关代字, e.g. 秀山司监 → 秀山司监〔2026〕12号 (from the operator's configuration)
    basis: Basis | None
    template: str = ""  # file name under the procedure's templates folder
    facts: Facts | None = None
    # Issuer, prefix, number source and 版记 data (xsflow/numbering.py); None: the bureau's series, no 版记 data.
    numbering: Numbering | None = None
    sent_up: bool = False  # 上行文 (a report or request to a higher organ): carries 签发人 (GB/T 9704 7.2.5)


@dataclass(frozen=True)
class Procedure:
    name: str
    version: int
    title: str
    initial: str
    states: tuple[State, ...]
    transitions: tuple[Transition, ...]
    deadlines: tuple[Deadline, ...]
    documents: tuple[DocumentKind, ...]
    opened_by: frozenset[str]
    basis: Basis | None
    effective_from: date | None = None
    correlation_field: str = "reference"
    data: type[Schema] | None = None  # what a case carries when opened
    parties_field: str | None = None  # data field listing further agencies that see the case
    opening_event: str | None = None  # the trigger name another system opens a case with
    min_parties: int = 0  # distinct agencies (the owner and the listed parties) a case must have
    # The correlation field is unique per agency, not county-wide (one assessment per agency and
    # year): the stored key is "<agency code>/<value>", e.g. "gaj/2025".
    correlation_per_agency: bool = False
    # The key names the subject's one open case, not the case for ever (one open certificate case per
    # person): a case entering a terminal state gives its key up, so the subject may have a new case.
    # The value stays in the case data and its history.
    correlation_while_open: bool = False
    links: tuple[CaseLink, ...] = ()  # opening data fields naming other cases (a correction order's source case)
    # A data field naming the agency the case is about, which is not a party (a complaint's agency concerned):
    # that agency's township or street government, when it has one, is made a party (附件2 第三条).
    subject_field: str | None = None
    private: Private | None = None  # personal data shown only to those who need it (Actor.sees_private)
    observers: frozenset[str] = frozenset()  # read-only roles (OBSERVER_ROLES) that see its cases of their agency
    # Who is reminded when a statutory deadline lapses: (case data, deadline name) -> agency codes, or
    # None for the owner and every party (xsflow/liaison.py). The meeting reminds only the missing reporters.
    reminded: Callable[[Mapping[str, Any], str], Iterable[str] | None] | None = field(default=None, compare=False)
    # What the opening's occurred_at is when the rule counts a period from it (发布日期): then it must
    # be given, never defaulted to now; the text says why, e.g. "备案期限自发布之日起算（第10条）".
    dated_by: tuple[str, str] | None = None  # (name of the date, why it is required)
    # The sides transitions name in `acting_side` (xsflow/access.py enforces them), by name.
    sides: Mapping[str, Side] = field(default_factory=dict, compare=False)
    _index: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def state(self, name: str) -> State:
        return self._index["states"][name]

    def side_title(self, t: Transition) -> str:
        """The side that acts in `t`, for diagrams and tables: "（公安机关）", or "" when any may act."""
        return f"（{self.sides[t.acting_side].title}）" if t.acting_side in self.sides else ""

    def document(self, name: str) -> DocumentKind:
        return self._index["documents"][name]

    def deadline(self, name: str) -> Deadline:
        return self._index["deadlines"][name]

    def transitions_for(self, trigger: str) -> tuple[Transition, ...]:
        return self._index["triggers"].get(trigger, ())

    def triggers_from(self, state: str) -> list[str]:
        """Triggers a person may fire in `state`, in declaration order, without duplicates."""
        seen: dict[str, None] = {}
        for t in self.transitions:
            if state in t.sources and not t.automatic:
                seen.setdefault(t.trigger, None)
        return list(seen)

    def triggers_of(self, role: str, state: str) -> list[str]:
        """Triggers `role` may fire in `state` (none in a terminal state, none of the timer's)."""
        if self.state(state).terminal:
            return []
        return list(dict.fromkeys(t.trigger for t in self.transitions
                                  if state in t.sources and not t.automatic and role in t.roles))

    def reopenings_of(self, role: str | None, state: str) -> list[str]:
        """Triggers leaving terminal `state` (Transition.reopens) that `role` may fire (None: any role);
        offered on the case, never in to-do lists."""
        return list(dict.fromkeys(t.trigger for t in self.transitions if t.reopens and state in t.sources
                                  and (role is None or role in t.roles)))

    def deadlines_entered(self, source: str | None, dest: str) -> list[Deadline]:
        """Deadlines that start when a case moves from `source` (None: opening) to `dest`."""
        return [d for d in self.deadlines if dest in d.while_in and (source is None or source not in d.while_in)]

    def deadlines_in(self, state: str) -> list[Deadline]:
        return [d for d in self.deadlines if state in d.while_in]

    def deadlines_left(self, source: str, dest: str) -> list[Deadline]:
        return [d for d in self.deadlines if source in d.while_in and dest not in d.while_in]

    @property
    def key(self) -> tuple[str, int]:
        return (self.name, self.version)

    def correlation_key(self, agency: str, value: Any) -> str | None:
        """The key a case is stored and found under (unique per procedure): the correlation field's
        value, prefixed by the agency's code when the procedure correlates per agency."""
        if value is None:
            return None
        return f"{agency}/{value}" if self.correlation_per_agency else str(value)


# --- declaration helpers: keyword arguments so a procedure reads like its rule -------------


def state(name: str, title: str, *, basis: Basis | None, terminal: bool = False) -> State:
    return State(str(name), title, basis, terminal)


def transition(
    trigger: str,
    source: str | Iterable[str],
    dest: str | None,
    *,
    role: str | Iterable[str],
    basis: Basis | None,
    title: str,
    payload: type[Schema] | None = None,
    guard: Guard | None = None,
    effect: Effect | None = None,
    issues: str | Iterable[str] = (),
    cancels_deadlines: bool = False,
    not_before: NotBefore | None = None,
    unique: Unique | None = None,
    links: Iterable[CaseLink] = (),
    opens: Opens | None = None,
    acting_agency: str | None = None,
    reopens: bool = False,
    acting_side: str | None = None,
) -> Transition:
    sources = (str(source),) if isinstance(source, str) else tuple(str(s) for s in source)
    dest = str(dest) if dest is not None else None
    roles = frozenset((role,) if isinstance(role, str) else role)
    issued = (issues,) if isinstance(issues, str) else tuple(issues)
    return Transition(trigger, sources, dest, roles, basis, title, payload, guard, effect, issued,
                      cancels_deadlines, not_before, unique, tuple(links), opens, acting_agency, reopens,
                      acting_side)


def deadline(
    name: str,
    *,
    title: str,
    while_in: str | Iterable[str],
    basis: Basis | None,
    working_days: int | None = None,
    days: int | None = None,
    set_by: str | None = None,
    set_unit: str = "days",
    set_date_by: str | None = None,
    fixed: Callable[[date], date] | None = None,
    on_date: str | None = None,
    on_lapse: str | None = None,
    hours: int | None = None,
    from_service: str | Iterable[str] = (),
    suspended_in: str | Iterable[str] = (),
) -> Deadline:
    """A statutory deadline: N working days, N days (rolled over a rest day), N hours (from the event's
    instant), a period the entering transition sets (`set_by`, e.g. 责令限期改正), or a fixed date
    computed from the entering date. `from_service`: counted from the service of that document (of the one
    the entering step issues, when several steps enter with different documents)."""
    return Deadline(name, title, _names(while_in), basis, working_days, days, on_lapse,
                    set_by=set_by, set_unit=set_unit, fixed=fixed, on_date=on_date, set_date_by=set_date_by,
                    hours=hours, from_service=(from_service,) if isinstance(from_service, str) else tuple(from_service),
                    suspended_in=_names(suspended_in))


def service_level(
    name: str,
    *,
    title: str,
    while_in: str | Iterable[str],
    setting: Mapping[str, Any],
    suspended_in: str | Iterable[str] = (),
) -> Deadline:
    """A review period from configuration (`settings` of service_levels.toml), never a constant."""
    basis = Basis(str(setting["source"]), str(setting.get("article", ""))) if setting.get("source") else None
    return Deadline(name, title, _names(while_in), basis, setting.get("working_days"), setting.get("days"),
                    None, service_level=True, suspended_in=_names(suspended_in))


def _names(states: str | Iterable[str]) -> frozenset[str]:
    """State names as plain strings: a StrEnum member and its value are the same name."""
    return frozenset((str(states),) if isinstance(states, str) else (str(s) for s in states))


def document(name: str, *, title: str, prefix: str, basis: Basis | None, template: str = "",
             facts: Facts | None = None, numbering: Numbering | None = None, sent_up: bool = False) -> DocumentKind:
    return DocumentKind(name, title, prefix, basis, template or f"{name}.txt", facts, numbering, sent_up)


def procedure(
    name: str,
    *,
    version: int,
    title: str,
    initial: str,
    states: Iterable[State],
    transitions: Iterable[Transition],
    deadlines: Iterable[Deadline] = (),
    documents: Iterable[DocumentKind] = (),
    opened_by: str | Iterable[str],
    basis: Basis | None,
    effective_from: date | None = None,
    correlation_field: str = "reference",
    data: type[Schema] | None = None,
    parties_field: str | None = None,
    opening_event: str | None = None,
    min_parties: int = 0,
    correlation_per_agency: bool = False,
    correlation_while_open: bool = False,
    links: Iterable[CaseLink] = (),
    subject_field: str | None = None,
    private: Private | None = None,
    observers: Iterable[str] = (),
    reminded: Callable[[Mapping[str, Any], str], Iterable[str] | None] | None = None,
    dated_by: tuple[str, str] | None = None,
    sides: Mapping[str, Side] | None = None,
) -> Procedure:
    """Builds and checks a procedure; raises DefinitionError listing every problem."""
    proc = Procedure(
        name, version, title, str(initial), tuple(states), tuple(transitions), tuple(deadlines),
        tuple(documents), frozenset((opened_by,) if isinstance(opened_by, str) else opened_by),
        basis, effective_from, correlation_field, data, parties_field, opening_event, min_parties,
        correlation_per_agency, correlation_while_open, tuple(links), subject_field, private,
        frozenset(observers), reminded, dated_by, dict(sides or {}),
    )
    problems = check(proc)
    if problems:
        raise DefinitionError(f"{name} v{version}", problems)
    triggers: dict[str, tuple[Transition, ...]] = {}
    for t in proc.transitions:
        triggers[t.trigger] = triggers.get(t.trigger, ()) + (t,)
    proc._index.update(
        states={s.name: s for s in proc.states},
        documents={d.name: d for d in proc.documents},
        deadlines={d.name: d for d in proc.deadlines},
        triggers=triggers,
    )
    return proc


def check(proc: Procedure) -> list[str]:
    """Every problem of a definition, so that one load shows them all."""
    problems: list[str] = []
    names = [s.name for s in proc.states]
    known = set(names)
    for dup in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"state {dup!r} is declared twice")
    if proc.basis is None:
        problems.append("the procedure has no legal basis")
    if proc.initial not in known:
        problems.append(f"initial state {proc.initial!r} is not declared")
    for s in proc.states:
        if s.basis is None:
            problems.append(f"state {s.name!r} has no legal basis")
    unknown_roles = proc.opened_by - ROLES
    if unknown_roles:
        problems.append(f"opened_by names unknown roles {sorted(unknown_roles)}")
    if proc.observers - OBSERVER_ROLES:
        problems.append(f"observers names roles that are not read-only {sorted(proc.observers - OBSERVER_ROLES)}")
    kinds = {d.name for d in proc.documents}
    for d in proc.documents:
        if d.basis is None:
            problems.append(f"document {d.name!r} has no legal basis")
    triggers = {t.trigger for t in proc.transitions}
    for t in proc.transitions:
        where = f"transition {t.trigger!r}"
        for src in t.sources:
            if src not in known:
                problems.append(f"{where} starts from unknown state {src!r}")
        if t.dest is not None and t.dest not in known:
            problems.append(f"{where} leads to unknown state {t.dest!r}")
        if t.basis is None:
            problems.append(f"{where} has no legal basis")
        if not t.roles:
            problems.append(f"{where} names no role")
        if TIMER in t.roles and t.roles != {TIMER}:
            problems.append(f"{where} mixes the timer with roles {sorted(t.roles - {TIMER})}: "
                            "a lapse is fired by the timer alone")
        bad = t.roles - ROLES - {TIMER}
        if bad:
            problems.append(f"{where} names unknown roles {sorted(bad)}")
        for kind in t.issues:
            if kind not in kinds:
                problems.append(f"{where} issues undeclared document {kind!r}")
            elif t.automatic and (n := next(d for d in proc.documents if d.name == kind).numbering) and n.from_oa:
                problems.append(f"{where} is the timer's and issues {kind!r}, whose number comes from the OA "
                                f"(source = \"oa\" in document_numbers.toml): no event carries it; number it in xsflow")
        for src in t.sources:
            if _terminal(proc, src) and not t.reopens:
                problems.append(f"{where} leaves terminal state {src!r}")
        if t.not_before is not None and t.not_before.basis is None:
            problems.append(f"{where} has a not_before rule without legal basis")
        if t.not_before is not None and t.automatic:
            problems.append(f"{where}: a lapse is dated by its deadline, it takes no not_before rule")
        if t.unique is not None and (t.payload is None or t.unique.field not in t.payload().fields):
            problems.append(f"{where} keeps {t.unique.path!r} unique by payload field {t.unique.field!r}, "
                            "which it does not carry")
        if t.acting_side is not None and t.acting_side not in proc.sides:
            problems.append(f"{where} is acted by side {t.acting_side!r}, which the procedure does not declare")
        if t.acting_side is not None and t.automatic:
            problems.append(f"{where} is the timer's: it has no acting side")
        if t.acting_agency is not None and (t.payload is None or t.acting_agency not in t.payload().fields):
            problems.append(f"{where} names its acting agency by payload field {t.acting_agency!r}, "
                            "which it does not carry")
    for d in proc.deadlines:
        where = f"deadline {d.name!r}"
        if d.basis is None:
            problems.append(f"{where} has no legal basis")
        for s in sorted(d.while_in - known):
            problems.append(f"{where} runs in unknown state {s!r}")
        kinds_given = [k for k in (d.working_days, d.days, d.hours, d.set_by, d.fixed, d.on_date) if k is not None]
        if len(kinds_given) != 1:
            problems.append(f"{where} needs exactly one of working_days, days, hours, set_by, fixed or on_date")
        if d.hours is not None and d.hours < 1:
            problems.append(f"{where} has a period of {d.hours} hours, which is not at least 1")
        if d.from_service:
            for kind in d.from_service:
                if kind not in kinds:
                    problems.append(f"{where} runs from the service of undeclared document {kind!r}")
            entering = [t for t in proc.transitions if t.dest in d.while_in and not set(t.sources) & d.while_in
                        and not set(t.sources) & d.suspended_in]
            for t in entering:
                if not set(d.from_service) & set(t.issues):
                    problems.append(f"{where} runs from the service of {' or '.join(map(repr, d.from_service))}, "
                                    f"which transition {t.trigger!r} entering it does not issue")
            if d.fixed is not None or d.on_date is not None:
                problems.append(f"{where}: a fixed date does not run from a service")
        for s in sorted(d.suspended_in - known):
            problems.append(f"{where} is suspended in unknown state {s!r}")
        if d.suspended_in & d.while_in:
            problems.append(f"{where} is suspended in states it runs in: {sorted(d.suspended_in & d.while_in)}")
        if d.set_date_by is not None and d.set_by is None:
            problems.append(f"{where}: set_date_by {d.set_date_by!r} is an alternative to set_by, which it lacks")
        if d.set_unit not in ("days", "working_days"):
            problems.append(f"{where} has set_unit {d.set_unit!r}, not days or working_days")
        if d.set_by is not None:
            setters = [t for t in proc.transitions if t.dest in d.while_in and not set(t.sources) & d.while_in]
            for t in setters:
                carried = t.payload().fields if t.payload is not None else {}
                for name in filter(None, (d.set_by, d.set_date_by)):
                    if name not in carried:
                        problems.append(f"{where} is set by payload field {name!r}, "
                                        f"which transition {t.trigger!r} does not carry")
        for n in (d.working_days, d.days):
            if n is not None and n < 1:
                problems.append(f"{where} has a period of {n}, which is not at least 1")
        if d.service_level:
            continue
        if d.on_lapse is None:
            problems.append(f"{where} has no lapse transition")
        elif d.on_lapse not in triggers:
            problems.append(f"{where} lapses into undeclared trigger {d.on_lapse!r}")
        else:
            lapse = [t for t in proc.transitions if t.trigger == d.on_lapse]
            if not all(t.automatic for t in lapse):
                problems.append(f"{where}: lapse trigger {d.on_lapse!r} must be fired by the timer only")
            uncovered = d.while_in - {s for t in lapse for s in t.sources}
            for s in sorted(uncovered & known):
                problems.append(f"{where}: lapse trigger {d.on_lapse!r} cannot fire from {s!r}")
    for name, side in proc.sides.items():
        if side.agencies is not None and not side.agencies:
            problems.append(f"side {name!r} names no agency")
    for link in proc.links:
        if proc.data is None or link.field not in proc.data().fields:
            problems.append(f"link {link.field!r} is not a field of the data schema")
    for t in proc.transitions:
        for link in t.links:
            if t.payload is None or link.field not in t.payload().fields:
                problems.append(f"transition {t.trigger!r} links by payload field {link.field!r}, which it does not carry")
    by_trigger: dict[str, list[Transition]] = {}
    for t in proc.transitions:
        by_trigger.setdefault(t.trigger, []).append(t)
    for trig, group in by_trigger.items():
        if len({(t.payload, t.roles) for t in group}) > 1:
            problems.append(f"transitions sharing trigger {trig!r} differ in payload schema or roles")
        if len({t.acting_side for t in group}) > 1:
            problems.append(f"transitions sharing trigger {trig!r} differ in acting side")
    if proc.opening_event is not None and proc.opening_event in triggers:
        problems.append(f"opening event {proc.opening_event!r} is also a transition trigger")
    if proc.parties_field is not None and (proc.data is None or proc.parties_field not in proc.data().fields):
        problems.append(f"parties field {proc.parties_field!r} is not a field of the data schema")
    if proc.subject_field is not None and (proc.data is None or proc.subject_field not in proc.data().fields):
        problems.append(f"subject field {proc.subject_field!r} is not a field of the data schema")
    if proc.private is not None:
        for f in proc.private.fields:
            if proc.data is None or f not in proc.data().fields:
                problems.append(f"private field {f!r} is not a field of the data schema")
        for k in sorted(set(proc.private.documents) - kinds):
            problems.append(f"private document {k!r} is not declared")
    if proc.min_parties > 1 and proc.parties_field is None:
        problems.append(f"min_parties {proc.min_parties} needs a parties field")
    if proc.correlation_per_agency:
        if proc.data is None or proc.correlation_field not in proc.data().fields:
            problems.append(f"correlation per agency: {proc.correlation_field!r} is not a field of the data schema")
        if proc.opening_event is not None:
            # another system's key names no agency: its later events could not find the case
            problems.append("correlation per agency: cases cannot be opened by another system's event")
    if proc.correlation_while_open:
        if not any(s.terminal for s in proc.states):
            problems.append("correlation while open: no state is terminal, so no case would give its key up")
        if proc.data is not None and proc.correlation_field not in proc.data().fields:
            # a released key's value is kept in the case data only
            problems.append(f"correlation while open: {proc.correlation_field!r} is not a field of the data schema")
    problems.extend(_reachability(proc, known))
    return problems


def _terminal(proc: Procedure, name: str) -> bool:
    return any(s.terminal for s in proc.states if s.name == name)


def _reachability(proc: Procedure, known: set[str]) -> list[str]:
    if proc.initial not in known:
        return []
    edges: dict[str, set[str]] = {s: set() for s in known}
    for t in proc.transitions:
        for src in t.sources:
            if src in edges and t.dest in known:
                edges[src].add(t.dest)
    seen, todo = {proc.initial}, deque([proc.initial])
    while todo:
        for nxt in edges[todo.popleft()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    problems = [f"state {s!r} cannot be reached from {proc.initial!r}" for s in sorted(known - seen)]
    for s in proc.states:
        if not s.terminal and s.name in edges and not edges[s.name] and s.name in seen:
            problems.append(f"state {s.name!r} is not terminal but no transition leaves it")
    return problems
