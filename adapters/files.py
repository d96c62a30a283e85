"""The .docx download answer, shared by the API and the web pages."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response

from xsflow.documents import docx_file

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def docx_download(record: dict[str, Any]) -> Response:
    """The issued document as an attachment named by its number and title (RFC 6266 UTF-8 file name)."""
    name, content = docx_file(record)
    response = Response(content, mimetype=DOCX)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"document-{record['id']}.docx\"; filename*=UTF-8''{quote(name)}")
    return response
