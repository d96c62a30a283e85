"""the notification outbox reads only what is new (an index on pending rows, a history mark); dated jobs run once

`scheduled_runs` holds one row per (job, period) a dated job has done, inserted in the job's own
transaction: the scheduler opens the year's annual reports once, whatever the workers and restarts.

`deliver` reads the pending rows through (status, id); an agency's page of notifications through
(agency_code, id); `collect` reads the history entries after `notification_marks.last_id` instead
of every document and deadline at each sweep (xsflow/liaison.py).

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-04

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_index(op.f('ix_notifications_status_id'), 'notifications', ['status', 'id'])
    op.create_index(op.f('ix_notifications_agency_code_id'), 'notifications', ['agency_code', 'id'])
    op.create_table('notification_marks',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('last_id', Id, nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_notification_marks'))
    )
    # The one mark, there from the start: sweeps lock it, so two workers never collect at once.
    op.bulk_insert(sa.table('notification_marks', sa.column('name', sa.String), sa.column('last_id', Id)),
                   [{'name': 'history', 'last_id': 0}])
    op.create_table('scheduled_runs',
    sa.Column('job', sa.String(length=60), nullable=False),
    sa.Column('period', sa.String(length=20), nullable=False),
    sa.Column('ran_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('job', 'period', name=op.f('pk_scheduled_runs'))
    )


def downgrade() -> None:
    op.drop_table('scheduled_runs')
    op.drop_table('notification_marks')
    op.drop_index(op.f('ix_notifications_agency_code_id'), table_name='notifications')
    op.drop_index(op.f('ix_notifications_status_id'), table_name='notifications')
