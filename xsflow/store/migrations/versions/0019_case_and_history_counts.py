"""cases per agency, procedure and state, and history entries per agency and procedure, counted by
PostgreSQL triggers, for the case list's and the audit log's totals

The case list counted the cases its filters name (40 ms for a supervisor at a million cases) and a
county-wide reader's audit log counted every history entry (43 ms at a million entries); both grow
with everything ever recorded. One set of statement triggers on `cases` appends each statement's net
change to two changes tables: cases per (agency, procedure, state), and history entries per
(agency, procedure) as the change of `history_seq` (a case's entries are numbered 1, 2, … without a
gap, so history_seq is how many it has; `history` itself needs no trigger). The sweep folds them
into `case_counts` and `history_entry_counts` (xsflow/kept_counts.py). On SQLite the tables stay
empty: there the readers count the rows.

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

# Each kept count: its name, its key, and what one case adds to it.
KEPT = [("case", ("agency_code", "procedure", "state"), "1"),
        ("history_entry", ("agency_code", "procedure"), "history_seq")]
# What a statement's rows add per key: the new rows, less the old (INSERT has only new, DELETE only old).
ADDED = {"INSERT": "SELECT {k}, {m} AS n FROM new_rows",
         "DELETE": "SELECT {k}, -{m} AS n FROM old_rows",
         "UPDATE": "SELECT {k}, -{m} AS n FROM old_rows UNION ALL SELECT {k}, {m} AS n FROM new_rows"}


def _appended(operation: str) -> str:
    """Each kept count's net change per key for one kind of statement, appended to its changes table."""
    return "".join(f"""
    INSERT INTO {name}_count_changes ({", ".join(key)}, n)
    SELECT {", ".join(key)}, sum(n) FROM ({ADDED[operation].format(k=", ".join(key), m=measure)}) c
    GROUP BY {", ".join(key)} HAVING sum(n) <> 0;""" for name, key, measure in KEPT)


FUNCTION = f"""
CREATE FUNCTION xsflow_case_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN{_appended("INSERT")}
  ELSIF TG_OP = 'DELETE' THEN{_appended("DELETE")}
  ELSE{_appended("UPDATE")}
  END IF;
  RETURN NULL;
END $$"""

TRIGGERS = [
    ("case_totals_on_insert", "INSERT", "REFERENCING NEW TABLE AS new_rows"),
    ("case_totals_on_update", "UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    ("case_totals_on_delete", "DELETE", "REFERENCING OLD TABLE AS old_rows"),
]
COLUMNS = {"agency_code": sa.String(length=40), "procedure": sa.String(length=60), "state": sa.String(length=60)}


def upgrade() -> None:
    for name, key, measure in KEPT:
        op.create_table(f'{name}_counts', *(sa.Column(c, COLUMNS[c], nullable=False) for c in key),
                        sa.Column('n', sa.Integer(), nullable=False),
                        sa.PrimaryKeyConstraint(*key, name=op.f(f'pk_{name}_counts')))
        op.create_table(f'{name}_count_changes',
                        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True,
                                  nullable=False),
                        *(sa.Column(c, COLUMNS[c], nullable=False) for c in key),
                        sa.Column('n', sa.Integer(), nullable=False),
                        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{name}_count_changes')))
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(FUNCTION)
    for name, event, transition in TRIGGERS:
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON cases {transition} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION xsflow_case_totals()")
    for name, key, measure in KEPT:
        k = ", ".join(key)
        op.execute(f"INSERT INTO {name}_counts ({k}, n) SELECT {k}, sum({measure}) FROM cases "
                   f"GROUP BY {k} HAVING sum({measure}) <> 0")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for name, *_ in TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON cases")
        op.execute("DROP FUNCTION xsflow_case_totals()")
    for name, *_ in KEPT:
        op.drop_table(f'{name}_count_changes')
        op.drop_table(f'{name}_counts')
