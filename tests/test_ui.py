"""The web UI through the real app: setup, sessions, CSRF, every page, headers and no external URLs."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import httpx

from bookshelf.runtime import Runtime
from tests.ui_helpers import csrf_of, setup_via_ui, sign_in

PAGES = [
    "/",
    "/inbox",
    "/library",
    "/reading",
    "/stats",
    "/jobs",
    "/settings",
]
UNKNOWN_BOOK = "8d2f1a4e-3c55-4d8e-9c1e-0a7b6f2d9e11"


async def test_first_run_redirects_to_setup_which_shows_the_key_once_and_signs_in(client: httpx.AsyncClient) -> None:
    first = await client.get("/")
    assert first.status_code == 303 and first.headers["location"] == "/setup"
    key = await setup_via_ui(client)
    assert key.startswith("bks_")
    assert "bookshelf_session" in client.cookies
    home = await client.get("/")
    assert home.status_code == 200 and "Dashboard" in home.text
    assert key not in home.text
    # Setup is over: the page now sends people to sign in, and a second POST makes no key.
    client.cookies.clear()
    again = await client.get("/setup")
    assert again.status_code == 303 and again.headers["location"] == "/signin"
    me = await client.get("/api/auth/keys", headers={"Authorization": f"Bearer {key}"})
    assert len(me.json()["keys"]) == 1


async def test_session_cookie_flags_and_api_access(client: httpx.AsyncClient) -> None:
    page = await client.get("/setup")
    response = await client.post("/setup", data={"csrf": csrf_of(page.text), "label": "me"})
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    keys = await client.get("/api/auth/keys")  # the session works for the JSON API
    assert keys.status_code == 200


async def test_secure_cookie_over_https(settings, runtime: Runtime) -> None:
    from bookshelf.web.app import create_app

    transport = httpx.ASGITransport(app=create_app(settings, runtime))
    async with httpx.AsyncClient(transport=transport, base_url="https://bookshelf.example") as http:
        page = await http.get("/setup")
        response = await http.post("/setup", data={"csrf": csrf_of(page.text), "label": "me"})
        assert "secure" in response.headers["set-cookie"].lower()


async def test_sign_in_wrong_key_then_right_key_then_sign_out(client: httpx.AsyncClient, api_key: str) -> None:
    assert (await client.get("/library")).headers["location"] == "/signin?next=%2Flibrary"
    wrong = await sign_in(client, "bks_not-a-key")
    assert wrong.status_code == 401 and "not valid" in wrong.text
    assert "bookshelf_session" not in client.cookies
    right = await sign_in(client, api_key)
    assert right.status_code == 303 and right.headers["location"] == "/"
    page = await client.get("/settings")
    assert page.status_code == 200
    out = await client.post("/signout", data={"csrf": csrf_of(page.text)})
    assert out.status_code == 303
    assert (await client.get("/settings")).status_code == 303
    assert (await client.get("/api/auth/keys")).status_code == 401


async def test_sign_in_never_redirects_off_site(client: httpx.AsyncClient, api_key: str) -> None:
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        client.cookies.clear()
        page = await client.get("/signin")
        response = await client.post("/signin", data={"csrf": csrf_of(page.text), "key": api_key, "next": target})
        assert response.headers["location"] == "/"


async def test_csrf_rejections(client: httpx.AsyncClient, api_key: str) -> None:
    # Pre-sign-in forms: the double-submit token must match its cookie.
    forged = await client.post("/signin", data={"csrf": "forged", "key": api_key})
    assert forged.status_code == 400 and "bookshelf_session" not in client.cookies
    await sign_in(client, api_key)
    # Signed-in forms need the session's token.
    no_token = await client.post("/settings/keys", data={"label": "sneaky"})
    assert no_token.status_code == 400
    assert "sneaky" not in (await client.get("/settings")).text
    # The JSON API through the cookie needs X-CSRF-Token on unsafe methods, not on reads.
    blocked = await client.post("/api/auth/keys", json={"label": "sneaky"})
    assert blocked.status_code == 401 and "X-CSRF-Token" in blocked.json()["error"]["message"]
    token = csrf_of((await client.get("/settings")).text)
    allowed = await client.post("/api/auth/keys", json={"label": "fine"}, headers={"X-CSRF-Token": token})
    assert allowed.status_code == 201
    wrong = await client.post("/api/auth/keys", json={"label": "x"}, headers={"X-CSRF-Token": token + "x"})
    assert wrong.status_code == 401


async def test_deleting_a_key_ends_its_sessions(client: httpx.AsyncClient, api_key: str) -> None:
    other = await client.post("/api/auth/keys", json={"label": "phone"}, headers={"Authorization": f"Bearer {api_key}"})
    other_key, other_id = other.json()["key"], other.json()["id"]
    await sign_in(client, other_key)
    assert (await client.get("/library")).status_code == 200
    deleted = await client.delete(f"/api/auth/keys/{other_id}", headers={"Authorization": f"Bearer {api_key}"})
    assert deleted.status_code == 200
    assert (await client.get("/library")).status_code == 303
    assert (await client.get("/api/auth/keys")).status_code == 401


async def test_sessions_survive_a_restart_and_forged_cookies_do_not_work(settings, client, api_key) -> None:
    await sign_in(client, api_key)
    cookie = client.cookies["bookshelf_session"]
    rt2 = await Runtime.open(settings, background=False)
    try:
        assert await rt2.sessions.from_cookie(cookie) is not None  # stored, not only in memory
        token, _, mac = cookie.rpartition(".")
        assert await rt2.sessions.from_cookie(f"{token}.{'0' * len(mac)}") is None
        assert await rt2.sessions.from_cookie("garbage") is None
        assert await rt2.sessions.from_cookie("é.é") is None
    finally:
        await rt2.close()
    assert oct((settings.data_dir / "session.key").stat().st_mode & 0o777) == "0o600"


async def test_every_page_renders_signed_in_and_redirects_otherwise(client: httpx.AsyncClient, api_key: str) -> None:
    for path in PAGES:
        response = await client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/signin?next="), path
    await sign_in(client, api_key)
    for path in PAGES:
        response = await client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        assert response.headers["content-type"].startswith("text/html")
        assert '<a class="skip" href="#main">' in response.text
        assert 'name="csrf-token"' in response.text
    for path in (f"/books/{UNKNOWN_BOOK}", f"/review/{UNKNOWN_BOOK}"):
        response = await client.get(path)
        assert response.status_code == 404 and "<h1>Not found</h1>" in response.text, path


async def test_security_headers_on_pages_redirects_errors_and_static(client: httpx.AsyncClient, api_key: str) -> None:
    await sign_in(client, api_key)
    for path in ("/", "/settings", "/nowhere", "/static/app.js", "/signin"):
        response = await client.get(path)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp, path
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
    assert "content-security-policy" not in (await client.get("/api/health")).headers


async def test_ui_errors_are_html_pages(client: httpx.AsyncClient, api_key: str) -> None:
    await sign_in(client, api_key)
    missing = await client.get("/no/such/page")
    assert missing.status_code == 404 and "<h1>Not found</h1>" in missing.text
    bad = await client.get("/books/not-a-uuid")
    assert bad.status_code == 400 and "<!doctype html>" in bad.text
    api_missing = await client.get("/api/nothing-here")
    assert api_missing.headers["content-type"].startswith("application/json")


async def test_no_page_references_another_host_or_inline_script(client: httpx.AsyncClient, api_key: str) -> None:
    await sign_in(client, api_key)
    hosts = set()
    for path in [*PAGES, "/signin"]:
        html = (await client.get(path)).text
        hosts |= {urlparse(u).netloc for u in re.findall(r"https?://[^\s\"'<>]+", html)}
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert " on" not in re.sub(r"\s+", " ", " ".join(re.findall(r"<[^>]+>", html))).replace(" one", ""), path
        assert "style=" not in html, path
    assert hosts <= {"testserver"}, hosts
    for name in ("app.js", "lib.js", "library.js", "inbox.js", "review.js", "book.js", "ui.css"):
        text = (await client.get(f"/static/{name}")).text
        assert not re.search(r"https?://", text), name


async def test_settings_page_shows_device_urls_from_the_request_host(client: httpx.AsyncClient, api_key: str) -> None:
    await sign_in(client, api_key)
    html = (await client.get("/settings", headers={"Host": "nas.local:8080"})).text
    assert "http://nas.local:8080/kosync" in html and "http://nas.local:8080/opds" in html
    assert "finishedThreshold" in html and "Progress (0..1) at which a book counts as finished." in html
