"""`xsflow user …`: accounts for people who sign in to the web pages."""
from __future__ import annotations

import click


@click.group()
def user() -> None:
    """Accounts for people (the web pages); systems use tokens."""
