"""The tables. History is append-only and hash-chained; deadlines, documents, idempotency
keys and inbound events are rows too, so nothing lives only in a process's memory."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (JSON, BigInteger, Boolean, Column, Date, DateTime, ForeignKey, Index, Integer,
                        MetaData, PrimaryKeyConstraint, String, Table, Text, UniqueConstraint, text)
from sqlalchemy.types import TypeDecorator

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

# SQLite gets BIGINT autoincrement wrong; INTEGER there is the 64-bit rowid.
Id = BigInteger().with_variant(Integer(), "sqlite")


class UTC(TypeDecorator):
    """An aware datetime stored as UTC; SQLite keeps no zone, so it is normalised here."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: every stored instant must carry its zone")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


agencies = Table(
    "agencies", metadata,
    Column("code", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("basis", String(200), nullable=False, server_default=""),
    # A township team's government (乡镇人民政府、街道办事处, attachment 2 art. 3), whose users see its cases.
    Column("government", String(40), ForeignKey("agencies.code"), nullable=True, index=True),
)

tokens = Table(
    "tokens", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("agency_code", String(40), ForeignKey("agencies.code"), nullable=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTC, nullable=False),
    Column("expires_at", UTC, nullable=True),
    Column("revoked_at", UTC, nullable=True),
)

# People who sign in to the web pages (systems use tokens). Passwords are argon2 hashes.
users = Table(
    "users", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(80), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("agency_code", String(40), ForeignKey("agencies.code"), nullable=True),
    Column("password_hash", String(200), nullable=False),
    Column("failed_attempts", Integer, nullable=False, server_default="0"),
    Column("locked_until", UTC, nullable=True),
    Column("created_at", UTC, nullable=False),
    Column("disabled_at", UTC, nullable=True),
)

# A signed-in browser: the cookie carries a random token, this row its SHA-256 digest (xsflow/sessions.py).
# Deleting or revoking the row ends the session wherever the cookie was copied to.
web_sessions = Table(
    "web_sessions", metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("created_at", UTC, nullable=False),
    Column("last_seen_at", UTC, nullable=False),
    Column("revoked_at", UTC, nullable=True),
    Index(None, "user_id"),
    Index(None, "created_at"),
)

# Failed sign-ins by client address (an IPv6 address by its /64), for throttling across workers.
sign_in_failures = Table(
    "sign_in_failures", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("address", String(64), nullable=False),
    Column("failed_at", UTC, nullable=False),
    Index(None, "address", "failed_at"),
    Index(None, "failed_at"),
)

calendar_notices = Table(
    "calendar_notices", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(20), nullable=False),
    Column("year", Integer, nullable=True),
    Column("number", String(120), nullable=False),
    Column("title", String(300), nullable=False),
    Column("text", Text, nullable=False),
    Column("loaded_at", UTC, nullable=False),
    UniqueConstraint("kind", "number"),
)

cases = Table(
    "cases", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("procedure", String(60), nullable=False),
    Column("definition_version", Integer, nullable=False),
    Column("agency_code", String(40), ForeignKey("agencies.code"), nullable=False),
    Column("title", String(500), nullable=False),
    Column("state", String(60), nullable=False),
    Column("closed", Boolean, nullable=False),  # in a terminal state
    Column("version", Integer, nullable=False),
    Column("data", JSON, nullable=False),
    Column("correlation_key", String(200), nullable=True),
    Column("opened_at", UTC, nullable=False),
    Column("last_occurred_at", UTC, nullable=False),
    Column("history_seq", Integer, nullable=False),
    Column("history_hash", String(64), nullable=False),
    # The last day of the nearest pending deadline (NULL: none), kept by every write of the case's
    # deadlines (xsflow/deadlines.py next_due): what 待办 is ordered by, read from an index (0013).
    Column("next_due", Date, nullable=True),
    UniqueConstraint("procedure", "correlation_key"),
    Index(None, "agency_code", "procedure", "state"),
    Index(None, "procedure", "state"),
    Index(None, "closed", "agency_code"),
    # The case list's keyset pages under a filter, in id order (migration 0009).
    Index(None, "agency_code", "id"),
    Index(None, "procedure", "state", "id"),
    Index(None, "opened_at", "id"),
    # 待办's keyset pages, soonest last day first (migration 0013): county-wide, an agency's, a filter's.
    Index(None, "closed", "next_due", "id"),
    Index(None, "agency_code", "closed", "next_due", "id"),
    Index(None, "procedure", "closed", "next_due", "id"),
    Index(None, "procedure", "state", "next_due", "id"),
)
# The register finds the legality review of a filed document by the numbers its data names (0015).
for _key in ("document_number", "uniform_number"):
    Index(f"ix_cases_data_{_key}", cases.c.data[_key].as_string())

# The agencies other than its owner that see a case: the parties of procedures between agencies, a
# township over its teams. Each row carries the case's place (owner, procedure, state, closed, next_due,
# history length), copied from `cases` by triggers (migration 0018, xsflow/party_places.py), so that
# the cases an agency acts on as a party are found by an index, without reading every case it is a
# party to.
case_agencies = Table(
    "case_agencies", metadata,
    Column("case_id", Id, ForeignKey("cases.id"), primary_key=True),
    Column("agency_code", String(40), ForeignKey("agencies.code"), primary_key=True),
    Column("owner_code", String(40), nullable=True),  # cases.agency_code
    Column("procedure", String(60), nullable=True),
    Column("definition_version", Integer, nullable=True),
    Column("state", String(60), nullable=True),
    Column("closed", Boolean, nullable=True),
    Column("next_due", Date, nullable=True),
    Column("history_seq", Integer, nullable=True),  # how many history entries the case has
    Index(None, "agency_code", "case_id"),
    Index("ix_case_agencies_open_places", "agency_code", "state", "procedure", "definition_version",
          postgresql_where=text("closed IS false"), sqlite_where=text("closed IS false")),
)

history = Table(
    "history", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("case_id", Id, ForeignKey("cases.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("trigger", String(60), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("actor_role", String(20), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("occurred_at", UTC, nullable=False),
    Column("recorded_at", UTC, nullable=False),
    Column("from_state", String(60), nullable=True),
    Column("to_state", String(60), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("case_id", "seq"),
    Index(None, "recorded_at", "id"),  # the audit log, newest first (xsflow/audit_log.py)
    Index(None, "actor", "recorded_at", "id"),  # one actor's acts
)

deadlines = Table(
    "deadlines", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("case_id", Id, ForeignKey("cases.id"), nullable=False),
    Column("name", String(60), nullable=False),
    Column("period_kind", String(20), nullable=False),  # working_days | days | hours | fixed_date
    Column("period", Integer, nullable=False),
    # Unknown (NULL) while the period waits for the service of the document it runs from (awaiting_service).
    Column("start_date", Date, nullable=True),
    Column("due_date", Date, nullable=True),
    Column("lapses_at", UTC, nullable=True),
    Column("provisional", Boolean, nullable=False),
    Column("service_level", Boolean, nullable=False),
    Column("basis", String(300), nullable=False),
    # pending | met | lapsed | cancelled | awaiting_service | suspended
    Column("status", String(20), nullable=False),
    Column("overdue", Boolean, nullable=False),  # lapsed and not yet dealt with: on the overdue list
    Column("closed_at", UTC, nullable=True),
    Column("awaits_service", String(60), nullable=True),  # the document kind whose service starts the period
    Column("reason", String(500), nullable=True),  # why the period started (起算、重新起算、恢复计算、送达)
    Column("ended_at", UTC, nullable=True),  # when the act that ended it took effect (met, lapsed, suspended…)
    Column("end_reason", String(500), nullable=True),  # the act that ended it, with its basis
    Index(None, "status", "lapses_at"),
    Index(None, "case_id"),
    # The lapses flagged overdue, by last day: the overdue summary's part for today (0016).
    Index("ix_deadlines_overdue_due_date", "due_date", postgresql_where=text("overdue"), sqlite_where=text("overdue")),
    # … and by lapse instant: the overdue list's pages, oldest first (0016).
    Index("ix_deadlines_overdue_lapses_at", "lapses_at", "id", postgresql_where=text("overdue"),
          sqlite_where=text("overdue")),
)

# Counts PostgreSQL keeps with triggers (xsflow/kept_counts.py; migrations 0016, 0017, 0019; on SQLite
# these stay empty and readers count the rows): each statement's net change is appended to a *_changes table
# (no row is updated by two writers, so none waits) and the sweep folds the changes into the counts.
# Derived data: not backed up; a restore's inserts rebuild it through the triggers.
def _kept(name: str, key: list[Column]) -> tuple[Table, Table]:
    """A kept count's two tables: the counts (one row per key) and the changes appended to it."""
    counts = Table(f"{name}_counts", metadata, *key, Column("n", Integer, nullable=False),
                   PrimaryKeyConstraint(*(c.name for c in key)))
    changes = Table(f"{name}_count_changes", metadata, Column("id", Id, primary_key=True, autoincrement=True),
                    *(Column(c.name, c.type, nullable=False) for c in key), Column("n", Integer, nullable=False))
    return counts, changes


# The overdue summary's: deadlines of open cases that are overdue or pending with a last day.
overdue_counts, overdue_count_changes = _kept("overdue", [
    Column("agency_code", String(40), nullable=False), Column("procedure", String(60), nullable=False),
    Column("due_date", Date, nullable=False), Column("service_level", Boolean, nullable=False)])
# 待办's totals: open cases per agency, procedure version and state.
open_case_counts, open_case_count_changes = _kept("open_case", [
    Column("agency_code", String(40), nullable=False), Column("procedure", String(60), nullable=False),
    Column("definition_version", Integer, nullable=False), Column("state", String(60), nullable=False)])
# The audit log's totals: history entries per agency and procedure (the sum of the cases' history_seq).
history_entry_counts, history_entry_count_changes = _kept("history_entry", [
    Column("agency_code", String(40), nullable=False), Column("procedure", String(60), nullable=False)])
# The case list's totals: every case (open or closed) per agency, procedure and state.
case_counts, case_count_changes = _kept("case", [
    Column("agency_code", String(40), nullable=False), Column("procedure", String(60), nullable=False),
    Column("state", String(60), nullable=False)])
DERIVED_TABLES = frozenset(f"{name}_{table}" for name in ("overdue", "open_case", "history_entry", "case")
                           for table in ("counts", "count_changes"))

documents = Table(
    "documents", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("case_id", Id, ForeignKey("cases.id"), nullable=False),
    Column("kind", String(60), nullable=False),
    Column("title", String(200), nullable=False),
    Column("prefix", String(40), nullable=False),
    Column("year", Integer, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("number", String(80), nullable=False, unique=True),
    Column("issued_at", UTC, nullable=False),
    Column("legal_instant", UTC, nullable=True),  # the lapse instant, for a lapse-issued document
    Column("basis", String(300), nullable=False),
    Column("facts", JSON, nullable=False),
    Column("history_seq", Integer, nullable=False),
    Column("corrects_id", Id, ForeignKey("documents.id"), nullable=True),
    UniqueConstraint("prefix", "year", "seq"),
    Index(None, "case_id"),
)

# How and when an issued document was served (送达), once per document: a period that runs from the
# service of a notice starts on `served_on` (xsflow/service.py).
document_services = Table(
    "document_services", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("document_id", Id, ForeignKey("documents.id"), nullable=False, unique=True),
    Column("case_id", Id, ForeignKey("cases.id"), nullable=False),
    Column("mode", String(20), nullable=False),
    Column("served_on", Date, nullable=False),  # the day service took effect, the period's start day
    Column("delivered_on", Date, nullable=False),  # the day recorded (post: receipt; public notice: its publication)
    Column("recipient", String(200), nullable=True),
    Column("receipt", String(200), nullable=True),  # 送达回证、邮件号、电子送达记录
    Column("note", Text, nullable=True),
    Column("recorded_by", String(200), nullable=False),
    Column("recorded_role", String(20), nullable=False),
    Column("recorded_at", UTC, nullable=False),
    Index(None, "case_id"),
)

document_sequences = Table(
    "document_sequences", metadata,
    Column("prefix", String(40), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("last", Integer, nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("scope", String(200), nullable=False),
    Column("key", String(200), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("response", JSON, nullable=False),
    Column("created_at", UTC, nullable=False),
    UniqueConstraint("scope", "key"),
)

# An event id is the sender's own: unique per issuer (the token that sent it, Actor.scope), so one
# system cannot squat another's ids, and a repeat is answered only to the token that sent it first.
inbound_events = Table(
    "inbound_events", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("issuer", String(200), nullable=False),
    Column("event_id", String(200), nullable=False),
    Column("sender", String(200), nullable=False),
    Column("procedure", String(60), nullable=False),
    Column("correlation_key", String(200), nullable=False),
    Column("trigger", String(60), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("received_at", UTC, nullable=False),
    Column("case_id", Id, ForeignKey("cases.id"), nullable=True),
    Column("outcome", String(20), nullable=False),  # applied | rejected
    Column("status", Integer, nullable=False),
    Column("response", JSON, nullable=False),
    UniqueConstraint("issuer", "event_id"),
)

incidents = Table(
    "incidents", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(40), nullable=False),
    Column("case_id", Id, ForeignKey("cases.id"), nullable=True),
    Column("deadline_id", Id, ForeignKey("deadlines.id"), nullable=True),
    Column("message", Text, nullable=False),
    Column("created_at", UTC, nullable=False),
    Column("resolved_at", UTC, nullable=True),
    UniqueConstraint("deadline_id", "kind"),
)


# Liaison officers (联络员) of an agency: one or two (《秀山自治县行政执法联席会议制度》第八条).
liaison_officers = Table(
    "liaison_officers", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("agency_code", String(40), ForeignKey("agencies.code"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("phone", String(40), nullable=False),
    Column("email", String(200), nullable=True),
    Column("post", String(100), nullable=True),
    Column("named_at", UTC, nullable=False),
    Index(None, "agency_code"),
)

# The notification outbox: a notice or overdue reminder for a liaison officer, written once per
# (source, officer) and delivered by the configured sender; the row says what was sent to whom.
notifications = Table(
    "notifications", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source", String(100), nullable=False),  # document:<id> | deadline:<id>
    Column("case_id", Id, ForeignKey("cases.id"), nullable=True),
    Column("agency_code", String(40), ForeignKey("agencies.code"), nullable=False),
    Column("officer_id", Id, ForeignKey("liaison_officers.id"), nullable=True),
    Column("recipient", String(400), nullable=False),
    Column("subject", String(500), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTC, nullable=False),
    Column("sent_at", UTC, nullable=True),
    Column("status", String(20), nullable=False),  # pending | sent | failed
    UniqueConstraint("source", "officer_id"),
    Index(None, "status", "id"),  # the pending rows, oldest first, without reading the others
    Index(None, "agency_code", "id"),  # an agency's page of what was sent
)

# Runs of a dated job that must happen once per period whatever the number of workers and restarts
# (xsflow/scheduled.py): the row is inserted in the transaction that does the job.
scheduled_runs = Table(
    "scheduled_runs", metadata,
    Column("job", String(60), primary_key=True),
    Column("period", String(20), primary_key=True),
    Column("ran_at", UTC, nullable=False),
    Column("outcome", JSON, nullable=False),
)

# How far the outbox has read the history: the id of the last entry settled (xsflow/liaison.py collect).
notification_marks = Table(
    "notification_marks", metadata,
    Column("name", String(40), primary_key=True),
    Column("last_id", Id, nullable=False),
)


# The annual assessment computed from the record (workflows/assessment_record.py): one run per
# computation of a year, a result per agency and item, and the cases behind each computed count.
assessment_runs = Table(
    "assessment_runs", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("year", Integer, nullable=False),
    Column("computed_at", UTC, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("standard_file", String(100), nullable=False),
    Index(None, "year", "computed_at"),
)

assessment_results = Table(
    "assessment_results", metadata,
    Column("year", Integer, primary_key=True),
    Column("agency_code", String(40), ForeignKey("agencies.code"), primary_key=True),
    Column("item_code", String(60), primary_key=True),
    Column("source", String(20), nullable=False),  # computed | entered
    Column("computed_count", Integer, nullable=True),  # what the record gives (computed items)
    Column("count", Integer, nullable=False),  # what is scored: computed, corrected, or entered
    Column("deduction", String(20), nullable=False),  # within the item's cap, as the standard writes it
    Column("computed_at", UTC, nullable=False),
)

assessment_occurrences = Table(
    "assessment_occurrences", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("year", Integer, nullable=False),
    Column("agency_code", String(40), nullable=False),
    Column("item_code", String(60), nullable=False),
    Column("case_id", Id, ForeignKey("cases.id"), nullable=False),
    Column("occurred_on", Date, nullable=False),
    Column("what", String(200), nullable=False),  # deadline:<name> | trigger:<name> | document:<number>
    UniqueConstraint("year", "agency_code", "item_code", "case_id"),  # a case counts once per item
)

# An assessor's correction of a computed count: always with its reason, never deleted.
assessment_corrections = Table(
    "assessment_corrections", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("year", Integer, nullable=False),
    Column("agency_code", String(40), ForeignKey("agencies.code"), nullable=False),
    Column("item_code", String(60), nullable=False),
    Column("computed_count", Integer, nullable=False),
    Column("corrected_count", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("recorded_at", UTC, nullable=False),
    Index(None, "year", "agency_code"),
)

# The daily assessment's inspection findings (考核评议制度 第7条), each dated.
assessment_findings = Table(
    "assessment_findings", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("year", Integer, nullable=False),
    Column("agency_code", String(40), ForeignKey("agencies.code"), nullable=False),
    Column("found_on", Date, nullable=False),
    Column("points", String(20), nullable=False),
    Column("text", Text, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("recorded_at", UTC, nullable=False),
    Index(None, "year", "agency_code", "found_on"),
)

# A year's results published county-wide (第9条第（四）项、第10条): from then on read-only.
assessment_publications = Table(
    "assessment_publications", metadata,
    Column("year", Integer, primary_key=True),
    Column("document_id", Id, ForeignKey("documents.id"), nullable=True),
    Column("published_at", UTC, nullable=False),
    Column("actor", String(200), nullable=False),
)
