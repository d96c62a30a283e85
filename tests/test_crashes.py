"""SIGKILL, repeated, in the middle of transitions and sweeps; afterwards nothing lost or done twice.

Client processes (stdlib only, like those of test_under_fire) drive legality reviews through a real
`xsflow serve`: open, request_supplement (a numbered notice), partial and full supplements, accept,
issue_opinion (a numbered opinion), withdraw, or leave the case to lapse. Every request carries an
Idempotency-Key; a request that gets no answer is resent under the same key (what a client does
after a dropped connection) or abandoned. Meanwhile, round after round, the test SIGKILLs one
gunicorn worker, then a sweep once it has fired some lapses but not all (`xsflow tick --now`,
`xsflow worker`, or the scheduler in the arbiter of `xsflow serve`, killed with the whole server),
then the whole server process group, and restarts the server on the same port. Eighty
seeded supplement deadlines, and the cases the clients leave, are due throughout.

After a final sweep, what the bureau relies on: each request that got a 2xx answer is in history
exactly once, at the version it was answered with; a request never answered is there at most
once; no history entry is unexplained; each due deadline fired once (one lapse entry and one
termination opinion per lapsed case); document numbers run 1..n per prefix and year with no gap;
`xsflow audit verify` accepts. `tests/test_workers.py` covers one worker killed mid-sweep with
nothing else running; this adds the server and repetition.

PostgreSQL: 2 gunicorn workers, 6 clients. SQLite: one gunicorn worker (one process writing for
the server; with the scheduler, the arbiter too), 3 clients. XSFLOW_RELIABILITY_REPORT=<dir> writes
the counts to <dir>/crashes-<db>.json.
"""
from __future__ import annotations

import inspect
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from tests.conftest import LEGALITY_READY, XSFLOW, cli, free_port, make_tokens
from tests.test_under_fire import assert_numbers_without_gap, assert_single_chain, write_report
from tests.test_workers import seed, wait_for
from xsflow.clock import FixedClock
from xsflow.store.schema import cases, deadlines, document_sequences, documents, history, incidents
from adapters.compose import open_system

T = "2025-03-03T10:00:00+08:00"  # occurred_at of every request (the seeded notices were served then too)
LATER = "2025-06-02T09:00:00+08:00"  # the sweeps' `--now`: every supplement period of T has lapsed
TIME_TRAVEL = {"XSFLOW_ALLOW_TIME_TRAVEL": "1"}
# Sweeps lapse 3 cases a transaction here (50 by default), so that a sweep killed once it has fired some
# lapses is killed with more due, and often inside a batch it has not committed.
SMALL_BATCHES = {"XSFLOW_SWEEP_BATCH": "3"}
DRAFTER = "fgw"
ISSUES = {"request_supplement": "supplement_notice", "supplement_lapsed": "termination_opinion",
          "issue_opinion": "legality_review_opinion"}


def crash_client(config_path: str) -> None:
    """One client process: drives its own legality reviews until the stop file appears.

    Every request is recorded with each answer it got (None: the connection failed). Runs in a
    fresh interpreter from its own source, so it imports only the standard library.
    """
    import http.client
    import json
    import os
    import random
    import time
    import urllib.error
    import urllib.request

    config = json.loads(open(config_path, encoding="utf-8").read())
    rng = random.Random(config["seed"])
    url, tokens, occurred_at, me = config["url"], config["tokens"], config["occurred_at"], config["client"]
    records = []
    counter = [0]

    def stopping():
        return os.path.exists(config["stop"])

    def once(method, path, token, body=None, headers=None):
        h = {"Accept": "application/json", "Authorization": f"Bearer {tokens[token]}", **(headers or {})}
        data = json.dumps(body).encode() if body is not None else None
        if data is not None:
            h["Content-Type"] = "application/json"
        req = urllib.request.Request(url + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                return e.code, json.loads(raw or b"null")
            except ValueError:
                return e.code, {"_raw": raw.decode("utf-8", "replace")[:500]}
        except (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError, OSError):
            return None, None

    def patiently(method, path, token):
        """A read, repeated until the server answers (it may be restarting)."""
        while True:
            status, body = once(method, path, token)
            if status is not None:
                assert status == 200, (status, body)
                return body
            if stopping():
                return None
            time.sleep(0.1)

    def send(kind, path, token, body, *, case=None, if_match=None, seen_state=None, marker=None, resend=0.7):
        """Posts once under a fresh Idempotency-Key; on no answer resends under the same key, or gives up."""
        counter[0] += 1
        key = f"c{me}-r{counter[0]}-{rng.getrandbits(32):08x}"
        record = {"client": me, "kind": kind, "case": case, "trigger": body.get("trigger"),
                  "payload": body.get("payload"), "title": body.get("title"), "key": key, "if_match": if_match,
                  "seen_state": seen_state, "marker": marker, "answers": []}
        records.append(record)
        headers = {"Idempotency-Key": key, **({"If-Match": f'"{if_match}"'} if if_match is not None else {})}
        keep_trying = rng.random() < resend
        while True:
            sent_at = time.time()
            status, answer = once("POST", path, token, body, headers)
            record["answers"].append({"sent_at": sent_at, "status": status, "version": (answer or {}).get("version"),
                                      "id": (answer or {}).get("id"), "state": (answer or {}).get("state"),
                                      "code": ((answer or {}).get("error") or {}).get("code")})
            if status is not None or not keep_trying or stopping():
                return status, answer
            time.sleep(0.1)

    while not stopping():
        title = f"规范性文件草案 c{me}-{len(records)}-{rng.getrandbits(32):08x}"
        status, case = send("open", "/api/v1/cases", "drafter",
                            {"procedure": "legality_review", "agency": config["agency"], "title": title,
                             "data": config["opening"], "occurred_at": occurred_at}, marker=title, resend=1.0)
        if status != 201:
            continue
        partial_left = rng.randint(0, 2)
        leave = rng.random() < 0.4
        while case is not None and not case["closed"] and not stopping():
            cid, state, version = case["id"], case["state"], case["version"]
            marker = f"c{me}-{len(records)}-{rng.getrandbits(32):08x}"
            roll = rng.random()
            if state == "submitted":
                move = (("request_supplement", "reviewer", {"missing": ["legal_basis", "consultation_record"],
                                                            "note": marker}) if roll < 0.7 else
                        ("accept", "reviewer", {}) if roll < 0.85 else ("withdraw", "drafter", {}))
            elif state == "awaiting_supplement":
                if partial_left > 0:
                    partial_left -= 1
                    move = ("supplement", "drafter", {"items": ["other"]})
                elif leave:
                    break  # left to lapse
                else:
                    move = (("supplement", "drafter", {"items": ["legal_basis", "consultation_record"]})
                            if roll < 0.6 else ("withdraw", "drafter", {}))
            else:
                move = (("issue_opinion", "reviewer", {"conclusion": "revise", "reasons": marker})
                        if roll < 0.8 else ("withdraw", "drafter", {}))
            trigger, token, payload = move
            marked = marker in payload.values()
            if_match = version if not marked or rng.random() < 0.5 else None
            status, answer = send("fire", f"/api/v1/cases/{cid}/events", token,
                                  {"trigger": trigger, "payload": payload, "occurred_at": occurred_at},
                                  case=cid, if_match=if_match, seen_state=state, marker=marker if marked else None)
            case = answer if status == 200 else patiently("GET", f"/api/v1/cases/{cid}", "reviewer")
    with open(config["out"], "w", encoding="utf-8") as f:
        json.dump(records, f)


# --- the server, killed and restarted -------------------------------------------------------


class KillableServer:
    """`xsflow serve` in a process group of its own, so that SIGKILL to the group takes master and workers."""

    def __init__(self, url: str, workdir: Path, workers: int) -> None:
        self.database_url, self.workdir, self.workers = url, workdir, workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.starts = 0
        self.process: subprocess.Popen | None = None

    def start(self, *, scheduler: bool = False, wait: bool = True) -> None:
        """Starts the server; with `scheduler`, the arbiter sweeps (real clock) every second from the start.

        `wait`: until every worker is up and the server answers."""
        self.starts += 1
        with (self.workdir / f"serve-{self.starts}.log").open("w") as log:
            self.process = subprocess.Popen(
                [XSFLOW, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers),
                 *(["--interval", "1"] if scheduler else ["--no-scheduler"])],
                env={**os.environ, "XSFLOW_DATABASE_URL": self.database_url, **SMALL_BATCHES},
                stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir, start_new_session=True)
        deadline = time.monotonic() + 60
        while wait and (len(self.worker_pids()) < self.workers or not self.answers()):
            assert self.process.poll() is None, (self.workdir / f"serve-{self.starts}.log").read_text()
            assert time.monotonic() < deadline, "xsflow serve did not answer within 60 s"
            time.sleep(0.05)

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/api/v1/openapi.json", timeout=2):
                return True
        except (urllib.error.URLError, ConnectionError, OSError):
            return False

    def worker_pids(self) -> list[int]:
        """The gunicorn workers: the master's children, read from /proc."""
        assert self.process is not None
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid and fields[0] not in ("Z", "X"):
                found.append(int(stat.parent.name))
        return found

    def kill_worker(self) -> int:
        """SIGKILLs one worker; the master forks a new one."""
        pid = random.choice(self.worker_pids())
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: pid not in self.worker_pids() and len(self.worker_pids()) == self.workers,
                 timeout=60, what="gunicorn to replace the killed worker", interval=0.05)
        return pid

    def kill_all(self) -> None:
        """SIGKILLs master and workers at once: nothing gets to finish or clean up."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        assert self.process.wait(timeout=30) == -signal.SIGKILL, \
            f"xsflow serve had already exited:\n{(self.workdir / f'serve-{self.starts}.log').read_text()[-3000:]}"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)


def start_clients(server: KillableServer, tokens: dict[str, str], workdir: Path, n: int) -> list[tuple]:
    source = textwrap.dedent(inspect.getsource(crash_client)) + "\nimport sys\ncrash_client(sys.argv[1])\n"
    clients = []
    for i in range(n):
        config = workdir / f"crash-client-{i}.config.json"
        out = workdir / f"crash-client-{i}.json"
        config.write_text(json.dumps({"url": server.url, "tokens": tokens, "occurred_at": T, "client": i,
                                      "seed": 7000 + i, "agency": DRAFTER, "opening": LEGALITY_READY, "stop": str(workdir / "stop"),
                                      "out": str(out)}))
        clients.append((subprocess.Popen([sys.executable, "-c", source, str(config)], stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, text=True), out))
    return clients


def stop_clients(clients: list[tuple], workdir: Path) -> list[dict[str, Any]]:
    (workdir / "stop").touch()
    failures, records = [], []
    for i, (p, out) in enumerate(clients):
        output, _ = p.communicate(timeout=120)
        if p.returncode != 0:
            failures.append(f"client {i} exited {p.returncode}:\n{output[-3000:]}")
        else:
            records.extend(json.loads(out.read_text()))
    assert not failures, "\n".join(failures)
    return records


def count(db, stmt) -> int:
    with db.connect() as conn:
        return conn.execute(stmt).scalar_one()


def due_pending(now_text: str):
    return (select(func.count()).select_from(deadlines)
            .where(deadlines.c.status == "pending", deadlines.c.service_level.is_(False),
                   deadlines.c.lapses_at <= datetime.fromisoformat(now_text)))


LAPSES = select(func.count()).select_from(history).where(history.c.trigger == "supplement_lapsed")
ENTRIES = select(func.count()).select_from(history)


def kill_sweep_midway(server: KillableServer, db, kind: str, round_: int, before: int) -> int:
    """SIGKILLs a sweep once it has fired lapses while others are still due; how many it fired.

    `tick` (`--now` LATER) and `worker` (real clock) are started here, as processes of their own;
    `serve` is the scheduler in the gunicorn arbiter of a server just started with it, killed with
    the whole server under the clients' load.
    """
    if kind == "serve":
        sweeper = server.process
    else:
        args = ["tick", "--now", LATER] if kind == "tick" else ["worker", "--interval", "1"]
        with (server.workdir / f"{kind}-{round_}.log").open("w") as log:
            sweeper = subprocess.Popen([XSFLOW, *args], stdout=log, stderr=subprocess.STDOUT,
                                       env={**os.environ, "XSFLOW_DATABASE_URL": server.database_url, **TIME_TRAVEL,
                                            **SMALL_BATCHES})
    assert sweeper is not None
    try:
        wait_for(lambda: count(db, LAPSES) >= before + 5 or sweeper.poll() is not None,
                 timeout=90, what=f"the {kind} to fire lapses")
        if kind == "serve":
            server.kill_all()
        else:
            sweeper.send_signal(signal.SIGKILL)
            assert sweeper.wait(timeout=10) == -signal.SIGKILL, f"the {kind} ended before it was killed"
    finally:
        if sweeper.poll() is None:
            sweeper.kill()
            sweeper.wait()
    assert count(db, due_pending(LATER)) > 0, f"the {kind} was not killed mid-sweep: nothing left due"
    return count(db, LAPSES) - before


SWEEPER_KILLED = {"tick": "`xsflow tick` mid-sweep", "worker": "`xsflow worker` mid-sweep",
                  "serve": "`xsflow serve` (all processes) mid-sweep of its scheduler, mid-load"}


def crash_rounds(url: str, tmp_path: Path, *, db_name: str, workers: int, clients: int, rounds: int,
                 seeded: int, sweepers: tuple[str, ...]) -> None:
    """Each round: a worker killed under load, a sweep killed midway, the whole server killed under load.

    A `serve` round's sweep is the server's own scheduler, so its whole-server kill is that one.
    """
    seeded_ids = seed(url, seeded, threads=4 if db_name == "postgresql" else 1)  # also `init`s the database
    kinds = [sweepers[r % len(sweepers)] for r in range(rounds)] + [None]
    server = KillableServer(url, tmp_path, workers)
    tokens = make_tokens(url, drafter=("clerk", DRAFTER), reviewer=("reviewer", None))
    db = create_engine(url)
    kills: Counter = Counter()
    swept_before_kill = []
    running: list[tuple] = []

    def progress_made(since: int) -> None:
        wait_for(lambda: count(db, ENTRIES) >= since + 10 * clients, timeout=120,
                 what="the clients to make progress", interval=0.05)

    try:
        if kinds[0] != "serve":
            server.start()
        running = start_clients(server, tokens, tmp_path, clients)
        for r, kind in enumerate(kinds[:-1]):
            if kind == "serve":  # watched from the start: its first sweep begins before the workers are up
                before = count(db, LAPSES)
                server.start(scheduler=True, wait=False)
                swept_before_kill.append(kill_sweep_midway(server, db, kind, r, before))
                kills[SWEEPER_KILLED[kind]] += 1
                server.start()
            progress_made(count(db, ENTRIES))
            server.kill_worker()
            kills["one gunicorn worker mid-load"] += 1
            if kind != "serve":
                swept_before_kill.append(kill_sweep_midway(server, db, kind, r, count(db, LAPSES)))
                kills[SWEEPER_KILLED[kind]] += 1
            progress_made(count(db, ENTRIES))
            if kind != "serve" or kinds[r + 1] == "serve":
                server.kill_all()
                kills["`xsflow serve` (all processes) mid-load"] += 1
                if kinds[r + 1] != "serve":
                    server.start()
        progress_made(count(db, ENTRIES))
        records = stop_clients(running, tmp_path)
        running = []
    finally:
        for p, _ in running:
            p.kill()
            p.wait()
        server.stop()
        db.dispose()
    final = open_system(url, clock=FixedClock(datetime.fromisoformat(LATER)))  # the sweep `xsflow tick` runs
    try:
        final_fired = final.tick().fired
    finally:
        final.db.dispose()
    figures = check_nothing_lost_or_doubled(url, records, seeded_ids)
    figures.update({"database": db_name, "server_workers": workers, "client_processes": clients, "rounds": rounds,
                    "processes_killed": dict(kills), "lapses_fired_by_sweeps_before_their_kill": swept_before_kill,
                    "seeded_due_deadlines": seeded,
                    "lapses_fired_by_the_final_sweep": final_fired})
    write_report(f"crashes-{db_name}", figures)


def check_nothing_lost_or_doubled(url: str, records: list[dict], seeded_ids: list[int]) -> dict[str, Any]:
    db = create_engine(url)
    try:
        with db.connect() as conn:
            rows = {r["id"]: dict(r) for r in conn.execute(select(cases)).mappings()}
            entries: dict[int, list[dict]] = defaultdict(list)
            for h in conn.execute(select(history).order_by(history.c.case_id, history.c.seq)).mappings():
                entries[h["case_id"]].append(dict(h))
            docs = [dict(d) for d in conn.execute(select(documents)).mappings()]
            sequences = {(s.prefix, s.year): s.last for s in conn.execute(select(document_sequences))}
            dls = [dict(d) for d in conn.execute(select(deadlines)).mappings()]
            open_incidents = conn.execute(select(incidents)).all()
    finally:
        db.dispose()

    # Replays agree: every 2xx answer under one key names the same case and version.
    for r in records:
        ok = [(a["id"], a["version"]) for a in r["answers"] if a["status"] in (200, 201)]
        assert len(set(ok)) <= 1, f"two different answers under one Idempotency-Key: {r}"
        r["accepted"] = ok[0] if ok else None
        r["answered"] = any(a["status"] is not None for a in r["answers"])
        assert all(a["status"] is None or a["status"] < 500 for a in r["answers"]), f"a 5xx answer: {r}"

    # Markers (the title of an opening, the note of a request, the reasons of an opinion) in history.
    def marker_of(entry: dict) -> str | None:
        p = entry["payload"]
        return p.get("title") if entry["trigger"] == "open" else p.get("note") or p.get("reasons")
    where: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for cid, chain in entries.items():
        for e in chain:
            m = marker_of(e)
            if m:
                where[m].append((cid, e["seq"]))
    sent = {r["marker"] for r in records if r["marker"]}
    for r in records:
        places = where.get(r["marker"], []) if r["marker"] else None
        if r["accepted"]:
            case_id, version = r["accepted"]
            if r["kind"] == "open":
                assert places == [(case_id, 1)], f"an accepted opening is not in history exactly once: {r} {places}"
                continue
            if places is not None:
                assert places == [(r["case"], version)], f"an accepted request not in history once: {r} {places}"
            e = entries[r["case"]][version - 1]
            assert (e["trigger"], e["payload"], e["from_state"]) == (r["trigger"], r["payload"], r["seen_state"]), r
            if r["if_match"] is not None:
                assert version == r["if_match"] + 1, f"applied to another version than If-Match: {r}"
        elif places is not None:
            assert len(places) <= 1, f"an unanswered request is in history twice: {r} {places}"
            if r["answered"]:
                assert not places, f"a refused request is in history: {r} {places}"

    # Requests whose first send was applied but never answered, answered on a resend from the stored answer.
    replayed_after_crash = 0
    for r in records:
        if r["accepted"] and r["answers"][0]["status"] is None:
            case_id, version = r["accepted"]
            e = entries[case_id if r["kind"] == "open" else r["case"]][(1 if r["kind"] == "open" else version) - 1]
            answered = next(a for a in r["answers"] if a["status"] is not None)
            replayed_after_crash += e["recorded_at"].timestamp() < answered["sent_at"]

    # Every entry a person caused is explained by one request a client sent.
    by_match, by_marker = defaultdict(list), defaultdict(list)
    for r in records:
        if r["marker"]:
            by_marker[r["marker"]].append(r)
        if r["kind"] == "fire" and r["if_match"] is not None:
            by_match[(r["case"], r["if_match"] + 1, r["trigger"], json.dumps(r["payload"], sort_keys=True))].append(r)
    client_cases = {cid for cid, chain in entries.items() if chain[0]["payload"].get("title") in sent}
    person_entries = applied_unanswered = 0
    for cid in client_cases:
        for e in entries[cid][1:]:
            if e["actor_role"] == "timer":
                continue
            person_entries += 1
            m = marker_of(e)
            if m:
                matching = by_marker[m]
                assert matching, f"case {cid} entry {e['seq']}: nobody sent it"
            else:
                matching = by_match[(cid, e["seq"], e["trigger"], json.dumps(e["payload"], sort_keys=True))]
                assert matching, f"case {cid} entry {e['seq']} ({e['trigger']}): nobody sent it with If-Match {e['seq'] - 1}"
                assert sum(1 for r in matching if r["accepted"]) <= 1, f"case {cid} entry {e['seq']}: answered twice"
            if not any(r["accepted"] for r in matching):
                applied_unanswered += 1

    # Every history is one chain; every due deadline fired once, with one termination opinion.
    for cid, chain in entries.items():
        assert_single_chain(cid, chain)
        assert rows[cid]["version"] == len(chain) == rows[cid]["history_seq"]
        lapses = [e for e in chain if e["trigger"] == "supplement_lapsed"]
        terminated = rows[cid]["state"] == "terminated"
        assert len(lapses) == (1 if terminated else 0), f"case {cid}: {len(lapses)} lapse entries"
        opinions = [d for d in docs if d["case_id"] == cid and d["kind"] == "termination_opinion"]
        assert len(opinions) == len(lapses), f"case {cid}: {len(opinions)} termination opinions"
        lapsed_rows = [d for d in dls if d["case_id"] == cid and d["name"] == "supplement" and d["status"] == "lapsed"]
        assert len(lapsed_rows) == len(lapses), f"case {cid}: {len(lapsed_rows)} lapsed supplement deadlines"
        issuing = Counter(ISSUES[e["trigger"]] for e in chain if e["trigger"] in ISSUES)
        issued = Counter(d["kind"] for d in docs if d["case_id"] == cid)
        assert issued == issuing, f"case {cid}: documents {dict(issued)} for entries {dict(issuing)}"
        for d in (d for d in docs if d["case_id"] == cid):
            assert ISSUES[chain[d["history_seq"] - 1]["trigger"]] == d["kind"], f"case {cid}: {d['number']}"
    due = [d for d in dls if d["status"] == "pending" and not d["service_level"]
           and d["lapses_at"] <= datetime.fromisoformat(LATER)]
    assert not due, f"due deadlines left unfired: {due[:3]}"
    assert all(rows[c]["state"] == "terminated" for c in seeded_ids)
    assert not open_incidents, open_incidents
    by_series = assert_numbers_without_gap(docs, sequences)
    p = cli(url, "audit", "verify")
    assert p.returncode == 0, p.stdout + p.stderr

    statuses = Counter(str(a["status"]) for r in records for a in r["answers"])
    return {
        "requests": len(records), "sends_including_resends": sum(len(r["answers"]) for r in records),
        "answers_by_status": dict(statuses), "accepted": sum(1 for r in records if r["accepted"]),
        "never_answered": sum(1 for r in records if not r["answered"]),
        "never_answered_but_applied": applied_unanswered,
        "answered_only_after_resend": sum(1 for r in records if r["answered"] and r["answers"][0]["status"] is None),
        "applied_unanswered_then_replayed_on_resend": replayed_after_crash,
        "cases": len(rows), "client_cases": len(client_cases), "person_entries": person_entries,
        "lapses_fired": sum(1 for chain in entries.values() for e in chain if e["trigger"] == "supplement_lapsed"),
        "documents_by_series": dict(by_series), "lost": 0, "duplicated": 0, "audit_verify_exit": p.returncode,
    }


@pytest.mark.postgres
def test_repeated_sigkills_on_postgresql_lose_and_duplicate_nothing(pg_url, tmp_path):
    """PostgreSQL, 3 rounds of SIGKILL to a gunicorn worker, a sweep and the whole server: nothing lost or doubled."""
    crash_rounds(pg_url, tmp_path, db_name="postgresql", workers=2, clients=6, rounds=3, seeded=80,
                 sweepers=("tick", "worker", "serve"))


def test_repeated_sigkills_on_sqlite_lose_and_duplicate_nothing(sqlite_url, tmp_path):
    """SQLite, one server worker: 3 rounds of SIGKILL to it, a sweep and the whole server: nothing lost or doubled."""
    crash_rounds(sqlite_url, tmp_path, db_name="sqlite", workers=1, clients=3, rounds=3, seeded=80,
                 sweepers=("tick", "serve", "tick"))
