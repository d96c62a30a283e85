"""Enforcement certificates (行政执法证, art. 15–21) over HTTP: who may enforce today."""
from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("certificates", __name__, url_prefix="/api/v1", description="行政执法证")
