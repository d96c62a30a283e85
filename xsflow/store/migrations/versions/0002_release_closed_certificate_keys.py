"""release the correlation keys of closed certificate cases

A certificate case now holds its person's key only while it is open (workflows/certificate.py:
`correlation_while_open`), so that a person whose certificate was cancelled can be certified
again. Cases closed before this revision still hold theirs; this releases them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03

"""
from typing import Sequence, Union

from alembic import op


revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.execute("UPDATE cases SET correlation_key = NULL WHERE procedure = 'certificate' AND closed")


def downgrade() -> None:
    # The released keys stay in each case's data (person_id); a downgrade leaves them released,
    # since two closed cases of one person could not both take the key back.
    pass
