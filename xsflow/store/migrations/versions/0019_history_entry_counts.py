"""history entries counted per agency and procedure by PostgreSQL triggers, for the audit log's total

A county-wide reader's audit log counted every history entry (43 ms at a million entries, growing
with every step ever recorded). A case's entries are numbered 1, 2, … without a gap, so its
`history_seq` is how many it has: statement triggers on `cases` append each statement's net change of
history_seq per (agency, procedure) to `history_entry_count_changes`; the sweep folds them into
`history_entry_counts` (xsflow/kept_counts.py), and the audit log sums the keys its filters name.
On SQLite the tables stay empty: there the audit log counts the entries.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0019'
down_revision: Union[str, Sequence[str], None] = '0018'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

KEY = "agency_code, procedure"

FUNCTION = f"""
CREATE FUNCTION xsflow_history_entry_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO history_entry_count_changes ({KEY}, n)
    SELECT {KEY}, sum(history_seq) FROM new_rows GROUP BY {KEY} HAVING sum(history_seq) <> 0;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO history_entry_count_changes ({KEY}, n)
    SELECT {KEY}, -sum(history_seq) FROM old_rows GROUP BY {KEY} HAVING sum(history_seq) <> 0;
  ELSE
    INSERT INTO history_entry_count_changes ({KEY}, n)
    SELECT {KEY}, sum(n)
    FROM (SELECT {KEY}, -history_seq AS n FROM old_rows
          UNION ALL
          SELECT {KEY}, history_seq AS n FROM new_rows) c
    GROUP BY {KEY}
    HAVING sum(n) <> 0;
  END IF;
  RETURN NULL;
END $$"""

TRIGGERS = [
    ("history_entry_counts_on_insert", "INSERT", "REFERENCING NEW TABLE AS new_rows"),
    ("history_entry_counts_on_update", "UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    ("history_entry_counts_on_delete", "DELETE", "REFERENCING OLD TABLE AS old_rows"),
]


def _key() -> list[sa.Column]:
    return [sa.Column('agency_code', sa.String(length=40), nullable=False),
            sa.Column('procedure', sa.String(length=60), nullable=False)]


def upgrade() -> None:
    op.create_table('history_entry_counts', *_key(), sa.Column('n', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('agency_code', 'procedure', name=op.f('pk_history_entry_counts')))
    op.create_table('history_entry_count_changes',
                    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True,
                              nullable=False),
                    *_key(), sa.Column('n', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_history_entry_count_changes')))
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(FUNCTION)
    for name, event, transition in TRIGGERS:
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON cases {transition} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION xsflow_history_entry_counts()")
    op.execute(f"INSERT INTO history_entry_counts ({KEY}, n) SELECT {KEY}, sum(history_seq) FROM cases "
               f"GROUP BY {KEY} HAVING sum(history_seq) <> 0")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for name, *_ in TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON cases")
        op.execute("DROP FUNCTION xsflow_history_entry_counts()")
    op.drop_table('history_entry_count_changes')
    op.drop_table('history_entry_counts')
