"""The hash chain over each case's history: an edited, deleted or reordered entry breaks it."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

GENESIS = "0" * 64


# json.dumps with these options would build this encoder anew on every call.
_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def canonical_json(value: Any) -> str:
    return _CANONICAL.encode(value)


def _instant(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(entry: Mapping[str, Any]) -> str:
    """The hash of one history entry, covering every recorded field and its predecessor's hash."""
    body = {
        "case_id": entry["case_id"], "seq": entry["seq"], "trigger": entry["trigger"],
        "actor": entry["actor"], "actor_role": entry["actor_role"], "payload": entry["payload"],
        "occurred_at": _instant(entry["occurred_at"]), "recorded_at": _instant(entry["recorded_at"]),
        "from_state": entry["from_state"], "to_state": entry["to_state"], "prev_hash": entry["prev_hash"],
    }
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


def verify_chain(case_id: int, entries: Iterable[Mapping[str, Any]], head: tuple[int, str]) -> str | None:
    """None when the entries (in seq order) form the chain ending at `head` (seq, hash), else why not."""
    prev, expected_seq = GENESIS, 1
    for e in entries:
        where = f"案件 {case_id} 第 {e['seq']} 条历史记录"
        if e["seq"] != expected_seq:
            return f"案件 {case_id} 缺少第 {expected_seq} 条历史记录（下一条是第 {e['seq']} 条）：记录被删除或顺序被改动"
        if e["prev_hash"] != prev:
            return f"{where}所链接的前一条记录与实际不符：前一条记录被改动、删除或调换"
        if entry_hash(e) != e["hash"]:
            return f"{where}的内容与其哈希值不符：该记录被改动"
        prev, expected_seq = e["hash"], expected_seq + 1
    seq, head_hash = head
    if expected_seq - 1 != seq or prev != head_hash:
        return f"案件 {case_id} 的历史记录应有 {seq} 条、以其登记的哈希结尾，实际为 {expected_seq - 1} 条：末尾记录被删除或改动"
    return None
