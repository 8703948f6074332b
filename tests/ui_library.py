"""A real-looking library for the browser tests and the README screenshots, uploaded through the API.

Public-domain classics with painted covers, a series of two with the same title stem (one EPUB,
one PDF, both without a cover, so they show generated covers), and a few books left in review.
"""

from __future__ import annotations

import io
from pathlib import Path

import httpx

from tests.builders import make_epub, make_pdf
from tests.ui_browser import wait_for

# title, author, series, number, format, cover colour (None: no cover, a generated one), left in review
BOOKS: list[tuple[str, str, str | None, float | None, str, tuple[int, int, int] | None, bool]] = [
    ("Pride and Prejudice", "Jane Austen", None, None, "epub", (120, 40, 60), False),
    ("Moby-Dick", "Herman Melville", None, None, "epub", (20, 60, 110), False),
    ("Middlemarch", "George Eliot", None, None, "epub", (70, 100, 50), False),
    ("The Time Machine", "H. G. Wells", None, None, "epub", (150, 100, 20), False),
    ("The Lantern Road", "Mara Ellison", "The Lantern Cycle", 1, "epub", None, False),
    ("The Lantern Road", "Mara Ellison", "The Lantern Cycle", 2, "epub", None, False),
    ("A Modest Proposal", "Jonathan Swift", None, None, "pdf", None, False),
    ("Frankenstein", "Mary Shelley", None, None, "epub", (40, 40, 50), False),
    ("Little Women", "Louisa May Alcott", None, None, "epub", None, False),
    ("Dracula", "Bram Stoker", None, None, "epub", (110, 20, 25), True),
    ("The Secret Garden", "Frances Hodgson Burnett", None, None, "epub", None, True),
]
CATALOGUE = [
    {"title": "Dracula", "authors": ["Bram Stoker"], "isbn13": "9780141439846", "year": 1897, "pages": 488,
     "cover_id": 8101, "publisher": "Archibald Constable", "description": "Jonathan Harker travels to Transylvania."},
    {"title": "The Secret Garden", "authors": ["Frances Hodgson Burnett"], "year": 1911, "pages": 331,
     "cover_id": 8102, "publisher": "Frederick A. Stokes", "description": "Mary Lennox finds a locked garden."},
]  # fmt: skip


def painted_cover(title: str, author: str, color: tuple[int, int, int]) -> bytes:
    """A cover that looks printed: a gradient, a sun and the title, unlike the generated placeholders."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (400, 600), color)
    draw = ImageDraw.Draw(img)
    for y in range(600):
        shade = tuple(min(255, int(c + (255 - c) * y / 900)) for c in color)
        draw.line((0, y, 400, y), fill=shade)
    draw.ellipse((90, 210, 310, 430), fill=tuple(min(255, c + 90) for c in color))
    big, small = ImageFont.load_default(size=40), ImageFont.load_default(size=24)
    draw.multiline_text((200, 60), title.replace(" ", "\n", 1) if len(title) > 14 else title, font=big,
                        fill=(255, 255, 255), anchor="ma", align="center")  # fmt: skip
    draw.text((200, 520), author.upper(), font=small, fill=(255, 255, 255), anchor="ma")
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def write_books(folder: Path) -> list[tuple[Path, bool]]:
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for n, (title, author, series, number, fmt, color, review) in enumerate(BOOKS):
        path = folder / f"{n:02d}-{title.lower().replace(' ', '-')}.{fmt}"
        if fmt == "pdf":
            make_pdf(path, title=title, author=author, pages=4, text=f"{title}, by {author}")
        else:
            isbn = next((c.get("isbn13") for c in CATALOGUE if c["title"] == title), None)
            make_epub(path, title=title, authors=[author], series=series, series_index=number, isbn=isbn,
                      description=f"{title}, by {author}.", body_bytes=3000,
                      cover=painted_cover(title, author, color) if color else None)  # fmt: skip
        made.append((path, review))
    return made


def idle(client: httpx.Client) -> bool:
    queues = client.get("/api/jobs/status").json()["queues"]
    return all(q["waiting"] == 0 and q["active"] == 0 for q in queues.values())


def fill_library(client: httpx.Client, folder: Path) -> dict[str, str]:
    """Upload every book, approve all but the review ones; title (+ #n) -> book id."""
    ids: dict[str, str] = {}
    keep_in_review: set[str] = set()
    for path, review in write_books(folder):
        response = client.post("/api/inbox/upload", files={"file": (path.name, path.read_bytes())})
        assert response.status_code == 201, response.text
        book_id = response.json()["uploaded"][0]["bookId"]
        ids[path.stem] = book_id
        if review:
            keep_in_review.add(book_id)
    wait_for(lambda: idle(client) and all(b["status"] == "review" for b in client.get(
        "/api/inbox?limit=100").json()["data"]), "every upload read and looked up")  # fmt: skip
    approve = [i for i in ids.values() if i not in keep_in_review]
    results = client.post("/api/books/approve", json={"bookIds": approve, "rule": "file_first"}).json()["results"]
    assert {r["status"] for r in results} == {"approved"}, results
    wait_for(lambda: idle(client), "organizing")
    return ids
