"""service of documents (送达) and the history of periods

A period that runs from a notice runs from its service: `document_services` records how and when each
issued document was served; a deadline waiting for that service has no start, last day or lapse
instant yet (status `awaiting_service`). Each deadline row is one period: why it started (`reason`),
when and why it ended (`ended_at`, `end_reason`: met, lapsed, suspended, restarted).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa



revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('document_services',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('document_id', Id, nullable=False),
    sa.Column('case_id', Id, nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('served_on', sa.Date(), nullable=False),
    sa.Column('delivered_on', sa.Date(), nullable=False),
    sa.Column('recipient', sa.String(length=200), nullable=True),
    sa.Column('receipt', sa.String(length=200), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.Column('recorded_role', sa.String(length=20), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_document_services_case_id_cases')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_services_document_id_documents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_services')),
    sa.UniqueConstraint('document_id', name=op.f('uq_document_services_document_id'))
    )
    op.create_index(op.f('ix_document_services_case_id'), 'document_services', ['case_id'])
    with op.batch_alter_table('deadlines') as batch:
        batch.alter_column('start_date', existing_type=sa.Date(), nullable=True)
        batch.alter_column('due_date', existing_type=sa.Date(), nullable=True)
        batch.alter_column('lapses_at', existing_type=sa.DateTime(timezone=True), nullable=True)
        batch.add_column(sa.Column('awaits_service', sa.String(length=60), nullable=True))
        batch.add_column(sa.Column('reason', sa.String(length=500), nullable=True))
        batch.add_column(sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('end_reason', sa.String(length=500), nullable=True))


def downgrade() -> None:
    # A period still waiting for service has no dates: it cannot be kept under NOT NULL.
    op.execute("DELETE FROM deadlines WHERE status = 'awaiting_service'")
    with op.batch_alter_table('deadlines') as batch:
        batch.drop_column('end_reason')
        batch.drop_column('ended_at')
        batch.drop_column('reason')
        batch.drop_column('awaits_service')
        batch.alter_column('lapses_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch.alter_column('due_date', existing_type=sa.Date(), nullable=False)
        batch.alter_column('start_date', existing_type=sa.Date(), nullable=False)
    op.drop_index(op.f('ix_document_services_case_id'), table_name='document_services')
    op.drop_table('document_services')
