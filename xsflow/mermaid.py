"""State diagrams generated from definitions (Mermaid), for docs/procedures.md and the web pages."""
from __future__ import annotations

from collections.abc import Iterable

from .definitions import UNVERIFIED_MARK, UNVERIFIED_TEXT, Procedure, unverified


def mermaid(proc: Procedure, *, current: str | None = None) -> str:
    """A Mermaid stateDiagram of `proc`; `current` is highlighted."""
    lines = ["stateDiagram-v2", f"    [*] --> {proc.initial}"]
    for s in proc.states:
        lines.append(f"    {s.name} : {s.name}<br/>{s.title}{_mark(s.basis)}")
    for t in proc.transitions:
        for src in t.sources:
            dest = t.dest or src
            who = "期限届满" if t.automatic else "/".join(sorted(t.roles)) + proc.side_title(t)
            lines.append(f"    {src} --> {dest} : {t.trigger}（{who}，{_short(t.basis)}{_mark(t.basis)}）")
    for s in proc.states:
        if s.terminal:
            lines.append(f"    {s.name} --> [*]")
    if current:
        lines += ["    classDef current fill:#fde68a,stroke:#b45309,stroke-width:2px", f"    class {current} current"]
    return "\n".join(lines)


def _mark(basis) -> str:
    return UNVERIFIED_MARK if unverified(basis) else ""


def _noted(basis) -> str:
    """A basis for the tables, marked when its article was not checked against the published text."""
    return f"{basis}{UNVERIFIED_MARK}（条文未经核对）" if unverified(basis) else str(basis)


def _short(basis) -> str:
    """《秀山自治县行政执法监督制度》第30条 → 行政执法监督制度第30条: enough to tell two rules apart."""
    if basis is None:
        return ""
    return basis.source.strip("《》").removeprefix("秀山自治县") + basis.article


def markdown(procedures: Iterable[Procedure]) -> str:
    """docs/procedures.md: every procedure's diagram with the articles behind it."""
    out = ["# Procedures", "",
           "Generated from the definitions by `xsflow procedures doc`; do not edit by hand.", ""]
    for proc in procedures:
        since = f"，自{proc.effective_from:%Y-%m-%d}起适用于新立案件" if proc.effective_from else ""
        out += [f"## {proc.title} — `{proc.name}` 第 {proc.version} 版", "",
                f"依据：{_noted(proc.basis)}{since}。", "",
                *([f"{UNVERIFIED_TEXT}（见 `xsflow/reference/`），请运营方核对后再据以办理。", ""]
                  if any(unverified(x.basis) for x in (proc, *proc.states, *proc.transitions, *proc.deadlines))
                  else []),
                "```mermaid", mermaid(proc), "```", "",
                "| 状态 | 名称 | 依据 |", "|---|---|---|"]
        out += [f"| `{s.name}` | {s.title}{'（终结）' if s.terminal else ''} | {_noted(s.basis)} |" for s in proc.states]
        out += ["", "| 操作 | 从 → 到 | 办理人 | 出具文书 | 依据 |", "|---|---|---|---|---|"]
        for t in proc.transitions:
            who = "系统（期限届满）" if t.automatic else "、".join(sorted(t.roles)) + proc.side_title(t)
            out.append(f"| `{t.trigger}` {t.title} | {'、'.join(t.sources)} → {t.dest or '（不变）'} | {who} | "
                       f"{'、'.join(t.issues) or '—'} | {_noted(t.basis)} |")
        conditions: list[str] = []  # a trigger with the same guard on two branches is listed once
        for t in proc.transitions:
            if t.guard:
                conditions.append(f"- `{t.trigger}`（{'、'.join(t.sources)}）：拒绝理由“{t.guard.refusal}”")
            if t.not_before:
                conditions.append(f"- `{t.trigger}`：不早于规定日期办理，{t.not_before.reason}（{t.not_before.basis}）")
        if conditions:
            out += ["", "办理条件（不满足时拒绝办理，并说明理由）：", "", *dict.fromkeys(conditions)]
        if proc.deadlines:
            out += ["", "| 期限 | 期间 | 计算期间的状态 | 届满后 | 依据 |", "|---|---|---|---|---|"]
            for d in proc.deadlines:
                after = f"`{d.on_lapse}`" if d.on_lapse else "列为逾期（办理时限）"
                out.append(f"| `{d.name}` {d.title} | {d.period_text} | {'、'.join(sorted(d.while_in))}{suspended(d)} | {after} | {_noted(d.basis)} |")
        out.append("")
    return "\n".join(out)


def suspended(d) -> str:
    """The states a period is suspended in (中止), after those it runs in."""
    return f"（{'、'.join(sorted(d.suspended_in))}中止计算）" if d.suspended_in else ""
