"""Every error leaves as `{"error": {"code", "message"}}` (contract.md), in words a clerk can act on."""
from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from xsflow.errors import InvalidPayload, XsflowError, http_status

_HTTP_MESSAGES = {
    400: ("bad_request", "请求格式有误：请求体应为合法的 UTF-8 JSON。"),
    401: ("not_authenticated", "缺少或无效的访问令牌。"),
    403: ("forbidden", "无权进行该操作。"),
    404: ("not_found", "没有这个地址或对象。"),
    405: ("method_not_allowed", "该地址不支持此请求方法。"),
    413: ("too_large", "请求体过大（上限 1 MB）。"),
    415: ("unsupported_media_type", "请求体应为 JSON（Content-Type: application/json）。"),
    422: ("invalid_payload", "提交的内容有误，请逐项修改。"),
    500: ("internal_error", "系统内部错误，请求未被处理，请联系系统管理员。"),
}


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            # webargs nests by location ("json", "query"); a clerk wants the field names only.
            name = prefix if key in ("json", "query", "headers") and not prefix else \
                (f"{prefix}.{key}" if prefix else str(key))
            out.update(_flatten(value, name))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out[prefix or "_body"] = [_translate(m) for m in messages]
    else:
        out[prefix or "_body"] = [str(messages)]
    return out


def _translate(message: str) -> str:
    # What webargs itself says, before our schemas are reached.
    return {"Invalid JSON body.": "请求体不是合法的 JSON。", "Unknown field.": "不认识的字段，请删除。",
            "Not a valid integer.": "应为整数。", "Not a valid boolean.": "应为 true 或 false。"}.get(message, message)


# A refused body still being sent: closing the connection with it unread resets the connection
# (TCP RST), and the client loses the 413 with it. Up to this much is read and dropped first.
DRAIN_LIMIT = 16 * 1024 * 1024


def _drain_body() -> None:
    stream, left = request.environ.get("wsgi.input"), DRAIN_LIMIT
    while stream is not None and left > 0:
        chunk = stream.read(min(64 * 1024, left))
        if not chunk:
            break
        left -= len(chunk)


def http_exception(err: HTTPException):
    if err.code == 413:
        _drain_body()
    code, message = _HTTP_MESSAGES.get(err.code or 500, ("error", err.description or "请求失败。"))
    data = getattr(err, "data", None) or {}
    fields = _flatten(data["messages"]) if "messages" in data else None
    if err.code == 400 and fields and any("JSON" in m for ms in fields.values() for m in ms):
        return jsonify(error_body("malformed_json", "请求体不是合法的 JSON，请检查格式与编码（UTF-8）。")), 400
    if err.code == 422 and fields:
        return jsonify(error_body("invalid_payload", "提交的内容有误，请逐项修改。", fields)), 422
    if err.code == 422:
        err.code = 400
    response = jsonify(error_body(code, message, fields))
    if isinstance(err, MethodNotAllowed) and err.valid_methods:
        response.headers["Allow"] = ", ".join(err.valid_methods)  # RFC 9110: a 405 names what is allowed
    return response, err.code or 500


def xsflow_error(err: XsflowError):
    fields = err.fields if isinstance(err, InvalidPayload) else None
    return jsonify(error_body(err.code, err.message, fields)), http_status(err)


def register(app: Flask) -> None:
    app.register_error_handler(XsflowError, xsflow_error)
    app.register_error_handler(HTTPException, http_exception)
