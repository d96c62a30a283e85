"""liaison officers and the notification outbox

《秀山自治县行政执法联席会议制度》第八条: each enforcement agency names one or two liaison officers;
meeting notices and overdue reminders go to them through the outbox (xsflow/liaison.py).

Revision ID: 0005
Revises: 0002 (to be re-chained after the revisions merged before it)
Create Date: 2026-12-04

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('liaison_officers',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('agency_code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('post', sa.String(length=100), nullable=True),
    sa.Column('named_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_code'], ['agencies.code'], name=op.f('fk_liaison_officers_agency_code_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_liaison_officers'))
    )
    op.create_index(op.f('ix_liaison_officers_agency_code'), 'liaison_officers', ['agency_code'])
    op.create_table('notifications',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('case_id', Id, nullable=True),
    sa.Column('agency_code', sa.String(length=40), nullable=False),
    sa.Column('officer_id', Id, nullable=True),
    sa.Column('recipient', sa.String(length=400), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['agency_code'], ['agencies.code'], name=op.f('fk_notifications_agency_code_agencies')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_notifications_case_id_cases')),
    sa.ForeignKeyConstraint(['officer_id'], ['liaison_officers.id'], name=op.f('fk_notifications_officer_id_liaison_officers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('source', 'officer_id', name=op.f('uq_notifications_source_officer_id'))
    )


def downgrade() -> None:
    op.drop_table('notifications')
    op.drop_index(op.f('ix_liaison_officers_agency_code'), table_name='liaison_officers')
    op.drop_table('liaison_officers')
