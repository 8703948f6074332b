"""Settings page forms and the server-drawn stats charts."""

from __future__ import annotations

import re
from datetime import date

import httpx

from bookshelf.web.ui import charts
from tests.ui_helpers import csrf_of, sign_in


async def _signed_in(client: httpx.AsyncClient, key: str) -> str:
    await sign_in(client, key)
    return csrf_of((await client.get("/settings")).text)


async def test_preferences_form_saves_typed_values_and_reports_bad_ones(
    client: httpx.AsyncClient, api_key: str
) -> None:
    token = await _signed_in(client, api_key)
    form = {
        "csrf": token,
        "present:finishedThreshold": "1",
        "finishedThreshold": "0.9",
        "present:autoApprove": "1",
        "autoApprove": "on",
        "present:metadataSources": "1",
        "metadataSources": "openlibrary, hardcover",
        "present:hardcoverSync.intervalMinutes": "1",
        "hardcoverSync.intervalMinutes": "120",
        "present:hardcoverSync.enabled": "1",
    }
    saved = await client.post("/settings/preferences", data=form)
    assert saved.status_code == 303
    body = (await client.get("/api/settings")).json()
    assert body["finishedThreshold"] == 0.9 and body["autoApprove"] is True
    assert body["metadataSources"] == ["openlibrary", "hardcover"]
    assert body["hardcoverSync"] == {"enabled": False, "intervalMinutes": 120}
    bad = await client.post(
        "/settings/preferences", data={"csrf": token, "present:pausedAfterDays": "1", "pausedAfterDays": "-3"}
    )
    assert bad.status_code == 400 and "must be a whole number" in bad.text
    assert (await client.get("/api/settings")).json()["pausedAfterDays"] == 30


async def test_credentials_set_test_delete_never_show_the_secret(client: httpx.AsyncClient, api_key: str) -> None:
    token = await _signed_in(client, api_key)
    secret = "correct horse battery"
    saved = await client.post(
        "/settings/credentials/kosync", data={"csrf": token, "username": "reader", "password": secret}
    )
    assert saved.status_code == 303
    page = (await client.get("/settings")).text
    assert "reader" in page and secret not in page
    good = await client.post(
        "/settings/credentials/kosync/test", data={"csrf": token, "username": "reader", "password": secret}
    )
    assert good.status_code == 200 and "These credentials work." in good.text and secret not in good.text
    wrong = await client.post(
        "/settings/credentials/kosync/test", data={"csrf": token, "username": "reader", "password": "no"}
    )
    assert wrong.status_code == 400 and "do not match" in wrong.text
    await client.post("/settings/credentials/hardcover", data={"csrf": token, "token": "hc-secret-token"})
    assert "hc-secret-token" not in (await client.get("/settings")).text
    assert (await client.get("/api/credentials/hardcover")).json()["configured"] is True
    gone = await client.post("/settings/credentials/kosync/delete", data={"csrf": token})
    assert gone.status_code == 303
    assert (await client.get("/api/credentials/kosync")).json()["configured"] is False
    assert (await client.post("/settings/credentials/nope", data={"csrf": token})).status_code == 404


async def test_api_keys_create_shows_once_and_revoke(client: httpx.AsyncClient, api_key: str) -> None:
    token = await _signed_in(client, api_key)
    created = await client.post("/settings/keys", data={"csrf": token, "label": "backup script"})
    assert created.status_code == 201
    raw = re.search(r'id="new-key"[^>]*value="([^"]+)"', created.text).group(1)
    assert raw not in (await client.get("/settings")).text
    keys = (await client.get("/api/auth/keys")).json()["keys"]
    new_id = next(k["id"] for k in keys if k["label"] == "backup script")
    own_id = next(k["id"] for k in keys if k["label"] == "tests")
    assert (await client.post(f"/settings/keys/{own_id}/delete", data={"csrf": token})).status_code == 409
    assert (await client.post(f"/settings/keys/{new_id}/delete", data={"csrf": token})).status_code == 303
    assert (await client.get("/api/auth/keys", headers={"Authorization": f"Bearer {raw}"})).status_code == 401


def test_month_bars_scale_to_the_busiest_month() -> None:
    bars = charts.month_bars([{"month": "2026-01", "count": 2}, {"month": "2026-02", "count": 4}], height=120)
    assert [b.height for b in bars] == [50.0, 100.0]
    assert bars[0].x < bars[1].x
    assert charts.month_bars([]) == []


def test_heatmap_covers_a_year_ending_today_with_levels() -> None:
    today = date(2026, 11, 27)
    cells = charts.heatmap_cells([{"date": "2026-11-27", "minutes": 60}, {"date": "2026-11-20", "minutes": 5}], today)
    assert cells[-1]["date"] == "2026-11-27" and cells[-1]["level"] == 4
    assert next(c for c in cells if c["date"] == "2026-11-20")["level"] == 1
    assert 365 <= len(cells) <= 371 and date.fromisoformat(cells[0]["date"]).weekday() == 0
    assert all(c["level"] == 0 for c in cells if c["date"] not in ("2026-11-27", "2026-11-20"))
