"""The Trash page: lists what was deleted, restores, deletes forever and empties, behind sign-in and CSRF."""

from __future__ import annotations

import httpx

from bookshelf.runtime import Runtime
from tests.library_books import add_book
from tests.seed import reload
from tests.ui_helpers import csrf_of, sign_in


async def test_trash_page_restores_deletes_and_empties(client: httpx.AsyncClient, api_key: str,
                                                       runtime: Runtime) -> None:  # fmt: skip
    assert (await client.get("/trash")).status_code == 303  # signed out: to sign-in
    await sign_in(client, api_key)
    assert "The trash is empty." in (await client.get("/trash")).text
    books = [await add_book(runtime, f"Trashed <{n}>", ["Ann"]) for n in range(3)]
    for book in books:
        await runtime.removal.delete(book.id, keep_files=False)
    page = await client.get("/trash")
    assert page.status_code == 200 and 'href="/trash" aria-current="page"' in page.text
    assert "Trashed &lt;0&gt;" in page.text and "<0>" not in page.text
    token = csrf_of(page.text)
    entries = (await client.get("/api/trash", headers={"Authorization": f"Bearer {api_key}"})).json()["data"]
    by_book = {e["bookId"]: e["id"] for e in entries}

    assert (await client.post(f"/trash/{by_book[books[0].id]}/restore", data={"csrf": "wrong"})).status_code == 400
    restored = await client.post(f"/trash/{by_book[books[0].id]}/restore", data={"csrf": token})
    assert restored.status_code == 303
    assert (await reload(runtime, books[0].id)).status == "organized"
    again = await client.post(f"/trash/{by_book[books[0].id]}/restore", data={"csrf": token})
    assert again.status_code == 404 and "not found" in again.text.lower()

    gone = await client.post(f"/trash/{by_book[books[1].id]}/delete", data={"csrf": token})
    assert gone.status_code == 303
    assert not (runtime.settings.trash_dir / by_book[books[1].id]).exists()
    assert (await client.post("/trash/empty", data={"csrf": token})).status_code == 303
    assert "The trash is empty." in (await client.get("/trash")).text
