"""match_score: deterministic, ISBN-dominated, and ordering candidates the way a reader would."""

from __future__ import annotations

import pytest

from bookshelf.providers.base import Candidate, LookupQuery
from bookshelf.providers.score import match_score, match_text, rank, surname, title_similarity


def c(
    title: str | None,
    authors: list[str] | None = None,
    isbn13: str | None = None,
    isbn10: str | None = None,
    subtitle: str | None = None,
) -> Candidate:
    return Candidate(
        "test", title or "-", title=title, subtitle=subtitle, authors=authors or [], isbn13=isbn13, isbn10=isbn10
    )


DUNE = LookupQuery(isbn="978-0-441-17271-9", title="Dune", authors=["Frank Herbert"])
NO_ISBN = LookupQuery(title="The Left Hand of Darkness", authors=["Ursula K. Le Guin"])

# (query, candidates best-first): each table row is an ordering a person would agree with.
ORDERINGS = [
    (
        DUNE,
        [
            c("Dune", ["Frank Herbert"], isbn13="9780441172719"),
            c("Dune", ["Frank Herbert"]),
            c("Dune", ["Frank Herbert"], isbn13="9780593099322"),  # another edition
            c("Dune Messiah", ["Frank Herbert"]),
            c("Dune", ["Someone Else"], isbn13="9780000000002"),
            c("Neuromancer", ["William Gibson"]),
        ],
    ),
    (
        NO_ISBN,
        [
            c("Left Hand of Darkness", ["Le Guin, Ursula K."]),
            c("The Left Hand of Darkness", ["Ursula Le Guin"], subtitle="50th Anniversary"),
            c("The Left Hand of Darkness", []),
            c("The Lathe of Heaven", ["Ursula K. Le Guin"]),
            c("Darkness Visible", ["William Styron"]),
        ],
    ),
    (
        LookupQuery(title="Les Misérables", authors=["Victor Hugo"]),  # accents and articles
        [c("Les Miserables", ["Hugo, Victor"]), c("Miserables!", ["V. Hugo"]), c("Misery", ["Stephen King"])],
    ),
    (
        LookupQuery(title="Foundation: The Psychohistorians", authors=[]),
        [c("Foundation"), c("Second Foundation"), c("The Gods Themselves")],
    ),
]


@pytest.mark.parametrize(("query", "expected"), ORDERINGS)
def test_expected_orderings(query, expected):
    scores = [match_score(query, cand) for cand in expected]
    assert scores == sorted(scores, reverse=True), list(zip(scores, expected, strict=True))
    # rank() is stable: equal scores keep the providers' order.
    assert [cand for _, cand in rank(query, expected)] == expected
    assert [cand for _, cand in rank(query, list(reversed(expected)))][-1] is expected[-1]


def test_bounds_and_determinism():
    best = match_score(DUNE, ORDERINGS[0][1][0])
    assert best == 1.0
    assert match_score(DUNE, c("Neuromancer", ["William Gibson"])) < 0.35
    assert match_score(LookupQuery(), c("Anything")) == 0.0
    assert all(match_score(DUNE, cand) == match_score(DUNE, cand) for cand in ORDERINGS[0][1])


def test_isbn_10_and_13_forms_are_the_same_isbn():
    same = [c("Dune", ["Frank Herbert"], isbn13="9780441172719"), c("Dune", ["Frank Herbert"], isbn10="0441172717")]
    assert match_score(DUNE, same[0]) == match_score(DUNE, same[1]) == 1.0


def test_isbn_match_alone_is_strong():
    query = LookupQuery(isbn="0441172717")
    assert match_score(query, c("Totally Different", isbn13="9780441172719")) >= 0.7


def test_normalisation_helpers():
    assert match_text("Les Misérables — Tome I") == "les miserables tome i"
    assert surname("Ursula K. Le Guin") == surname("Le Guin, Ursula") == "guin"
    assert surname("Martin Luther King Jr.") == "king"
    assert title_similarity("The Hobbit", "Hobbit") == 1.0
    assert title_similarity("Dune: Deluxe Edition", "Dune") == 1.0
