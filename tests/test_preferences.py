"""Settings API: full object, validation, persistence."""

from __future__ import annotations

import httpx

from bookshelf.runtime import Runtime
from bookshelf.settings import Settings


async def test_defaults_and_read_only_paths(api: httpx.AsyncClient, settings: Settings) -> None:
    body = (await api.get("/api/settings")).json()
    assert body["organizeTemplate"] == "{author}/{title}"
    assert body["metadataSources"] == ["hardcover", "google_books", "openlibrary"]
    assert body["hardcoverSync"] == {"enabled": False, "intervalMinutes": 60}
    assert body["libraryPath"] == str(settings.library_dir)
    assert body["dataPath"] == str(settings.data_dir)


async def test_patch_validates_and_persists(api: httpx.AsyncClient, settings: Settings) -> None:
    r = await api.patch(
        "/api/settings",
        json={
            "autoApprove": True,
            "hardcoverSync": {"intervalMinutes": 30},
            "organizeTemplate": "{author}/{series}/{title}",
        },
    )
    assert r.status_code == 200
    assert r.json()["hardcoverSync"] == {"enabled": False, "intervalMinutes": 30}
    bad = await api.patch(
        "/api/settings",
        json={
            "nope": 1,
            "finishedThreshold": 3,
            "libraryPath": "/x",
            "organizeTemplate": "{bogus}",
            "timezone": "Mars/Base",
        },
    )
    assert bad.status_code == 400
    fields = {d["field"] for d in bad.json()["error"]["details"]}
    assert fields == {"nope", "finishedThreshold", "libraryPath", "organizeTemplate", "timezone"}
    assert (await api.patch("/api/settings", json=[1])).status_code == 400
    assert (await api.patch("/api/settings", content=b"{not json")).status_code == 400
    # A fresh runtime on the same folder reads the stored values back.
    rt = await Runtime.open(settings, background=False)
    try:
        assert (await rt.preferences.values())["autoApprove"] is True
    finally:
        await rt.close()
