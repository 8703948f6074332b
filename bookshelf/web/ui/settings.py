"""The Settings page: run-time preferences, service credentials, device setup steps and API keys."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bookshelf.errors import BookshelfError, Forbidden, InvalidInput, NotFound
from bookshelf.services.access.credentials import SERVER_SERVICES, md5_hex
from bookshelf.services.preferences import FIELDS
from bookshelf.web.http import path_uuid
from bookshelf.web.ui.render import current_account, form, page, redirect, render, runtime, ui_endpoint

SERVICES = (
    ("opds", "OPDS catalogue", "password"),
    ("kosync", "KOReader sync", "password"),
    ("hardcover", "Hardcover", "token"),
    ("google_books", "Google Books", "apiKey"),
)
SECRET_FIELD = {name: kind for name, _, kind in SERVICES}


def _base_url(request: Request) -> str:
    # Built from what the browser used to reach us (and trusted proxy headers), so it is right for the LAN.
    root = request.scope.get("root_path", "")
    return f"{request.url.scheme}://{request.url.netloc}{root}"


async def _render(request: Request, status: int = 200, **extra: Any) -> Response:
    rt = runtime(request)
    values = await rt.preferences.public()  # shown to an admin only (the template decides)
    account = current_account(request)
    services = _services(request)
    credentials = {name: await rt.credentials.status(account.id, name) for name, _, _ in services}
    return render(
        request,
        "settings.html",
        status=status,
        title="Settings",
        active="settings",
        values=values,
        fields=FIELDS,
        services=services,
        credentials=credentials,
        keys=await rt.keys.list(account.id),
        account=account,
        users=await rt.accounts.list() if account.is_admin else [],
        own_key=request.state.session.key_id,
        base_url=_base_url(request),
        **extra,
    )


@page
async def settings_page(request: Request) -> Response:
    return await _render(request, flash=request.query_params.get("saved") and "Saved.")


def _typed(raw: str, like: Any, name: str) -> Any:
    """A form string as the type the setting holds now."""
    if isinstance(like, bool):
        return raw == "on"
    if isinstance(like, list):
        return [part.strip() for part in raw.split(",") if part.strip()]
    if isinstance(like, int) or isinstance(like, float):
        try:
            number = float(raw)
        except ValueError:
            raise InvalidInput("Invalid settings", details=[{"field": name, "message": "must be a number"}]) from None
        return int(number) if isinstance(like, int) and number.is_integer() else number
    return raw


def preference_changes(submitted: dict[str, str], current: dict[str, Any]) -> dict[str, Any]:
    """Only the fields the form showed (each has a hidden ``present:<name>`` marker), typed like their values."""
    changes: dict[str, Any] = {}
    for name in FIELDS:
        value = current.get(name)
        if isinstance(value, dict):
            sub = {
                key: _typed(submitted.get(f"{name}.{key}", ""), like, f"{name}.{key}")
                for key, like in value.items()
                if f"present:{name}.{key}" in submitted
            }
            if sub:
                changes[name] = sub
        elif f"present:{name}" in submitted:
            changes[name] = _typed(submitted.get(name, ""), value, name)
    return changes


@page
async def save_preferences(request: Request) -> Response:
    rt = runtime(request)
    try:
        await rt.preferences.patch(preference_changes(form(request), await rt.preferences.values()))
    except InvalidInput as exc:
        return await _render(request, 400, problems={d["field"]: d["message"] for d in exc.details or []})
    return redirect("/settings?saved=1#preferences")


def _services(request: Request) -> tuple[tuple[str, str, str], ...]:
    """The credentials this account sets: its own, plus the server-wide ones for an admin."""
    if current_account(request).is_admin:
        return SERVICES
    return tuple(entry for entry in SERVICES if entry[0] not in SERVER_SERVICES)


def _service(request: Request) -> str:
    name: str = request.path_params["service"]
    if name not in SECRET_FIELD:
        raise NotFound("Unknown service")
    if name in SERVER_SERVICES and not current_account(request).is_admin:
        raise Forbidden("Server-wide credentials are an admin's")
    return name


@page
async def save_credential(request: Request) -> Response:
    service = _service(request)
    submitted = form(request)
    kind = SECRET_FIELD[service]
    payload = {kind: submitted.get(kind, "")}
    if kind == "password":
        payload["username"] = submitted.get("username", "")
    try:
        await runtime(request).credentials.set(current_account(request).id, service, payload)
    except BookshelfError as exc:
        return await _render(request, exc.status, credential_error={service: exc.message})
    return redirect(f"/settings?saved=1#cred-{service}")


@page
async def delete_credential(request: Request) -> Response:
    service = _service(request)
    try:
        await runtime(request).credentials.delete(current_account(request).id, service)
    except BookshelfError as exc:
        return await _render(request, exc.status, credential_error={service: exc.message})
    return redirect(f"/settings?saved=1#cred-{service}")


@page
async def test_credential(request: Request) -> Response:
    """Check a user name and password the way a device would present them."""
    service = _service(request)
    if SECRET_FIELD[service] != "password":
        raise NotFound("Only OPDS and KOReader credentials can be tested here")
    submitted = form(request)
    password = submitted.get("password", "")
    if service == "kosync":
        password = md5_hex(password)  # KOReader sends the MD5 of the password
    owner = await runtime(request).credentials.verify_password(service, submitted.get("username", ""), password)
    good = owner == current_account(request).id  # another account's device credentials do not "work" here
    message = "These credentials work." if good else "These credentials do not match."
    return await _render(request, 200 if good else 400, credential_test={service: (good, message)})


@page
async def create_user(request: Request) -> Response:
    submitted = form(request)
    payload = {
        "username": submitted.get("username", ""),
        "password": submitted.get("password", ""),
        "role": submitted.get("role", "reader"),
        "canUpload": submitted.get("canUpload") == "on",
    }
    try:
        created = await runtime(request).accounts.create(payload)
    except BookshelfError as exc:
        return await _render(request, exc.status, user_error=exc.message)
    return await _render(request, 201, user_created=created.username)


@page
async def delete_user(request: Request) -> Response:
    try:
        await runtime(request).accounts.delete(path_uuid(request), current_account(request))
    except BookshelfError as exc:
        return await _render(request, exc.status, user_error=exc.message)
    return redirect("/settings?saved=1#accounts")


@page
async def create_key(request: Request) -> Response:
    try:
        key, raw = await runtime(request).keys.create(form(request).get("label"), current_account(request).id)
    except InvalidInput as exc:
        return await _render(request, 400, key_error=exc.message)
    return await _render(request, 201, new_key=raw, new_key_label=key.label)


@page
async def delete_key(request: Request) -> Response:
    key_id = path_uuid(request)
    try:
        account = current_account(request)
        await runtime(request).keys.delete(key_id, request.state.session.key_id, account.id)
    except BookshelfError as exc:
        return await _render(request, exc.status, key_error=exc.message)
    return redirect("/settings?saved=1#keys")


ENDPOINTS = [
    ui_endpoint("GET", "/settings", settings_page, "Settings"),
    ui_endpoint("POST", "/settings/preferences", save_preferences, "Save preferences"),
    ui_endpoint("POST", "/settings/users", create_user, "Create an account", admin=True),
    ui_endpoint("POST", "/settings/users/{id}/delete", delete_user, "Delete an account", admin=True),
    ui_endpoint("POST", "/settings/keys", create_key, "Create an API key"),
    ui_endpoint("POST", "/settings/keys/{id}/delete", delete_key, "Revoke an API key"),
    ui_endpoint("POST", "/settings/credentials/{service}", save_credential, "Save a credential"),
    ui_endpoint("POST", "/settings/credentials/{service}/delete", delete_credential, "Delete a credential"),
    ui_endpoint("POST", "/settings/credentials/{service}/test", test_credential, "Test a credential"),
]
