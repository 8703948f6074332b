"""Rendering UI pages: the Jinja environment, the signed-in guard, form parsing and CSRF checks."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from bookshelf import __version__
from bookshelf.errors import InvalidInput, PayloadTooLarge, Unauthorized
from bookshelf.models import Account
from bookshelf.services.access.sessions import COOKIE, Session

TEMPLATES = Path(__file__).parent / "templates"
MAX_FORM_BYTES = 64 * 1024

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "svg"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.globals["version"] = __version__


def _percent(value: float | None) -> str:
    return "" if value is None else f"{round(value * 100)}%"


def _filesize(size: int | None) -> str:
    number = float(size or 0)
    for unit in ("B", "KB", "MB", "GB"):
        if number < 1024:
            return f"{number:.0f} {unit}" if unit == "B" else f"{number:.1f} {unit}"
        number /= 1024
    return f"{number:.1f} TB"


def _thumb(url: str) -> str:
    return url + ("&" if "?" in url else "?") + "size=thumb"


_env.filters.update(percent=_percent, filesize=_filesize, thumb=_thumb)

NAV = (
    ("dashboard", "/", "Dashboard"),
    ("inbox", "/inbox", "Inbox"),
    ("library", "/library", "Library"),
    ("reading", "/reading", "Reading"),
    ("stats", "/stats", "Stats"),
    ("jobs", "/jobs", "Jobs"),
    ("trash", "/trash", "Trash"),
    ("settings", "/settings", "Settings"),
)
_env.globals["nav"] = NAV
_env.globals["admin_nav"] = ("inbox", "jobs", "trash")  # pages a reader account does not see


def runtime(request: Request) -> Any:
    return request.app.state.runtime


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    session: Session | None = getattr(request.state, "session", None)
    context.setdefault("account", request.scope.get("bookshelf.account") if session else None)
    html = _env.get_template(template).render(
        request=request, session=session, csrf=session.csrf if session else "", **context
    )
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def redirect(url: str, status: int = 303) -> RedirectResponse:
    return RedirectResponse(url, status_code=status)


def safe_next(target: str | None) -> str:
    """Only same-site paths, so sign-in can never bounce the user to another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def secure_cookies(request: Request) -> bool:
    return request.url.scheme == "https"


PageHandler = Callable[[Request], Awaitable[Response]]


def page(handler: PageHandler) -> PageHandler:
    """Signed-in pages: first run goes to setup, no session goes to sign-in; POSTs need the CSRF token."""

    @functools.wraps(handler)
    async def guarded(request: Request) -> Response:
        rt = runtime(request)
        session = await rt.sessions.from_cookie(request.cookies.get(COOKIE))
        if session is None:
            if await rt.keys.count() == 0:
                return redirect("/setup")
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return redirect("/signin?next=" + quote(target, safe=""))
        request.state.session = session
        if request.scope.get("bookshelf.account") is None:
            request.scope["bookshelf.account"] = await rt.accounts.get(session.user_id)
        if request.method == "POST":
            form = await read_form(request)
            if form.get("csrf") != session.csrf:
                raise InvalidInput("This form has expired; reload the page and try again")
            request.state.form = form
        return await handler(request)

    return guarded


async def read_form(request: Request) -> dict[str, str]:
    """A small urlencoded form, last value per name; bigger bodies are refused, not buffered."""
    if hasattr(request.state, "form"):
        return form(request)
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_FORM_BYTES:
            raise PayloadTooLarge("Form is too large")
    try:
        parsed = parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput("Form could not be read") from None
    fields = {name: values[-1] for name, values in parsed.items()}
    request.state.form = fields
    return fields


def form(request: Request) -> dict[str, str]:
    parsed: dict[str, str] = request.state.form
    return parsed


def current_account(request: Request) -> Account:
    """The signed-in account of a page (set with its session by web.middleware.ApiAuth)."""
    account: Account | None = request.scope.get("bookshelf.account")
    if account is None:
        raise Unauthorized("Sign in first")
    return account


def ui_endpoint(method: str, path: str, handler: PageHandler, summary: str, admin: bool = False) -> Any:
    """A UI route in the one routing table, kept out of the OpenAPI spec."""
    from bookshelf.web.routing import Endpoint

    return Endpoint(method, path, handler, summary, "ui", auth=False, in_spec=False, admin=admin)
