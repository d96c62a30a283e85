"""township and street governments: each team's government

《秀山自治县行政执法监督制度》(附件2) 第三条: the township and street governments supervise the enforcement
teams in their area. `agencies.government` names a team's government (itself an agency, loaded from
xsflow/reference/township_governments.toml by `xsflow init`).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite adds a column with its reference in place; a batch copy would drop the table that
        # cases, tokens and users refer to.
        op.execute('ALTER TABLE agencies ADD COLUMN government VARCHAR(40) REFERENCES agencies (code)')
    else:
        op.add_column('agencies', sa.Column('government', sa.String(length=40), nullable=True))
        op.create_foreign_key(op.f('fk_agencies_government_agencies'), 'agencies', 'agencies', ['government'], ['code'])
    op.create_index(op.f('ix_agencies_government'), 'agencies', ['government'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_agencies_government'), table_name='agencies')
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE agencies DROP COLUMN government')
    else:
        op.drop_constraint(op.f('fk_agencies_government_agencies'), 'agencies', type_='foreignkey')
        op.drop_column('agencies', 'government')
