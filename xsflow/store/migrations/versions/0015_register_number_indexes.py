"""the numbers a legality review's data names, indexed for the document register

The register (workflows/document_register.py) shows, beside each filed document, the legality review
of its draft: the case whose data names the same document number (or uniform number). Looked up
without an index, a page read every legality review (0.4 s at a million cases).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0015'
down_revision: Union[str, Sequence[str], None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Built from the same expression the lookup uses, so each database indexes what it compares
# (PostgreSQL data ->> 'key', SQLite JSON_EXTRACT).
_cases = sa.Table('cases', sa.MetaData(), sa.Column('data', sa.JSON))
INDEXES = [sa.Index(f'ix_cases_data_{key}', _cases.c.data[key].as_string()) for key in ('document_number', 'uniform_number')]


def upgrade() -> None:
    for index in INDEXES:
        index.create(op.get_bind())


def downgrade() -> None:
    for index in INDEXES:
        op.drop_index(index.name, table_name='cases')
