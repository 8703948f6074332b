"""A data folder made by the release before accounts opens with everything on its first admin."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from pathlib import Path

import bcrypt
import httpx

from bookshelf.db.connection import connect_sync
from bookshelf.db.migrate import applied, available
from bookshelf.runtime import Runtime
from bookshelf.services.access.secrets_box import SealBox, load_or_create_key
from bookshelf.web.app import create_app
from tests.conftest import make_settings
from tests.reading.helpers import koreader_headers

OLD_KEY = "bks_" + "k" * 43
DOC = "a1" * 16
BOOK = "11111111-2222-4333-8444-555555555555"


def old_release_folder(root: Path) -> None:
    """Migrations 0001-0010 only, then rows written the way that release wrote them."""
    settings = make_settings(root)
    settings.data_dir.mkdir(parents=True)
    conn = connect_sync(settings.db_path)
    applied(conn)
    for version, name, sql in available():
        if version <= 10:
            conn.executescript(
                f"BEGIN IMMEDIATE;\n{sql}\n;INSERT INTO schema_migrations VALUES ({version}, '{name}', 'x');\nCOMMIT;"
            )
    box = SealBox(load_or_create_key(settings.secret_key_path))
    now, at = "2026-01-01T00:00:00Z", int(time.time()) - 3600
    rows: list[tuple[str, tuple]] = [
        ("INSERT INTO api_keys (id, label, key_hash, created_at) VALUES (?, ?, ?, ?)",
         ("9" * 8 + "-0000-4000-8000-" + "0" * 12, "old", hashlib.sha256(OLD_KEY.encode()).hexdigest(), now)),
        ("INSERT INTO credentials VALUES ('opds', 'oldopds', ?, ?, ?)",
         (bcrypt.hashpw(b"opds pw", bcrypt.gensalt(4)), now, now)),
        ("INSERT INTO credentials VALUES ('kosync', 'oldkobo', ?, ?, ?)",
         (bcrypt.hashpw(hashlib.md5(b"kobo pw").hexdigest().encode(), bcrypt.gensalt(4)), now, now)),
        ("INSERT INTO credentials VALUES ('hardcover', NULL, ?, ?, ?)", (box.seal("old-hc-token"), now, now)),
        ("INSERT INTO credentials VALUES ('google_books', NULL, ?, ?, ?)", (box.seal("old-gb-key"), now, now)),
        ("INSERT INTO books (id, status, title, created_at, updated_at) VALUES (?, 'organized', 'Old Book', ?, ?)",
         (BOOK, now, now)),
        ("INSERT INTO files (id, book_id, format, root, path, filename, size, sha256, koreader_hash, added_at) "
         "VALUES ('f1', ?, 'epub', 'library', 'a/b.epub', 'b.epub', 1, 's', ?, ?)", (BOOK, DOC, now)),
        ("INSERT INTO file_hashes VALUES ('f1', 'koreader', ?, ?)", (DOC, now)),
        ("INSERT INTO progress (document, device_id, device, percentage, progress, timestamp, has_device_id) "
         "VALUES (?, 'OLDDEV', 'Old Kobo', 0.97, '12', ?, 1)", (DOC, at)),
        ("INSERT INTO reading_history (document, device_id, device, percentage, progress, timestamp) "
         "VALUES (?, 'OLDDEV', 'Old Kobo', 0.97, '12', ?)", (DOC, at)),
        ("INSERT INTO reading_state VALUES (?, 0.97, ?, ?, ?, NULL, ?)", (BOOK, at, at - 86400, at, now)),
        ("INSERT INTO reading_finishes (book_id, started_at, finished_at) VALUES (?, ?, ?)", (BOOK, at - 86400, at)),
        ("INSERT INTO reading_activity VALUES (?, 300, 0.5, 3)", (at // 900 * 900,)),
        ("INSERT INTO hardcover_log (book_id, hardcover_book_id, action, status, message, last_synced_at) "
         "VALUES (?, 7, 'push', 'ok', 'old push', ?)", (BOOK, now)),
    ]  # fmt: skip
    for sql, params in rows:
        conn.execute(sql, params)
    conn.close()


async def test_old_folder_belongs_to_its_first_admin(tmp_path: Path) -> None:
    old_release_folder(tmp_path)
    settings = make_settings(tmp_path)
    rt = await Runtime.open(settings, background=False)
    try:
        transport = httpx.ASGITransport(app=create_app(settings, rt))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            key = {"Authorization": f"Bearer {OLD_KEY}"}
            me = await http.get("/api/me", headers=key)  # the old key still works, as the admin
            assert me.status_code == 200 and me.json()["role"] == "admin" and me.json()["username"] == "admin"
            assert (await http.post("/api/auth/setup", json={})).status_code == 409
            pulled = await http.get(f"/kosync/syncs/progress/{DOC}", headers=koreader_headers("oldkobo", "kobo pw"))
            assert pulled.json()["percentage"] == 0.97 and pulled.json()["device"] == "Old Kobo"
            progress = (await http.get(f"/api/library/{BOOK}/progress", headers=key)).json()
            assert progress["readingStatus"] == "finished" and progress["devices"][0]["deviceId"] == "OLDDEV"
            stats = (await http.get("/api/stats", headers=key)).json()
            assert stats["booksFinished"]["total"] == 1 and sum(d["minutes"] for d in stats["dailyActivity"]) == 5
            assert (await http.get("/opds", auth=("oldopds", "opds pw"))).status_code == 200
            for service in ("opds", "kosync", "hardcover", "google_books"):
                assert (await http.get(f"/api/credentials/{service}", headers=key)).json()["configured"], service
            log = (await http.get("/api/hardcover/sync/log", headers=key)).json()
            assert [entry["message"] for entry in log] == ["old push"]
        admin = await rt.accounts.first_admin_id()
        assert await rt.credentials.secret("hardcover", admin) == "old-hc-token"
        assert await rt.credentials.secret("google_books") == "old-gb-key"
        # The migrated position is on the admin's account, once.
        raw = sqlite3.connect(settings.db_path)
        assert raw.execute("SELECT count(*) FROM progress WHERE user_id = ?", (admin,)).fetchone()[0] == 1
        raw.close()
    finally:
        await rt.close()
