"""the assessment computed from the record: runs, results, occurrences, corrections, findings, publications

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('assessment_runs',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('computed_at', When, nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('standard_file', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_runs'))
    )
    op.create_index(op.f('ix_assessment_runs_year_computed_at'), 'assessment_runs', ['year', 'computed_at'])
    op.create_table('assessment_results',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('agency_code', sa.String(length=40), nullable=False),
    sa.Column('item_code', sa.String(length=60), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('computed_count', sa.Integer(), nullable=True),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('deduction', sa.String(length=20), nullable=False),
    sa.Column('computed_at', When, nullable=False),
    sa.ForeignKeyConstraint(['agency_code'], ['agencies.code'], name=op.f('fk_assessment_results_agency_code_agencies')),
    sa.PrimaryKeyConstraint('year', 'agency_code', 'item_code', name=op.f('pk_assessment_results'))
    )
    op.create_table('assessment_occurrences',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('agency_code', sa.String(length=40), nullable=False),
    sa.Column('item_code', sa.String(length=60), nullable=False),
    sa.Column('case_id', Id, nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('what', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_assessment_occurrences_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_occurrences')),
    sa.UniqueConstraint('year', 'agency_code', 'item_code', 'case_id',
                        name=op.f('uq_assessment_occurrences_year_agency_code_item_code_case_id'))
    )
    op.create_table('assessment_corrections',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('agency_code', sa.String(length=40), nullable=False),
    sa.Column('item_code', sa.String(length=60), nullable=False),
    sa.Column('computed_count', sa.Integer(), nullable=False),
    sa.Column('corrected_count', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('recorded_at', When, nullable=False),
    sa.ForeignKeyConstraint(['agency_code'], ['agencies.code'], name=op.f('fk_assessment_corrections_agency_code_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_corrections'))
    )
    op.create_index(op.f('ix_assessment_corrections_year_agency_code'), 'assessment_corrections', ['year', 'agency_code'])
    op.create_table('assessment_findings',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('agency_code', sa.String(length=40), nullable=False),
    sa.Column('found_on', sa.Date(), nullable=False),
    sa.Column('points', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('recorded_at', When, nullable=False),
    sa.ForeignKeyConstraint(['agency_code'], ['agencies.code'], name=op.f('fk_assessment_findings_agency_code_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_findings'))
    )
    op.create_index(op.f('ix_assessment_findings_year_agency_code_found_on'), 'assessment_findings',
                    ['year', 'agency_code', 'found_on'])
    op.create_table('assessment_publications',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('document_id', Id, nullable=True),
    sa.Column('published_at', When, nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_assessment_publications_document_id_documents')),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_assessment_publications'))
    )


def downgrade() -> None:
    op.drop_table('assessment_publications')
    op.drop_index(op.f('ix_assessment_findings_year_agency_code_found_on'), table_name='assessment_findings')
    op.drop_table('assessment_findings')
    op.drop_index(op.f('ix_assessment_corrections_year_agency_code'), table_name='assessment_corrections')
    op.drop_table('assessment_corrections')
    op.drop_table('assessment_occurrences')
    op.drop_table('assessment_results')
    op.drop_index(op.f('ix_assessment_runs_year_computed_at'), table_name='assessment_runs')
    op.drop_table('assessment_runs')
