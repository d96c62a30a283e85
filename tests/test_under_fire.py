"""Conflicting triggers from 8 client processes at the same cases through a real `xsflow serve`.

Each client is a separate Python process (stdlib only, started with `python -c`). It reads a
case, picks a trigger the case's state allows, and posts it with `If-Match: "<version it saw>"`;
some requests carry an Idempotency-Key derived from the case, the version and the move, so two
clients that saw the same version and chose the same move send the same request under the same
key, and some are resent at once as a retry. The cases are legality reviews racing
request_supplement / accept / withdraw, then partial supplements (an internal transition that
can repeat), and supervision cases cycling between submit_feedback and reject_feedback.

What the bureau relies on, checked against the database afterwards: every answer is a 200 applied
to the version the client saw (the answer's version is one more) or a 409 because someone else
changed the case first; each applied request is the history entry at that version, once; the
final version is the initial one plus the applied requests; each history is one chain; document
numbers have no gap; `xsflow audit verify` accepts.

With XSFLOW_RELIABILITY_REPORT=<dir> the counts are written to <dir>/under_fire-<db>.json
(docs/reliability.md quotes them).
"""
from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
import sys
import textwrap
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select

from tests.conftest import LEGALITY_READY, Server, cli, make_tokens, start_server
from xsflow.store.schema import cases, document_sequences, documents, history

CLIENTS = 8
ATTEMPTS = 30  # per client
T = "2025-03-03T10:00:00+08:00"  # every event's occurred_at: a fixed past instant, so no deadline lapses
UNIT = "scjgj"  # the supervised agency (县市场监管局)
DRAFTER = "fgw"  # the drafting unit of the legality reviews (县发改委)
REPORT_ENV = "XSFLOW_RELIABILITY_REPORT"


def client_main(config_path: str) -> None:
    """One client process: reads a case, fires a trigger with If-Match, records every answer.

    Runs in a fresh interpreter from its own source (see `run_clients`), so it imports only the
    standard library and takes everything else from the JSON config.
    """
    import json
    import random
    import urllib.error
    import urllib.request
    import uuid

    config = json.loads(open(config_path, encoding="utf-8").read())
    rng = random.Random(config["seed"])
    url, tokens, occurred_at, me = config["url"], config["tokens"], config["occurred_at"], config["client"]
    # (procedure, state) -> [(trigger, token, payload with "{m}" for the marker, weight)]
    moves = {
        ("legality_review", "submitted"): [
            ("accept", "reviewer", {}, 3),
            ("request_supplement", "reviewer", {"missing": ["legal_basis", "consultation_record"], "note": "{m}"}, 3),
            ("withdraw", "drafter", {}, 1)],
        ("legality_review", "awaiting_supplement"): [
            ("supplement", "drafter", {"items": ["other"]}, 12),  # still incomplete: stays, a new version
            ("supplement", "drafter", {"items": ["legal_basis", "consultation_record"]}, 1),
            ("withdraw", "drafter", {}, 1)],
        ("legality_review", "under_review"): [
            ("issue_opinion", "reviewer", {"conclusion": "lawful", "reasons": "{m}"}, 1),
            ("withdraw", "drafter", {}, 1)],
        ("case_supervision", "awaiting_rectification"): [
            ("submit_feedback", "agency", {"measures": "{m}"}, 1)],
        ("case_supervision", "feedback_under_review"): [
            ("reject_feedback", "supervisor", {"reasons": "{m}"}, 1)],
    }

    def call(method, path, token, body=None, headers=None):
        h = {"Accept": "application/json", "Authorization": f"Bearer {tokens[token]}", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        req = urllib.request.Request(url + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                return e.code, json.loads(raw or b"null")
            except ValueError:
                return e.code, {"_raw": raw.decode("utf-8", "replace")}

    def fill(template, marker):
        return {k: (v.replace("{m}", marker) if isinstance(v, str) else v) for k, v in template.items()}

    records = []
    live = list(config["cases"])
    for n in range(config["attempts"]):
        if not live:
            break
        case_id = rng.choice(live)
        status, case = call("GET", f"/api/v1/cases/{case_id}", "supervisor")
        assert status == 200, (status, case)
        options = moves.get((case["procedure"], case["state"]))
        if not options:
            live.remove(case_id)
            continue
        index = rng.choices(range(len(options)), weights=[o[3] for o in options])[0]
        trigger, token, template, _ = options[index]
        seen = case["version"]
        roll = rng.random()
        if roll < config["shared_ratio"]:  # the same request any client would send for this move
            key = marker = f"shared-{case_id}-v{seen}-{trigger}-{index}"
        else:
            marker = f"c{me}-{n}-{uuid.uuid4().hex[:8]}"
            key = f"k-{marker}" if roll < 0.7 else None
        body = {"trigger": trigger, "payload": fill(template, marker), "occurred_at": occurred_at}
        headers = {"If-Match": f'"{seen}"', **({"Idempotency-Key": key} if key else {})}
        sends = 2 if key and rng.random() < config["retry_ratio"] else 1
        for attempt in range(sends):
            status, answer = call("POST", f"/api/v1/cases/{case_id}/events", token, body, headers)
            error = (answer.get("error") or {}) if status != 200 and isinstance(answer, dict) else {}
            records.append({
                "client": me, "case": case_id, "seen_version": seen, "seen_state": case["state"],
                "trigger": trigger, "payload": body["payload"], "key": key, "marker": marker,
                "resend": attempt > 0, "status": status,
                "version": answer.get("version") if status == 200 else None,
                "code": error.get("code"), "message": error.get("message"),
            })
            if status != 200:
                break
    with open(config["out"], "w", encoding="utf-8") as f:
        json.dump(records, f)


def run_clients(server: Server, tokens: dict[str, str], case_ids: list[int], workdir: Path, *,
                clients: int = CLIENTS, attempts: int = ATTEMPTS) -> list[dict[str, Any]]:
    """Runs `clients` client processes to the end; every record of every one."""
    source = textwrap.dedent(inspect.getsource(client_main)) + "\nimport sys\nclient_main(sys.argv[1])\n"
    procs, outs = [], []
    for i in range(clients):
        out = workdir / f"client-{i}.json"
        config = workdir / f"client-{i}.config.json"
        config.write_text(json.dumps({
            "url": server.url, "tokens": tokens, "cases": case_ids, "attempts": attempts, "seed": 1000 + i,
            "client": i, "occurred_at": T, "shared_ratio": 0.35, "retry_ratio": 0.25, "out": str(out)}))
        procs.append(subprocess.Popen([sys.executable, "-c", source, str(config)],
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        outs.append(out)
    failures = []
    for i, p in enumerate(procs):
        output, _ = p.communicate(timeout=300)
        if p.returncode != 0:
            failures.append(f"client {i} exited {p.returncode}:\n{output[-3000:]}")
    assert not failures, "\n".join(failures)
    return [r for out in outs for r in json.loads(out.read_text())]


def open_cases(server: Server, tokens: dict[str, str], *, legality: int, supervision: int) -> list[int]:
    """Legality reviews just submitted, and supervision cases awaiting rectification, all dated T."""
    ids = []
    for i in range(legality):
        r = server.call("POST", "/api/v1/cases", tokens["drafter"], {
            "procedure": "legality_review", "agency": DRAFTER, "title": f"规范性文件草案第{i + 1}号",
            "data": LEGALITY_READY, "occurred_at": T})
        assert r.status == 201, r.body
        ids.append(r.body["id"])
    for i in range(supervision):
        r = server.call("POST", "/api/v1/cases", tokens["supervisor"], {
            "procedure": "case_supervision", "agency": UNIT, "title": f"对投诉处理情况的监督第{i + 1}号",
            "occurred_at": T, "data": {"grounds": ["complaint"]}})
        assert r.status == 201, r.body
        cid = r.body["id"]
        for trigger, token, payload in [("issue_opinion", "supervisor", {"findings": "未依法告知投诉人处理结果。"}),
                                        ("confirm_receipt", "agency", {"method": "signed"})]:
            r = server.call("POST", f"/api/v1/cases/{cid}/events", tokens[token],
                            {"trigger": trigger, "payload": payload, "occurred_at": T})
            assert r.status == 200, r.body
        assert r.body["state"] == "awaiting_rectification"
        ids.append(cid)
    return ids


def case_rows(url: str, ids: list[int]) -> tuple[dict[int, dict], dict[int, list[dict]], list[dict], dict]:
    db = create_engine(url)
    try:
        with db.connect() as conn:
            rows = {r["id"]: dict(r) for r in conn.execute(select(cases).where(cases.c.id.in_(ids))).mappings()}
            entries: dict[int, list[dict]] = defaultdict(list)
            for h in conn.execute(select(history).where(history.c.case_id.in_(ids))
                                  .order_by(history.c.case_id, history.c.seq)).mappings():
                entries[h["case_id"]].append(dict(h))
            docs = [dict(d) for d in conn.execute(select(documents)).mappings()]
            sequences = {(s.prefix, s.year): s.last for s in conn.execute(select(document_sequences))}
    finally:
        db.dispose()
    return rows, entries, docs, sequences


def assert_single_chain(case_id: int, entries: list[dict]) -> None:
    """Versions 1..n without gap; each entry starts where the previous one ended."""
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1)), f"case {case_id}: seq gap"
    assert entries[0]["from_state"] is None and entries[0]["trigger"] == "open"
    for before, after in zip(entries, entries[1:]):
        assert after["from_state"] == before["to_state"], f"case {case_id}: entry {after['seq']} does not follow"
        assert after["prev_hash"] == before["hash"], f"case {case_id}: entry {after['seq']} not chained"


def assert_numbers_without_gap(docs: list[dict], sequences: dict) -> Counter:
    by_series: dict[tuple[str, int], list[int]] = defaultdict(list)
    for d in docs:
        by_series[(d["prefix"], d["year"])].append(d["seq"])
    for series, seqs in by_series.items():
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), f"{series}: numbers {sorted(seqs)}"
        assert sequences[series] == len(seqs), f"{series}: counter {sequences[series]} for {len(seqs)} documents"
    return Counter({f"{p}/{y}": len(s) for (p, y), s in by_series.items()})


def write_report(name: str, figures: dict[str, Any]) -> None:
    target = os.environ.get(REPORT_ENV)
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        (Path(target) / f"{name}.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2))


def under_fire(url: str, tmp_path: Path, *, workers: int, db_name: str) -> None:
    server = start_server(url, tmp_path, workers=workers)
    try:
        tokens = make_tokens(url, drafter=("clerk", DRAFTER), reviewer=("reviewer", None),
                             agency=("clerk", UNIT), supervisor=("supervisor", None))
        ids = open_cases(server, tokens, legality=6, supervision=3)
        before, _, _, _ = case_rows(url, ids)
        records = run_clients(server, tokens, ids, tmp_path)
    finally:
        server.stop()
    rows, entries, docs, sequences = case_rows(url, ids)

    statuses = Counter(r["status"] for r in records)
    assert set(statuses) <= {200, 409}, [r for r in records if r["status"] not in (200, 409)][:5]
    applied: dict[tuple[int, int], set[str]] = defaultdict(set)
    for r in records:
        if r["status"] == 200:
            assert r["version"] == r["seen_version"] + 1, f"applied to another version than the one seen: {r}"
            applied[(r["case"], r["version"])].add(r["key"] or r["marker"])
    doubles = {k: v for k, v in applied.items() if len(v) > 1}
    assert not doubles, f"two different requests answered 200 for the same new version: {doubles}"

    for cid in ids:
        chain = entries[cid]
        assert_single_chain(cid, chain)
        added = rows[cid]["version"] - before[cid]["version"]
        mine = sorted(v for (c, v) in applied if c == cid)
        assert added == len(mine), f"case {cid}: {added} versions added, {len(mine)} requests applied (lost update?)"
        assert rows[cid]["version"] == len(chain) == rows[cid]["history_seq"]
        assert mine == list(range(before[cid]["version"] + 1, rows[cid]["version"] + 1))
    sent = {r["marker"] for r in records if r["marker"] in r["payload"].values()}
    in_history = Counter(v for chain in entries.values() for e in chain for v in e["payload"].values()
                         if isinstance(v, str) and v in sent)
    assert set(in_history.values()) <= {1}, "a request's marker appears twice in history"
    for r in records:
        if r["status"] == 200:  # the entry at the answered version is this request, from the state it saw
            e = entries[r["case"]][r["version"] - 1]
            assert (e["trigger"], e["payload"], e["from_state"]) == (r["trigger"], r["payload"], r["seen_state"]), r
        else:  # refused only because someone else changed the case after this client read it
            assert r["code"] == "version_conflict", r
            # The refusal names the version it found under the row lock: newer than the one seen,
            # and one that existed (a stale read would name the version seen).
            found = re.search(r"现在是第\s*(\d+)\s*版", r["message"] or "")
            assert found, f"a 409 that does not say which version it found: {r}"
            assert r["seen_version"] < int(found.group(1)) <= rows[r["case"]]["version"], r
            assert r["marker"] not in in_history, f"refused 409, yet its request (or its keyed twin) was applied: {r}"
    documents_by_series = assert_numbers_without_gap(docs, sequences)
    p = cli(url, "audit", "verify")
    assert p.returncode == 0, p.stdout + p.stderr

    replays = sum(1 for r in records if r["status"] == 200) - len(applied)
    shared_across = sum(1 for keys in _clients_per_applied_key(records).values() if len(keys) > 1)
    conflicts = statuses[409]
    assert conflicts > 0, "no request was refused: the clients did not race"
    assert shared_across > 0, "no two clients sent the same keyed request: the replay path was not exercised"
    write_report(f"under_fire-{db_name}", {
        "database": db_name, "server_workers": workers, "client_processes": CLIENTS, "cases": len(ids),
        "requests": len(records), "answers_200": statuses[200], "applied": len(applied),
        "replayed_200": replays, "same_key_from_two_clients": shared_across, "answers_409": conflicts,
        "history_entries_added": sum(rows[c]["version"] - before[c]["version"] for c in ids),
        "documents_by_series": dict(documents_by_series), "lost_updates": 0, "double_applied": 0,
        "audit_verify_exit": p.returncode,
    })


def _clients_per_applied_key(records: list[dict[str, Any]]) -> dict[str, set[int]]:
    clients: dict[str, set[int]] = defaultdict(set)
    for r in records:
        if r["status"] == 200 and r["key"]:
            clients[r["key"]].add(r["client"])
    return clients


@pytest.mark.postgres
def test_eight_client_processes_racing_on_postgresql_lose_no_update(pg_url, tmp_path):
    """PostgreSQL, 4 gunicorn workers, 8 client processes: each trigger applies to the version its sender saw, or 409."""
    under_fire(pg_url, tmp_path, workers=4, db_name="postgresql")


def test_eight_client_processes_racing_on_sqlite_lose_no_update(sqlite_url, tmp_path):
    """SQLite, one gunicorn worker, 8 client processes: each trigger applies to the version its sender saw, or 409."""
    under_fire(sqlite_url, tmp_path, workers=1, db_name="sqlite")
