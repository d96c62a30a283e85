"""each party row of a case carries the case's owner, procedure, state, next_due and history length, kept by triggers

A clerk of an agency that is a party to 50,000 open cases of other agencies (the county police in
criminal transfers) waited 0.2–0.3 s for 待办 at a million cases: each party case was read to learn
whether its state is one the clerk acts in, to find the 541 that were. Its audit log counted the
history entries of those cases one by one (0.2 s). Now `case_agencies` holds the
case's place beside each party (xsflow/party_places.py), copied from `cases` by triggers on both
databases (a party row when added; every party row of a case when its place changes), and an index
on (party, state, procedure, version) of the open ones finds those cases directly.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0018'
down_revision: Union[str, Sequence[str], None] = '0017'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Each copy beside the party, and the column of `cases` it copies.
COPIED = {"owner_code": "agency_code", "procedure": "procedure", "definition_version": "definition_version",
          "state": "state", "closed": "closed", "next_due": "next_due", "history_seq": "history_seq"}
TARGETS = ", ".join(COPIED)
SOURCES = ", ".join(COPIED.values())
FOLLOWED = ", ".join(f"{t} = NEW.{s}" for t, s in COPIED.items())
CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in COPIED.values())
CHANGED_SQLITE = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in COPIED.values())  # IS DISTINCT FROM: SQLite 3.39+

POSTGRESQL = [
    f"""CREATE FUNCTION xsflow_party_place_copied() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT {SOURCES} INTO {", ".join(f"NEW.{t}" for t in COPIED)} FROM cases WHERE id = NEW.case_id;
  RETURN NEW;
END $$""",
    "CREATE TRIGGER party_place_on_insert BEFORE INSERT ON case_agencies "
    "FOR EACH ROW EXECUTE FUNCTION xsflow_party_place_copied()",
    f"""CREATE FUNCTION xsflow_party_place_followed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE case_agencies SET {FOLLOWED} WHERE case_id = NEW.id;
  RETURN NULL;
END $$""",
    f"CREATE TRIGGER party_place_on_case_update AFTER UPDATE ON cases FOR EACH ROW WHEN ({CHANGED}) "
    "EXECUTE FUNCTION xsflow_party_place_followed()",
]

SQLITE = [
    f"""CREATE TRIGGER party_place_on_insert AFTER INSERT ON case_agencies BEGIN
  UPDATE case_agencies SET ({TARGETS}) = (SELECT {SOURCES} FROM cases WHERE id = NEW.case_id)
  WHERE case_id = NEW.case_id AND agency_code = NEW.agency_code;
END""",
    f"""CREATE TRIGGER party_place_on_case_update AFTER UPDATE ON cases WHEN {CHANGED_SQLITE} BEGIN
  UPDATE case_agencies SET {FOLLOWED} WHERE case_id = NEW.id;
END""",
]


def upgrade() -> None:
    with op.batch_alter_table('case_agencies') as batch:
        batch.add_column(sa.Column('owner_code', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('procedure', sa.String(length=60), nullable=True))
        batch.add_column(sa.Column('definition_version', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('state', sa.String(length=60), nullable=True))
        batch.add_column(sa.Column('closed', sa.Boolean(), nullable=True))
        batch.add_column(sa.Column('next_due', sa.Date(), nullable=True))
        batch.add_column(sa.Column('history_seq', sa.Integer(), nullable=True))
    op.execute(f"UPDATE case_agencies SET ({TARGETS}) = "
               f"(SELECT {SOURCES} FROM cases WHERE cases.id = case_agencies.case_id)")
    op.create_index('ix_case_agencies_open_places', 'case_agencies',
                    ['agency_code', 'state', 'procedure', 'definition_version'], unique=False,
                    postgresql_where=sa.text('closed IS false'), sqlite_where=sa.text('closed IS false'))
    for statement in POSTGRESQL if op.get_bind().dialect.name == 'postgresql' else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER party_place_on_case_update ON cases")
        op.execute("DROP TRIGGER party_place_on_insert ON case_agencies")
        op.execute("DROP FUNCTION xsflow_party_place_followed()")
        op.execute("DROP FUNCTION xsflow_party_place_copied()")
    else:
        op.execute("DROP TRIGGER party_place_on_case_update")
        op.execute("DROP TRIGGER party_place_on_insert")
    op.drop_index('ix_case_agencies_open_places', table_name='case_agencies')
    with op.batch_alter_table('case_agencies') as batch:
        for column in reversed(COPIED):
            batch.drop_column(column)
