"""inbound event ids are unique per issuing token, not county-wide

An event id was one namespace for every system: one token could take an id another system
would later send, and a repeat was matched by the token's name. `issuer` is the token's scope
(`token:<id>`, xsflow.access.Actor.scope); the ids are unique per issuer.

Events already stored get the issuer of the one token that bears their sender's name; when no
token or several bear it, `name:<sender>`, which no token's scope equals: such an old event is not
answered as a repeat to anyone (a system sending it again gets a fresh delivery, judged anew).

Revision ID: 0004
Revises: 0002 (the lead chains it after 0003 at merge)
Create Date: 2026-12-05

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('inbound_events') as batch:
        batch.add_column(sa.Column('issuer', sa.String(length=200), nullable=True))
    op.execute("""
        UPDATE inbound_events SET issuer = CASE
            WHEN (SELECT count(*) FROM tokens t WHERE t.name = inbound_events.sender) = 1
            THEN 'token:' || CAST((SELECT t.id FROM tokens t WHERE t.name = inbound_events.sender) AS VARCHAR(20))
            ELSE substr('name:' || sender, 1, 200) END
    """)
    with op.batch_alter_table('inbound_events') as batch:
        batch.alter_column('issuer', existing_type=sa.String(length=200), nullable=False)
        batch.drop_constraint('uq_inbound_events_event_id', type_='unique')
        batch.create_unique_constraint('uq_inbound_events_issuer_event_id', ['issuer', 'event_id'])


def downgrade() -> None:
    # Ids that are now taken by two issuers cannot become county-wide again: refused, not guessed.
    with op.batch_alter_table('inbound_events') as batch:
        batch.drop_constraint('uq_inbound_events_issuer_event_id', type_='unique')
        batch.create_unique_constraint('uq_inbound_events_event_id', ['event_id'])
        batch.drop_column('issuer')
