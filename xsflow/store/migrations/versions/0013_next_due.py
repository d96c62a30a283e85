"""cases.next_due: the last day of a case's nearest pending deadline, and 待办's indexes on it

待办 is ordered by the nearest pending last day of each case. Computed per case (a correlated MIN
over its deadlines) it cost every matching case before the first page (1.4 s at 100,000 cases);
kept on the case row by every write of its deadlines (xsflow/deadlines.py), a page is one range of
one of these indexes: county-wide, an agency's, a procedure's, a procedure and state's (issue 14).
The column is filled here with one UPDATE.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

INDEXES = {
    'ix_cases_closed_next_due_id': ['closed', 'next_due', 'id'],
    'ix_cases_agency_code_closed_next_due_id': ['agency_code', 'closed', 'next_due', 'id'],
    'ix_cases_procedure_closed_next_due_id': ['procedure', 'closed', 'next_due', 'id'],
    'ix_cases_procedure_state_next_due_id': ['procedure', 'state', 'next_due', 'id'],
}


def upgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.add_column(sa.Column('next_due', sa.Date(), nullable=True))
    op.execute("UPDATE cases SET next_due = (SELECT MIN(d.due_date) FROM deadlines d"
               " WHERE d.case_id = cases.id AND d.status = 'pending')")
    for name, columns in INDEXES.items():
        op.create_index(name, 'cases', columns)


def downgrade() -> None:
    for name in reversed(INDEXES):
        op.drop_index(name, table_name='cases')
    with op.batch_alter_table('cases') as batch:
        batch.drop_column('next_due')
