"""A procedure's state diagram as inline SVG, laid out on the server (no script, nothing fetched).

A small layered layout: states in rows from the initial state down, terminal states in the last
row; every transition passes through a label node in the row between, so labels take room of
their own and never sit on a box; long edges pass through placeholder nodes, and the order in each
row is improved by the barycentre heuristic. The current state is highlighted.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from itertools import pairwise

from markupsafe import Markup

from xsflow.access import ROLE_TITLES
from xsflow.definitions import UNVERIFIED_MARK, UNVERIFIED_TEXT, Procedure, unverified

BOX_H = 54
LOOP_H = 18  # extra height of a box that notes its internal transitions
LABEL_H = 22
ROW_GAP = 14
COL_GAP = 18
MARGIN = 16
TITLE_PX = 14
CODE_PX = 11
LABEL_PX = 12


def text_width(text: str, px: float) -> float:
    """Rough rendered width: CJK characters are square, others about half as wide."""
    return sum(px if ord(c) >= 0x2E80 else px * 0.58 for c in text)


@dataclass
class Node:
    key: str
    row: int
    width: float
    kind: str  # state | label | pass
    text: str = ""
    x: float = 0.0  # centre
    order: float = 0.0
    ups: list[str] = field(default_factory=list)
    downs: list[str] = field(default_factory=list)


@dataclass
class Edge:
    source: str
    dest: str
    titles: list[str]
    who: list[str]
    chain: list[str] = field(default_factory=list)  # node keys from the upper end to the lower end
    reversed: bool = False


def _edges(proc: Procedure) -> tuple[list[Edge], dict[str, list[str]]]:
    edges: dict[tuple[str, str], Edge] = {}
    loops: dict[str, list[str]] = {}
    for t in proc.transitions:
        who = "期限届满自动" if t.automatic else "、".join(ROLE_TITLES.get(r, r) for r in sorted(t.roles)) + proc.side_title(t)
        title = t.title + (UNVERIFIED_MARK if unverified(t.basis) else "")
        for src in t.sources:
            if t.dest is None or t.dest == src:
                loops.setdefault(src, [])
                if title not in loops[src]:
                    loops[src].append(title)
                continue
            e = edges.setdefault((src, t.dest), Edge(src, t.dest, [], []))
            if title not in e.titles:
                e.titles.append(title)
            if who not in e.who:
                e.who.append(who)
    return list(edges.values()), loops


def _layers(proc: Procedure, edges: list[Edge]) -> dict[str, int]:
    """Longest-path rows on the graph with its cycles broken (depth-first back edges reversed)."""
    out: dict[str, list[Edge]] = {}
    for e in edges:
        out.setdefault(e.source, []).append(e)
    on_stack, seen = set(), set()

    def visit(s: str) -> None:
        seen.add(s)
        on_stack.add(s)
        for e in out.get(s, []):
            if e.dest in on_stack:
                e.reversed = True
            elif e.dest not in seen:
                visit(e.dest)
        on_stack.discard(s)

    visit(proc.initial)
    for s in proc.states:
        if s.name not in seen:
            visit(s.name)
    row = {s.name: 0 for s in proc.states}
    for _ in range(len(proc.states)):  # relax: a DAG settles within |V| rounds
        changed = False
        for e in edges:
            upper, lower = (e.dest, e.source) if e.reversed else (e.source, e.dest)
            if row[lower] < row[upper] + 1:
                row[lower] = row[upper] + 1
                changed = True
        if not changed:
            break
    terminal = [s.name for s in proc.states if s.terminal]
    if terminal:
        last = max(row.values())
        if any(row[s.name] == last for s in proc.states if not s.terminal):
            last += 1
        for name in terminal:
            row[name] = last
    return row


def layout(proc: Procedure) -> tuple[dict[str, Node], list[Edge], dict[str, list[str]], list[list[str]]]:
    edges, loops = _edges(proc)
    rows_of = _layers(proc, edges)
    nodes: dict[str, Node] = {}
    for s in proc.states:
        loop = "↻ " + "／".join(loops.get(s.name, []))
        w = max(text_width(s.title, TITLE_PX), text_width(s.name, CODE_PX),
                text_width(loop, LABEL_PX) if s.name in loops else 0) + 26
        nodes[s.name] = Node(s.name, rows_of[s.name] * 2, max(w, 110), "state", s.title)
    for i, e in enumerate(edges):
        upper, lower = (e.dest, e.source) if e.reversed else (e.source, e.dest)
        top, bottom = nodes[upper].row, nodes[lower].row
        label_row = top + 1
        chain = [upper]
        for r in range(top + 1, bottom):
            key = f"e{i}r{r}"
            if r == label_row:
                text = "／".join(e.titles)
                nodes[key] = Node(key, r, text_width(text, LABEL_PX) + 10, "label", text)
            else:
                nodes[key] = Node(key, r, 10, "pass")
            chain.append(key)
        chain.append(lower)
        for a, b in pairwise(chain):
            nodes[a].downs.append(b)
            nodes[b].ups.append(a)
        e.chain = chain
    depth = max(n.row for n in nodes.values()) + 1
    rows: list[list[str]] = [[] for _ in range(depth)]
    for key, n in nodes.items():  # states in declaration order, then edges in order
        rows[n.row].append(key)
    _order(nodes, rows)
    _place(nodes, rows)
    return nodes, edges, loops, rows


def _order(nodes: dict[str, Node], rows: list[list[str]]) -> None:
    for row in rows:
        for i, k in enumerate(row):
            nodes[k].order = i
    for sweep in range(8):
        down = sweep % 2 == 0
        indices = range(1, len(rows)) if down else range(len(rows) - 2, -1, -1)
        for r in indices:
            def centre(k: str, down: bool = down) -> float:
                near = nodes[k].ups if down else nodes[k].downs
                return sum(nodes[n].order for n in near) / len(near) if near else nodes[k].order
            rows[r].sort(key=lambda k: (centre(k), nodes[k].order))
            for i, k in enumerate(rows[r]):
                nodes[k].order = i


def _place(nodes: dict[str, Node], rows: list[list[str]]) -> None:
    """x positions: packed rows, then pulled towards their neighbours without overlapping."""
    for row in rows:
        x = 0.0
        for k in row:
            nodes[k].x = x + nodes[k].width / 2
            x += nodes[k].width + COL_GAP
    for sweep in range(12):
        down = sweep % 2 == 0
        order = range(len(rows)) if down else range(len(rows) - 1, -1, -1)
        for r in order:
            row = rows[r]
            wanted = []
            for k in row:
                near = nodes[k].ups + nodes[k].downs
                wanted.append(sum(nodes[n].x for n in near) / len(near) if near else nodes[k].x)
            for k, w in zip(row, wanted):
                nodes[k].x = w
            for i in range(1, len(row)):  # push right to remove overlaps
                a, b = nodes[row[i - 1]], nodes[row[i]]
                b.x = max(b.x, a.x + a.width / 2 + COL_GAP + b.width / 2)
            for i in range(len(row) - 2, -1, -1):  # and back left, keeping order
                a, b = nodes[row[i]], nodes[row[i + 1]]
                a.x = min(a.x, b.x - b.width / 2 - COL_GAP - a.width / 2)
    left = min(n.x - n.width / 2 for n in nodes.values())
    for n in nodes.values():
        n.x += MARGIN - left


def _row_heights(rows: list[list[str]], loops: dict[str, list[str]]) -> list[float]:
    return [(BOX_H + (LOOP_H if any(k in loops for k in row) else 0)) if r % 2 == 0 else LABEL_H
            for r, row in enumerate(rows)]


def svg(proc: Procedure, *, current: str | None = None) -> Markup:
    """The diagram of `proc` as an accessible inline SVG element; `current` is highlighted."""
    nodes, edges, loops, rows = layout(proc)
    heights = _row_heights(rows, loops)
    tops, y = [], MARGIN + 18.0  # room for the start marker
    for h in heights:
        tops.append(y)
        y += h + ROW_GAP
    height = y - ROW_GAP + MARGIN
    width = max(n.x + n.width / 2 for n in nodes.values()) + MARGIN
    titles = {s.name: s.title + (UNVERIFIED_MARK if unverified(s.basis) else "") for s in proc.states}
    desc = "；".join(f"{titles[e.source]}经“{'／'.join(e.titles)}”至{titles[e.dest]}" for e in edges)
    current_text = f"当前状态：{titles[current]}。" if current in titles else ""
    if any(unverified(x.basis) for x in (*proc.states, *proc.transitions)):
        current_text += f"{UNVERIFIED_TEXT}。"
    out = [(f'<svg class="diagram" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'width="{width:.0f}" height="{height:.0f}" role="img" aria-labelledby="dg-title dg-desc">'),
           f'<title id="dg-title">“{escape(proc.title)}”状态图。{escape(current_text)}</title>',
           f'<desc id="dg-desc">{escape(desc)}</desc>',
           ('<defs><marker id="dg-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
            'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="dg-arrowhead"/></marker></defs>')]

    def top(k: str) -> float:
        return tops[nodes[k].row]

    def bottom(k: str) -> float:
        return top(k) + (heights[nodes[k].row] if nodes[k].kind != "pass" else 0)

    for e in edges:
        points = []
        for i, k in enumerate(e.chain):
            n = nodes[k]
            if n.kind == "state":
                points.append((n.x, bottom(k) if i == 0 else top(k)))
            else:
                points.append((n.x, top(k)))
                if bottom(k) != top(k):
                    points.append((n.x, bottom(k)))
        d = f"M{points[0][0]:.1f},{points[0][1]:.1f}"
        for (x1, y1), (x2, y2) in pairwise(points):
            if x1 == x2:
                d += f" L{x2:.1f},{y2:.1f}"
            else:
                mid = (y1 + y2) / 2
                d += f" C{x1:.1f},{mid:.1f} {x2:.1f},{mid:.1f} {x2:.1f},{y2:.1f}"
        marker = 'marker-start="url(#dg-arrow)"' if e.reversed else 'marker-end="url(#dg-arrow)"'
        auto = " automatic" if e.who == ["期限届满自动"] else ""
        out.append(f'<path class="dg-edge{auto}" d="{d}" {marker}><title>{escape("／".join(e.titles))}'
                   f'（{escape("；".join(e.who))}）</title></path>')
    for k, n in nodes.items():
        if n.kind == "label":
            y = top(k) + LABEL_H / 2 + LABEL_PX * 0.36
            out.append(f'<text class="dg-label" x="{n.x:.1f}" y="{y:.1f}" text-anchor="middle">{escape(n.text)}</text>')
    start = nodes[proc.initial]
    out.append(f'<circle class="dg-start" cx="{start.x:.1f}" cy="{top(proc.initial) - 14:.1f}" r="5"/>'
               f'<path class="dg-edge" d="M{start.x:.1f},{top(proc.initial) - 9:.1f} L{start.x:.1f},{top(proc.initial):.1f}" '
               f'marker-end="url(#dg-arrow)"/>')
    for s in proc.states:
        n = nodes[s.name]
        classes = ["dg-state"] + (["terminal"] if s.terminal else []) + (["current"] if s.name == current else [])
        x0, y0, h = n.x - n.width / 2, top(s.name), heights[n.row]
        out.append(f'<g class="{" ".join(classes)}">')
        out.append(f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{n.width:.1f}" height="{h}" rx="8"/>')
        if s.terminal:
            out.append(f'<rect class="inner" x="{x0 + 3:.1f}" y="{y0 + 3:.1f}" width="{n.width - 6:.1f}" '
                       f'height="{h - 6}" rx="6"/>')
        out.append(f'<text class="dg-title" x="{n.x:.1f}" y="{y0 + 23:.1f}" text-anchor="middle">{escape(titles[s.name])}</text>')
        out.append(f'<text class="dg-code" x="{n.x:.1f}" y="{y0 + 41:.1f}" text-anchor="middle">{escape(s.name)}</text>')
        if s.name in loops:
            out.append(f'<text class="dg-loop" x="{n.x:.1f}" y="{y0 + BOX_H + 8:.1f}" text-anchor="middle">'
                       f'↻ {escape("／".join(loops[s.name]))}</text>')
        out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))
