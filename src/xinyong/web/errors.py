"""The one place that turns errors into HTTP responses (JSON for the API, pages otherwise)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from xinyong.errors import TooManyRequests, XinyongError
from xinyong.web.deps import LOGIN_PAGE, LoginRequired
from xinyong.web.templating import render

log = logging.getLogger("xinyong.web")

_HTTP_MESSAGES = {
    401: "请先登录",
    403: "没有权限访问",
    404: "页面或资源不存在",
    405: "不支持该请求方法",
    413: "提交的内容过大",
    429: "请求过于频繁，请稍后再试",
}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get(
        "accept", ""
    )


def _respond(
    request: Request, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": body}, status_code=status, headers=headers)
    return render(
        request,
        "error.html",
        {"error": body, "status": status},
        status_code=status,
        headers=headers,
    )


_LOC_NAMES = {"body": "", "query": "", "path": "", "header": "", "cookie": ""}


def _field_of(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if str(p) not in _LOC_NAMES]
    return ".".join(parts) or "请求"


def install(app: FastAPI) -> None:
    @app.exception_handler(XinyongError)
    async def domain_error(request: Request, exc: XinyongError) -> Response:
        log.info(
            "%s %s -> %s %s: %s",
            request.method,
            request.url.path,
            exc.status,
            exc.code,
            exc.message_en,
        )
        headers: dict[str, str] | None = None
        if exc.status == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        elif isinstance(exc, TooManyRequests):
            headers = {"Retry-After": str(exc.retry_after)}
        return _respond(request, exc.status, exc.as_dict(), headers)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(LOGIN_PAGE, status_code=303)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = []
        for e in exc.errors():
            field = _field_of(tuple(e.get("loc", ())))
            kind = e.get("type", "")
            reason = {
                "missing": "必填项缺失",
                "int_parsing": "应为整数",
                "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
                "date_parsing": "日期格式应为 YYYY-MM-DD",
                "string_too_long": "内容过长",
                "json_invalid": "JSON 格式错误",
            }.get(kind, "取值无效")
            problems.append({"field": field, "level": "error", "reason": reason})
        log.info(
            "%s %s -> 422 request validation: %s", request.method, request.url.path, exc.errors()
        )
        first = problems[0] if problems else {"field": "请求", "reason": "取值无效"}
        body = {
            "code": "validation_failed",
            "message": f"输入有误：{first['field']} {first['reason']}",
            "field": first["field"],
            "problems": problems,
        }
        return _respond(request, 422, body)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = _HTTP_MESSAGES.get(exc.status_code, "请求无法处理")
        body = {"code": f"http_{exc.status_code}", "message": message}
        return _respond(request, exc.status_code, body, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        body = {"code": "internal_error", "message": "系统繁忙，请稍后再试；问题已记录"}
        return _respond(request, 500, body)
