"""The web pages' blueprint and its setup on the Flask app."""
from __future__ import annotations

from flask import Flask


def init_web(app: Flask) -> None:
    """Registers the web pages on `app` (sign-in, 待办, 逾期, case pages, calendar)."""
