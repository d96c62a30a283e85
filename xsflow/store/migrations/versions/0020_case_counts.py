"""cases counted per agency, procedure and state by PostgreSQL triggers, for the case list's total

The case list's total counted the cases its filters name (40 ms for a supervisor at a million cases,
growing with every case ever opened). Statement triggers on `cases` append each statement's net
change per (agency, procedure, state) to `case_count_changes`; the sweep folds them into
`case_counts` (xsflow/kept_counts.py), and the list sums the keys its filters name when no other
filter (dates, overdue) applies. On SQLite the tables stay empty: there the list counts the cases.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0020'
down_revision: Union[str, Sequence[str], None] = '0019'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

KEY = "agency_code, procedure, state"

FUNCTION = f"""
CREATE FUNCTION xsflow_case_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO case_count_changes ({KEY}, n) SELECT {KEY}, count(*) FROM new_rows GROUP BY {KEY};
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO case_count_changes ({KEY}, n) SELECT {KEY}, -count(*) FROM old_rows GROUP BY {KEY};
  ELSE
    INSERT INTO case_count_changes ({KEY}, n)
    SELECT {KEY}, sum(n)
    FROM (SELECT {KEY}, -1 AS n FROM old_rows
          UNION ALL
          SELECT {KEY}, 1 AS n FROM new_rows) c
    GROUP BY {KEY}
    HAVING sum(n) <> 0;
  END IF;
  RETURN NULL;
END $$"""

TRIGGERS = [
    ("case_counts_on_insert", "INSERT", "REFERENCING NEW TABLE AS new_rows"),
    ("case_counts_on_update", "UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    ("case_counts_on_delete", "DELETE", "REFERENCING OLD TABLE AS old_rows"),
]


def _key() -> list[sa.Column]:
    return [sa.Column('agency_code', sa.String(length=40), nullable=False),
            sa.Column('procedure', sa.String(length=60), nullable=False),
            sa.Column('state', sa.String(length=60), nullable=False)]


def upgrade() -> None:
    op.create_table('case_counts', *_key(), sa.Column('n', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('agency_code', 'procedure', 'state', name=op.f('pk_case_counts')))
    op.create_table('case_count_changes',
                    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True,
                              nullable=False),
                    *_key(), sa.Column('n', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_count_changes')))
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(FUNCTION)
    for name, event, transition in TRIGGERS:
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON cases {transition} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION xsflow_case_counts()")
    op.execute(f"INSERT INTO case_counts ({KEY}, n) SELECT {KEY}, count(*) FROM cases GROUP BY {KEY}")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for name, *_ in TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON cases")
        op.execute("DROP FUNCTION xsflow_case_counts()")
    op.drop_table('case_count_changes')
    op.drop_table('case_counts')
