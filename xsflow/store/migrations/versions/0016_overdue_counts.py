"""overdue counts kept by PostgreSQL triggers, for the overdue summary at any size

The overdue summary counted every lapsed deadline joined with its case (0.5–0.7 s at a million
cases, issue 14). Now PostgreSQL keeps, per (agency, procedure, last day, kind), how many deadlines
open cases hold that are overdue or may become so (overdue, or pending with a last day): statement
triggers on `deadlines` (insert, update, delete) and on `cases` (closed or moved to another agency)
append each statement's net change to `overdue_count_changes`; the sweep folds them into
`overdue_counts` (xsflow/overdue_counts.py). A summary then sums these rows for the last days before
today and counts today's lapses from the deadlines (ix_deadlines_overdue_due_date and the
(status, lapses_at) index). The overdue list, oldest first, reads its pages by lapse instant from
ix_deadlines_overdue_lapses_at and (status, lapses_at). On SQLite the tables stay empty: there the summary counts the deadlines.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0016'
down_revision: Union[str, Sequence[str], None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

KEY = "agency_code, procedure, due_date, service_level"
# A deadline counted: of an open case, with a last day, overdue or pending (the summary decides by
# its last day whether it has lapsed). Kept in step with xsflow/overdue_counts.py COUNTED.
COUNTED = "d.due_date IS NOT NULL AND (d.overdue OR d.status = 'pending')"

FUNCTIONS = [f"""
CREATE FUNCTION xsflow_overdue_counts_deadlines() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO overdue_count_changes ({KEY}, n)
    SELECT c.agency_code, c.procedure, d.due_date, d.service_level, count(*)
    FROM new_rows d JOIN cases c ON c.id = d.case_id
    WHERE NOT c.closed AND {COUNTED}
    GROUP BY 1, 2, 3, 4;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO overdue_count_changes ({KEY}, n)
    SELECT c.agency_code, c.procedure, d.due_date, d.service_level, -count(*)
    FROM old_rows d JOIN cases c ON c.id = d.case_id
    WHERE NOT c.closed AND {COUNTED}
    GROUP BY 1, 2, 3, 4;
  ELSE
    INSERT INTO overdue_count_changes ({KEY}, n)
    SELECT c.agency_code, c.procedure, d.due_date, d.service_level, sum(d.n)
    FROM (SELECT case_id, due_date, service_level, overdue, status, -1 AS n FROM old_rows
          UNION ALL
          SELECT case_id, due_date, service_level, overdue, status, 1 AS n FROM new_rows) d
    JOIN cases c ON c.id = d.case_id
    WHERE NOT c.closed AND {COUNTED}
    GROUP BY 1, 2, 3, 4
    HAVING sum(d.n) <> 0;
  END IF;
  RETURN NULL;
END $$""", f"""
CREATE FUNCTION xsflow_overdue_counts_cases() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO overdue_count_changes ({KEY}, n)
  SELECT k.agency_code, k.procedure, d.due_date, d.service_level, sum(k.n)
  FROM (SELECT o.id, o.agency_code, o.procedure, -1 AS n
        FROM old_rows o JOIN new_rows w ON w.id = o.id
        WHERE NOT o.closed AND (w.closed OR w.agency_code <> o.agency_code)
        UNION ALL
        SELECT w.id, w.agency_code, w.procedure, 1 AS n
        FROM old_rows o JOIN new_rows w ON w.id = o.id
        WHERE NOT w.closed AND (o.closed OR w.agency_code <> o.agency_code)) k
  JOIN deadlines d ON d.case_id = k.id
  WHERE {COUNTED}
  GROUP BY 1, 2, 3, 4
  HAVING sum(k.n) <> 0;
  RETURN NULL;
END $$"""]

TRIGGERS = [
    ("overdue_counts_on_insert", "deadlines", "INSERT", "REFERENCING NEW TABLE AS new_rows", "deadlines"),
    ("overdue_counts_on_update", "deadlines", "UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
     "deadlines"),
    ("overdue_counts_on_delete", "deadlines", "DELETE", "REFERENCING OLD TABLE AS old_rows", "deadlines"),
    ("overdue_counts_on_case_update", "cases", "UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
     "cases"),
]


def _key() -> list[sa.Column]:
    return [sa.Column('agency_code', sa.String(length=40), nullable=False),
            sa.Column('procedure', sa.String(length=60), nullable=False),
            sa.Column('due_date', sa.Date(), nullable=False),
            sa.Column('service_level', sa.Boolean(), nullable=False)]


def upgrade() -> None:
    op.create_table('overdue_counts', *_key(), sa.Column('n', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('agency_code', 'procedure', 'due_date', 'service_level',
                                            name=op.f('pk_overdue_counts')))
    op.create_table('overdue_count_changes', sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                                                       autoincrement=True, nullable=False),
                    *_key(), sa.Column('n', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_overdue_count_changes')))
    op.create_index('ix_deadlines_overdue_due_date', 'deadlines', ['due_date'], postgresql_where=sa.text('overdue'),
                    sqlite_where=sa.text('overdue'))
    # The overdue list, oldest first, reads the flagged lapses in this order (and the pending ones by
    # the (status, lapses_at) index), merged: a page walks as many as it shows.
    op.create_index('ix_deadlines_overdue_lapses_at', 'deadlines', ['lapses_at', 'id'],
                    postgresql_where=sa.text('overdue'), sqlite_where=sa.text('overdue'))
    if op.get_bind().dialect.name != 'postgresql':
        return
    for function in FUNCTIONS:
        op.execute(function)
    for name, table, event, transition, function in TRIGGERS:
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} {transition} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION xsflow_overdue_counts_{function}()")
    op.execute(f"INSERT INTO overdue_counts ({KEY}, n) "
               f"SELECT c.agency_code, c.procedure, d.due_date, d.service_level, count(*) "
               f"FROM deadlines d JOIN cases c ON c.id = d.case_id WHERE NOT c.closed AND {COUNTED} GROUP BY 1, 2, 3, 4")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for name, table, *_ in TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON {table}")
        op.execute("DROP FUNCTION xsflow_overdue_counts_deadlines()")
        op.execute("DROP FUNCTION xsflow_overdue_counts_cases()")
    op.drop_index('ix_deadlines_overdue_lapses_at', table_name='deadlines')
    op.drop_index('ix_deadlines_overdue_due_date', table_name='deadlines')
    op.drop_table('overdue_count_changes')
    op.drop_table('overdue_counts')
