"""The normative-document register (art. 8: 统一编号、统一登记、统一公布) over HTTP."""
from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("register", __name__, url_prefix="/api/v1", description="规范性文件登记簿")
