"""The HTTP server around the Gradio page: sign-in and sign-out, and a guard in front of every route.

The guard runs before Gradio on every request (page, config, queue, API, uploads, file downloads):
- multi-user: a valid session or nothing (login page for a browser, 401 for a program, 503 when the user
  file is missing, empty or corrupt); the session is checked against the account as it is now;
- files from the cache are served only to the user who owns them; anything else there is refused;
- uploads only by managers, and no larger than the configured cap.
Sign-in runs the password hash on a worker thread (at most two at a time), so guessing cannot stall the
page for everyone, and is throttled per account and per client.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import anyio
import fastapi
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from assistant.warehouse.users import UserStoreUnavailable
from assistant.web.auth import COOKIE, LOGIN_FAILED, REASONS, locked_message, login_page
from assistant.web.context import Web, upload_limit_bytes

Scope = dict[str, Any]
ASGI = Callable[
    [Scope, Callable[[], Awaitable[dict[str, Any]]], Callable[[dict[str, Any]], Awaitable[None]]], Awaitable[None]
]
OPEN_PATHS = ("/login", "/login/", "/logout", "/logout/")
SWEEP_SECONDS = 30.0
HASHING = anyio.CapacityLimiter(2)  # password hashes at once: the rest wait their turn off the event loop


def _cookie(scope: Scope) -> str | None:
    for k, v in scope.get("headers", []):
        if k == b"cookie":
            for part in v.decode("latin-1").split(";"):
                name, _, value = part.strip().partition("=")
                if name == COOKIE:
                    return value
    return None


def _header(scope: Scope, name: bytes) -> str:
    for k, v in scope.get("headers", []):
        if k == name:
            return v.decode("latin-1")
    return ""


def _wants_html(scope: Scope) -> bool:
    return scope.get("method") == "GET" and "text/html" in _header(scope, b"accept")


def _client(scope: Scope) -> str:
    c = scope.get("client")
    return str(c[0]) if c else "unknown"


def _error(status: int, zh: str, en: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": en, "zh": zh, "en": en, **extra}, status_code=status)


class Guard:
    def __init__(self, app: ASGI, web: Web) -> None:
        self.app, self.web = app, web
        self._swept = time.monotonic()

    def _sweep(self) -> None:
        store = self.web.store
        if store is None or time.monotonic() - self._swept < SWEEP_SECONDS:
            return
        self._swept = time.monotonic()
        for s in store.expired():
            self.web.files.forget(token=s.token)
            self.web.audit.write("session_ended", s.name, reason="expired", client=s.client)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if path in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        web = self.web
        name = "local"
        token = None
        role = "manager"
        if web.store is not None:
            self._sweep()
            token = _cookie(scope)
            check = web.store.check(token)
            if check.who is None:
                if check.reason in ("expired", "revoked") and token:
                    gone = web.store.session(token)
                    web.files.forget(token=token)
                    web.audit.write("session_ended", gone.name if gone else None, reason=check.reason, path=path)
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 4401})
                    return
                if check.reason == "store":
                    if _wants_html(scope):
                        resp: Response = HTMLResponse(login_page((check.zh, check.en)), status_code=503)
                    else:
                        resp = _error(503, check.zh, check.en)
                elif _wants_html(scope):
                    resp = RedirectResponse(f"/login?m={check.reason}", status_code=303)
                else:
                    resp = _error(401, check.zh, check.en)
                await resp(scope, receive, send)
                return
            name, role = check.who.name, check.who.role
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "/file=" in path or "/proxy=" in path or "/gradio_api/file/" in path:
            wanted = path.split("=", 1)[1] if "=" in path else path.split("/gradio_api/file/", 1)[1]
            if "/proxy=" in path or web.files.owner_of(wanted) != name:
                web.audit.write("file_refused", name, path=path.rsplit("/", 1)[-1])
                await _error(404, "没有这个文件,或它不属于您。", "No such file, or it is not yours.")(
                    scope, receive, send
                )
                return
            web.audit.write("download", name, file=path.rsplit("/", 1)[-1])
        if scope.get("method") == "POST" and path.rstrip("/").endswith("/upload"):
            await self._upload(scope, receive, send, name, role, token)
            return
        await self.app(scope, receive, send)

    async def _upload(self, scope: Scope, receive: Any, send: Any, name: str, role: str, token: str | None) -> None:
        web = self.web
        limit = upload_limit_bytes(web.settings)
        if role != "manager":
            web.audit.write("upload_refused", name, reason="role")
            await _error(403, "只有经理可以上传文件。", "Only managers can upload files.")(scope, receive, send)
            return
        length = _header(scope, b"content-length")
        if not length.isdigit():
            await _error(411, "上传需要注明大小(Content-Length)。", "Uploads must state their size (Content-Length).")(
                scope, receive, send
            )
            return
        if int(length) > limit:
            web.audit.write("upload_refused", name, reason="size", bytes=int(length))
            mb = web.settings.max_upload_mb
            await _error(
                413,
                f"文件太大:上限 {mb:g} MB(可用 --max-upload-mb 调整)。",
                f"The file is too large: the limit is {mb:g} MB (set with --max-upload-mb).",
            )(scope, receive, send)
            return
        seen = 0

        async def counted() -> dict[str, Any]:
            nonlocal seen
            msg = await receive()
            seen += len(msg.get("body", b""))
            if seen > limit:  # more than it said: stop reading
                return {"type": "http.disconnect"}
            return msg

        chunks: list[bytes] = []
        status = 0

        async def keep(msg: dict[str, Any]) -> None:
            nonlocal status
            if msg["type"] == "http.response.start":
                status = msg["status"]
            elif msg["type"] == "http.response.body":
                chunks.append(msg.get("body", b""))
                if not msg.get("more_body") and status == 200:
                    try:
                        paths = json.loads(b"".join(chunks))
                    except ValueError:
                        paths = []
                    for p in paths if isinstance(paths, list) else []:
                        if isinstance(p, str):
                            web.files.register(p, name, token=token)
                    web.audit.write("upload", name, bytes=seen, files=len(paths) if isinstance(paths, list) else 0)
            await send(msg)

        await self.app(scope, counted, keep)


def _form_value(body: bytes, key: str) -> str:
    values = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).get(key) or [""]
    return values[0]


def add_routes(app: fastapi.FastAPI, web: Web) -> None:
    secure = web.settings.secure

    @app.get("/login")
    @app.get("/login/")
    async def login_get(request: fastapi.Request) -> Response:
        if web.store is None:
            return RedirectResponse("/", status_code=303)
        m = request.query_params.get("m", "")
        msg = REASONS.get(m) if m in ("expired", "revoked") else None
        if m == "out":
            msg = ("您已退出登录。", "You are signed out.")
        return HTMLResponse(login_page(msg))

    @app.post("/login")
    @app.post("/login/")
    async def login_post(request: fastapi.Request) -> Response:
        html = "text/html" in request.headers.get("accept", "")
        client = request.client.host if request.client else "unknown"
        if web.store is None:
            return RedirectResponse("/", status_code=303) if html else JSONResponse({"success": True})
        body = await request.body()
        if len(body) > 8192:
            return _error(413, "登录请求过大。", "The sign-in request is too large.")
        if "multipart/form-data" in request.headers.get("content-type", ""):
            form = await request.form()
            name, password = str(form.get("username") or ""), str(form.get("password") or "")
        else:
            name, password = _form_value(body, "username"), _form_value(body, "password")
        name = name.strip()[:64]
        wait = web.throttle.locked(name, client)
        if wait > 0:
            web.audit.write("sign_in_locked", name, client=client)
            zh, en = locked_message(wait)
            headers = {"Retry-After": str(int(wait) + 1)}
            if html:
                return HTMLResponse(login_page((zh, en)), status_code=429, headers=headers)
            return JSONResponse({"error": en, "zh": zh, "en": en}, status_code=429, headers=headers)
        store = web.store
        users = store.users
        try:
            ok = await anyio.to_thread.run_sync(users.authenticate, name, password[:1024], limiter=HASHING)
        except UserStoreUnavailable as exc:
            web.audit.write("sign_in_refused", name, client=client, reason="user file unavailable")
            if html:
                return HTMLResponse(login_page((exc.zh, exc.en)), status_code=503)
            return _error(503, exc.zh, exc.en)
        if ok is None:
            web.throttle.failed(name, client)
            web.audit.write("sign_in_failed", name, client=client)
            if html:
                return HTMLResponse(login_page(LOGIN_FAILED), status_code=401)
            return _error(401, *LOGIN_FAILED)
        web.throttle.succeeded(name)
        token = store.create(name, client)
        if token is None:  # removed between the hash and now
            return _error(401, *LOGIN_FAILED)
        web.audit.write("sign_in", name, client=client, role=ok.role, rep_id=ok.rep_id)
        resp: Response = RedirectResponse("/", status_code=303) if html else JSONResponse({"success": True})
        resp.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=secure, path="/")
        return resp

    @app.get("/logout")
    @app.get("/logout/")
    @app.post("/logout")
    @app.post("/logout/")
    async def logout(request: fastapi.Request) -> Response:
        token = request.cookies.get(COOKIE)
        if web.store is not None and token:
            gone = web.store.end(token)
            web.files.forget(token=token)
            if gone is not None:
                web.sessions.forget_user(gone.name)
                web.audit.write("sign_out", gone.name, client=gone.client)
        resp = RedirectResponse("/login?m=out", status_code=303)
        resp.delete_cookie(COOKIE, path="/")
        return resp


def auth_dependency(web: Web) -> Callable[[fastapi.Request], str | None]:
    def user(request: fastapi.Request) -> str | None:
        if web.store is None:
            return None
        check = web.store.check(request.cookies.get(COOKIE), touch=False)
        return check.who.name if check.who else None

    return user


def create_app(web: Web) -> fastapi.FastAPI:
    import gradio as gr

    from assistant.web.ui import build

    demo = build(web)
    demo.queue(default_concurrency_limit=4)
    app = fastapi.FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    add_routes(app, web)
    app = gr.mount_gradio_app(
        app,
        demo,
        path="/",
        auth_dependency=auth_dependency(web) if web.store is not None else None,
        footer_links=["api"],
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        enable_monitoring=False,
        max_file_size=upload_limit_bytes(web.settings),
        allowed_paths=[],
        css=Path(__file__).with_name("page.css").read_text(encoding="utf-8"),
        js=Path(__file__).with_name("page.js").read_text(encoding="utf-8"),
        # Local fonts only: the default theme fetches Google Fonts, an outbound request from every browser.
        theme=gr.themes.Default(
            font=["system-ui", "Noto Sans CJK SC", "sans-serif"], font_mono=["ui-monospace", "monospace"]
        ),
    )
    app.add_middleware(Guard, web=web)
    return app


def serve(web: Web) -> None:
    import uvicorn

    app = create_app(web)
    s = web.settings
    uvicorn.run(
        app,
        host=s.host,
        port=s.port,
        ssl_certfile=s.ssl_certfile,
        ssl_keyfile=s.ssl_keyfile,
        log_level="warning",
        timeout_graceful_shutdown=3,
    )
