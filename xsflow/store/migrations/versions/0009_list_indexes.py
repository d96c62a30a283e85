"""indexes for the case list's keyset pages under a filter

The case list is paged by id; filtered by agency, by procedure and state, or by the date a case
took effect, each of these indexes yields the rows in id order from the filter's first match, so
a page costs one index range however many cases the database holds (issue 14).

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-04

"""
from typing import Sequence, Union

from alembic import op


revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_cases_agency_code_id', 'cases', ['agency_code', 'id'])
    op.create_index('ix_cases_procedure_state_id', 'cases', ['procedure', 'state', 'id'])
    op.create_index('ix_cases_opened_at_id', 'cases', ['opened_at', 'id'])


def downgrade() -> None:
    op.drop_index('ix_cases_opened_at_id', table_name='cases')
    op.drop_index('ix_cases_procedure_state_id', table_name='cases')
    op.drop_index('ix_cases_agency_code_id', table_name='cases')
