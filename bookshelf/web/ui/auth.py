"""First-run setup, sign-in and sign-out pages."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bookshelf.errors import Conflict, InvalidInput, Unauthorized
from bookshelf.services.access.sessions import COOKIE, CSRF_COOKIE, LIFETIME
from bookshelf.web.ui.render import (
    page,
    read_form,
    redirect,
    render,
    runtime,
    safe_next,
    secure_cookies,
)
from bookshelf.web.ui.render import (
    ui_endpoint as _ui,
)


def _set_session(response: Response, request: Request, cookie: str) -> None:
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=int(LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/",
    )
    response.delete_cookie(CSRF_COOKIE, path="/")


def _with_form_token(request: Request, template: str, status: int = 200, **context: object) -> Response:
    """A pre-sign-in form: the token goes in a cookie and in the form (double submit)."""
    token = runtime(request).sessions.new_form_token()
    response = render(request, template, status=status, form_token=token, **context)
    response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure_cookies(request), path="/")
    return response


async def _check_form_token(request: Request) -> dict[str, str]:
    form = await read_form(request)
    if not runtime(request).sessions.form_token_valid(request.cookies.get(CSRF_COOKIE), form.get("csrf")):
        raise InvalidInput("This form has expired; reload the page and try again")
    return form


async def setup_page(request: Request) -> Response:
    if await runtime(request).keys.count() > 0:
        return redirect("/signin")
    return _with_form_token(request, "setup.html", title="Set up")


async def setup_submit(request: Request) -> Response:
    form = await _check_form_token(request)
    rt = runtime(request)
    try:
        key, raw = await rt.keys.setup(form.get("label") or "default", form.get("username") or None)
    except Conflict:
        return redirect("/signin")
    cookie, session = await rt.sessions.open_for(await rt.accounts.first_admin_id(), key.id)
    request.state.session = session
    response = render(request, "setup.html", status=201, title="Your API key", key=raw)
    _set_session(response, request, cookie)
    return response


async def signin_page(request: Request) -> Response:
    rt = runtime(request)
    if await rt.keys.count() == 0:
        return redirect("/setup")
    if await rt.sessions.from_cookie(request.cookies.get(COOKIE)):
        return redirect(safe_next(request.query_params.get("next")))
    return _with_form_token(request, "signin.html", title="Sign in", next=safe_next(request.query_params.get("next")))


async def signin_submit(request: Request) -> Response:
    form = await _check_form_token(request)
    rt = runtime(request)
    address = request.client.host if request.client else "unknown"
    target = safe_next(form.get("next"))
    wait = rt.auth_limiter.retry_after(address)
    if wait is not None:
        error = f"Too many failed attempts; try again in {wait} seconds."
        return _with_form_token(request, "signin.html", 429, title="Sign in", error=error, next=target)
    username = form.get("username", "").strip()
    try:
        if username:
            cookie, _session = await rt.sessions.sign_in_password(username, form.get("password", ""))
        else:
            cookie, _session = await rt.sessions.sign_in(form.get("key", ""))
    except Unauthorized:
        rt.auth_limiter.fail(address)
        error = "That user name and password do not match." if username else "That API key is not valid."
        return _with_form_token(request, "signin.html", 401, title="Sign in", error=error, next=target)
    response = redirect(target)
    _set_session(response, request, cookie)
    return response


@page
async def signout(request: Request) -> Response:
    await runtime(request).sessions.sign_out(request.state.session)
    response = redirect("/signin")
    response.delete_cookie(COOKIE, path="/")
    return response


ENDPOINTS = [
    _ui("GET", "/setup", setup_page, "First-run setup"),
    _ui("POST", "/setup", setup_submit, "Create the first key"),
    _ui("GET", "/signin", signin_page, "Sign-in form"),
    _ui("POST", "/signin", signin_submit, "Sign in with a user name and password, or an API key"),
    _ui("POST", "/signout", signout, "Sign out"),
]
