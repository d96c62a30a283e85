"""待办's total counted from an index on (procedure, definition_version, state)

The cases a role may act on are those in the states where it has a transition: a list of
(procedure, version, state). Counted through the (procedure, state) indexes the database had to read
each case for its version (a reviewer at a million cases: 0.46 s); this index answers the count alone.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04

"""
from typing import Sequence, Union

from alembic import op


revision: str = '0016'
down_revision: Union[str, Sequence[str], None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index(op.f('ix_cases_procedure_definition_version_state'), 'cases',
                    ['procedure', 'definition_version', 'state'])


def downgrade() -> None:
    op.drop_index(op.f('ix_cases_procedure_definition_version_state'), table_name='cases')
