"""The web pages' blueprint, shared by the modules that add pages to it."""
from __future__ import annotations

from flask import Blueprint, current_app

from xsflow.system import Xsflow

web = Blueprint("web", __name__, template_folder="templates", static_folder="static",
                static_url_path="/web-static")


def xs() -> Xsflow:
    return current_app.extensions["xsflow"]
