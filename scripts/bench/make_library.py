"""Fill a data folder with N realistic organized books, straight into the database.

    python scripts/bench/make_library.py 100000 /tmp/bench-data

Titles, authors (accented ones included), series, genres, languages and
descriptions come from word lists with a fixed seed, so the same N gives the
same library. Every book gets one EPUB file row; the bytes are one small real
EPUB hard-linked under a distinct name per book, so downloads work.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bookshelf.db.books import author_sort_name, fold, sort_title  # noqa: E402
from bookshelf.db.connection import connect_sync  # noqa: E402
from bookshelf.db.migrate import apply_pending  # noqa: E402
from tests.library_books import koreader_hash, minimal_epub  # noqa: E402

SEED = 20261127
FIRST = (
    "Anna Charlotte Emily Fyodor Gabriel Ursula Leo Jane Mary Virginia George Italo Jorge Haruki Toni Octavia "
    "Isaac Arthur Agatha Terry Neil Margaret Kazuo Chimamanda Orhan Elena Umberto Hermann Thomas Franz Selma "
    "Astrid Tove Sigrid Knut Halldór Søren Jean Émile Honoré Gustave Victor Albert Simone Marguerite José "
    "Miguel Isabel Gabriela Pablo Roberto Julio Mario Clarice Machado Nikolai Anton Ivan Mikhail Vladimir "
    "Boris Yevgeny Stanisław Wisława Czesław Milan Bohumil Karel Jaroslav Ismail Nâzım Naguib Ngũgĩ Wole "
    "Chinua Ama Yaa Ocean Ted Sally Ray Philip Kurt Joan Cormac Donna Louise Ali Zadie Hilary Ian Julian"
).split()
LAST = (
    "Brontë Dostoyevsky Tolstoy Chekhov Turgenev Gogol Pushkin Nabokov Bulgakov Pasternak Le_Guin Butler "
    "Asimov Clarke Christie Pratchett Gaiman Atwood Ishiguro Adichie Pamuk Ferrante Eco Hesse Mann Kafka "
    "Lagerlöf Lindgren Jansson Undset Hamsun Laxness Kierkegaard Verne Zola Balzac Flaubert Hugo Camus "
    "Beauvoir Duras Saramago Cervantes Allende Mistral Neruda Bolaño Cortázar Vargas_Llosa Lispector "
    "García_Márquez Borges Calvino Murakami Morrison Woolf Austen Eliot Orwell Dickens Lem Szymborska "
    "Miłosz Kundera Hrabal Čapek Hašek Kadare Hikmet Mahfouz wa_Thiong'o Soyinka Achebe Aidoo Gyasi Vuong "
    "Chiang Rooney Didion McCarthy Tartt Erdrich Shafak Smith Mantel McEwan Barnes Žižek Müller Böll Grass "
    "Schäfer Høeg Nesbø Mankell Larsson Östlund Ó_Faoláin Ní_Dhuibhne Đặng Nguyễn Sørensen Ørsted"
).split()
ADJ = (
    "Silent Hidden Last Broken Golden Crimson Silver Forgotten Endless Burning Frozen Quiet Wild Distant "
    "Lost Bright Dark Hollow Sacred Secret Shattered Wandering Winter Summer Autumn Midnight Iron Glass "
    "Paper Velvet Stone Emerald Scarlet Little Great Ancient Final Restless Strange Gentle Bitter Sweet"
).split()
NOUN = (
    "River Kingdom Garden House Shadow Mountain Ocean Empire Crown Sword Letter Window Island Forest City "
    "Station Library Orchard Lighthouse Harbour Bridge Mirror Clock Dream Memory Storm Fire Rain Star Moon "
    "Sun Road Door Heart Song Bird Wolf Fox Tiger Dragon Witch Queen King Daughter Son Mother Father Sister "
    "Brother Stranger Traveller Thief Soldier Doctor Widow Orphan Prophet Archive Cartographer Alchemist"
).split()
PLACE = (
    "Prague Kyiv Lisbon Kraków Reykjavík Zürich Córdoba Tromsø Dubrovnik Samarkand Petersburg Macondo "
    "Earthsea Gormenghast Ankh-Morpork Trantor Arrakis Narnia Avalon Byzantium Carthage Alexandria"
).split()
GENRES = (
    "Science Fiction|Fantasy|Mystery|Thriller|Romance|Historical Fiction|Literary Fiction|Horror|Biography|"
    "History|Philosophy|Poetry|Classics|Young Adult|Children|Graphic Novels|Travel|Science|Essays|Crime|"
    "Adventure|Humor|Memoir|Politics|Psychology|Religion|Art|Cooking|Economics|Short Stories"
).split("|")
LANGUAGES = ["en"] * 12 + ["de", "fr", "es", "it", "ru", "pt", "nl", "sv", "pl", "ja"]
COMMON = (
    "the a of and to in is was he she it that for on with as his her they at by from this had not but what "
    "all were when we there can an your which their said if do will each about how up out them then many "
    "some so these would other into has more two like him time see no could people my than first been who "
    "its now find long down day did get come made may part over new sound take only little work know place "
    "year live back give most very after thing our just name good sentence man think say great where help "
    "through much before line right too mean old any same tell boy follow came want show also around form "
    "three small set put end does another well large must big even such because turn here why ask went men "
    "read need land different home us move try kind hand picture again change off play spell air away animal "
    "house point page letter mother answer found study still learn should world high every near add food "
    "between own below country plant last school father keep tree never start city earth eye light thought "
    "head under story saw left few while along might close something seem next hard open example begin life "
    "always those both paper together got group often run important until children side feet car mile night "
    "walk white sea began grow took river four carry state once book hear stop without second later miss "
    "idea enough eat face watch far really almost let above girl sometimes mountain cut young talk soon list "
    "song being leave family journey war peace love death secret betrayal friendship memory exile revolution "
    "inheritance murder investigation detective empire rebellion magic prophecy voyage island village winter "
    "summer sorrow hope courage truth lies ghost haunted forbidden destiny ambition grief redemption desire"
).split()
SYLLABLES = "ka lo mi ne ru sa ti vo ze an el in or us ar en ia th st br gr pl qu ve do ma ri".split()


def _names(rng: random.Random, count: int) -> list[str]:
    """``count`` distinct author names; middle initials stretch the word lists past their product."""
    names: set[str] = set()
    while len(names) < count:
        initial = f" {chr(65 + rng.randrange(26))}." if rng.random() < 0.6 else ""
        names.add(f"{rng.choice(FIRST)}{initial} {rng.choice(LAST).replace('_', ' ')}")
    return sorted(names)


def _rare_words(rng: random.Random, count: int) -> list[str]:
    """Invented words so the vocabulary grows with the library the way real descriptions do."""
    return ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(count)]


def _title(rng: random.Random) -> str:
    shape = rng.random()
    if shape < 0.35:
        return f"The {rng.choice(ADJ)} {rng.choice(NOUN)}"
    if shape < 0.6:
        return f"The {rng.choice(NOUN)} of {rng.choice(PLACE)}"
    if shape < 0.8:
        return f"{rng.choice(ADJ)} {rng.choice(NOUN)}s"
    if shape < 0.9:
        return f"A {rng.choice(NOUN)} in {rng.choice(PLACE)}"
    return f"{rng.choice(NOUN)} and {rng.choice(NOUN)}"


def _description(rng: random.Random, rare: list[str], title: str, author: str) -> str:
    size = rng.randint(25, 70)
    words = rng.choices(COMMON, k=size - size // 7) + rng.choices(rare, k=size // 7)
    rng.shuffle(words)
    words.insert(rng.randint(0, len(words)), rng.choice(PLACE))
    text = " ".join(words)
    return f"{text[0].upper()}{text[1:]}. A novel by {author}, {title.lower()}."


def build(count: int, data_dir: Path) -> dict[str, float]:
    """Create ``data_dir`` with ``count`` books; returns timings."""
    started = time.perf_counter()
    rng = random.Random(SEED)
    library = data_dir / "library" / "bench"
    library.mkdir(parents=True, exist_ok=True)
    for folder in ("inbox", "covers", "incoming", "duplicates", "trash", "tmp", "cache"):
        (data_dir / folder).mkdir(exist_ok=True)
    epub = minimal_epub("Bench Book", "Bookshelf")
    master = data_dir / "library" / "bench-master.epub"
    master.write_bytes(epub)
    sha, kohash, size = hashlib.sha256(epub).hexdigest(), koreader_hash(epub), len(epub)

    authors = _names(rng, max(50, min(count // 6, 200_000)))
    rare = _rare_words(rng, max(200, count // 5))
    series_names = [f"{rng.choice(ADJ)} {rng.choice(NOUN)} {rng.choice(['Saga', 'Cycle', 'Chronicles', 'Trilogy'])}"
                    for _ in range(max(10, count // 40))]  # fmt: skip
    base = datetime(2020, 1, 1, tzinfo=UTC)

    conn = connect_sync(data_dir / "bookshelf.db")
    apply_pending(conn)
    # A throwaway build: no journal and a big cache make the one bulk transaction fast.
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-400000")
    author_ids = {name: i + 1 for i, name in enumerate(authors)}
    genre_ids = {name: i + 1 for i, name in enumerate(GENRES)}
    series_ids = {name: i + 1 for i, name in enumerate(dict.fromkeys(series_names))}
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO authors (id, name, sort_name) VALUES (?, ?, ?)",
        [(i, n, author_sort_name(n)) for n, i in author_ids.items()],
    )
    conn.executemany("INSERT INTO genres (id, name) VALUES (?, ?)", [(i, n) for n, i in genre_ids.items()])
    conn.executemany("INSERT INTO series (id, name) VALUES (?, ?)", [(i, n) for n, i in series_ids.items()])
    books, files, hashes, book_authors, book_genres, book_series = [], [], [], [], [], []
    for num in range(1, count + 1):
        book_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        names = [rng.choice(authors)] + ([rng.choice(authors)] if rng.random() < 0.08 else [])
        names = list(dict.fromkeys(names))
        title = _title(rng)
        series = rng.choice(series_names) if rng.random() < 0.25 else None
        genres = list(dict.fromkeys(rng.choice(GENRES) for _ in range(rng.randint(1, 3))))
        created = (base + timedelta(minutes=num * 7 + rng.randint(0, 6))).strftime("%Y-%m-%dT%H:%M:%SZ")
        books.append((
            num, book_id, "organized", title, sort_title(title), json.dumps(names, ensure_ascii=False),
            fold(author_sort_name(names[0])), series, float(rng.randint(1, 9)) if series else None,
            rng.randint(1900, 2026), rng.choice(LANGUAGES), _description(rng, rare, title, names[0]),
            json.dumps(genres, ensure_ascii=False), created, created, created,
        ))  # fmt: skip
        file_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        path = f"bench/{num}.epub"
        files.append((file_id, book_id, "epub", "library", path, f"{names[0]} - {title}.epub", size, sha, kohash,
                      created))  # fmt: skip
        hashes.append((file_id, "koreader", f"{num:032x}", created))
        book_authors.extend((num, author_ids[n], pos) for pos, n in enumerate(names))
        book_genres.extend((num, genre_ids[g]) for g in genres)
        if series:
            book_series.append((num, series_ids[series]))
    conn.executemany(
        "INSERT INTO books (num, id, status, title, sort_title, authors, author_sort, series, series_index, "
        "published_year, language, description, genres, created_at, updated_at, organized_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        books,
    )
    conn.executemany(
        "INSERT INTO files (id, book_id, format, root, path, filename, size, sha256, koreader_hash, added_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        files,
    )
    conn.executemany("INSERT INTO file_hashes (file_id, kind, value, recorded_at) VALUES (?, ?, ?, ?)", hashes)
    conn.executemany("INSERT INTO book_authors (book_num, author_id, position) VALUES (?, ?, ?)", book_authors)
    conn.executemany("INSERT INTO book_genres (book_num, genre_id) VALUES (?, ?)", book_genres)
    conn.executemany("INSERT INTO book_series (book_num, series_id) VALUES (?, ?)", book_series)
    conn.execute("COMMIT")
    inserted = time.perf_counter()
    conn.execute("PRAGMA analysis_limit=1000")
    conn.execute("ANALYZE")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    for num in range(1, count + 1):
        # ext4 allows 65,000 links to one inode: a fresh copy of the master per 50,000 books.
        source = master if num <= 50_000 else master.with_name(f"bench-master-{num // 50_000}.epub")
        if not source.exists():
            source.write_bytes(epub)
        target = library / f"{num}.epub"
        if not target.exists():
            os.link(source, target)
    return {"books": count, "insertSeconds": inserted - started, "totalSeconds": time.perf_counter() - started}


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or not args[0].isdigit():
        raise SystemExit("usage: make_library.py N DATA_DIR")
    data_dir = Path(args[1]).absolute()
    if (data_dir / "bookshelf.db").exists():
        raise SystemExit(f"{data_dir / 'bookshelf.db'} already exists; pick an empty folder")
    result = build(int(args[0]), data_dir)
    print(f"{result['books']} books in {result['totalSeconds']:.1f}s (database {result['insertSeconds']:.1f}s)")


if __name__ == "__main__":
    main()
