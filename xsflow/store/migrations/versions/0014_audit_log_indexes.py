"""the audit log (操作记录) pages by (recorded_at, id), also for one actor

`xsflow/audit_log.py` lists history entries across cases newest first; these indexes make a page,
with or without an actor filter, one index range whatever the size of the history.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04

"""
from typing import Sequence, Union

from alembic import op


revision: str = '0014'
down_revision: Union[str, Sequence[str], None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index(op.f('ix_history_recorded_at_id'), 'history', ['recorded_at', 'id'])
    op.create_index(op.f('ix_history_actor_recorded_at_id'), 'history', ['actor', 'recorded_at', 'id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_history_actor_recorded_at_id'), table_name='history')
    op.drop_index(op.f('ix_history_recorded_at_id'), table_name='history')
