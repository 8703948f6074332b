"""The GraphQL documents bookshelf sends to Hardcover, one per operation in PROVIDERS.md §1.8.

Each has exactly one top-level field (one request unit), selections stay shallow
(a depth limit of 3 is planned), and no disabled operator (``_like``...) is used.
"""

ME = "query WhoAmI { me { id username name account_privacy_setting_id } }"

# search must travel alone: at most one per request, and it has a 2 s server budget.
SEARCH = """query SearchBooks($q: String!, $perPage: Int!, $page: Int!) {
  search(query: $q, query_type: "Book", per_page: $perPage, page: $page) {
    error ids page per_page query query_type results
  }
}"""

_FIELDS = {
    "@EDITION": """id title isbn_10 isbn_13 pages release_date edition_format reading_format_id
    book_id publisher { name } language { code2 code3 language } image { url }""",
    "@READ": "id user_book_id started_at finished_at progress progress_pages progress_seconds"
             " edition_id",
    "@USER_BOOK": "id book_id status_id edition_id rating privacy_setting_id date_added"
                  " last_read_date",
}


def _fill(document: str) -> str:
    """Put the shared selections into a document (plain replace: GraphQL is full of braces)."""
    for marker, fields in _FIELDS.items():
        document = document.replace(marker, fields)
    return document


EDITIONS_BY_ISBN = _fill("""query EditionsByIsbn($isbns: [String!]!) {
  editions(where: {_or: [{isbn_13: {_in: $isbns}}, {isbn_10: {_in: $isbns}}]}, limit: 10) {
    @EDITION
  }
}""")

BOOK_DETAILS = _fill("""query BookDetails($id: Int!) {
  books_by_pk(id: $id) {
    id title subtitle slug description release_year release_date pages rating users_count
    cached_image
    cached_tags
    contributions { contribution author { id name slug } }
    book_series { position details featured compilation series { id name slug } }
    editions(order_by: {users_count: desc}, limit: 10) {
      @EDITION
    }
  }
}""")

USER_BOOK = _fill("""query MyUserBook($bookId: Int!) {
  me {
    id
    user_books(where: {book_id: {_eq: $bookId}}) {
      @USER_BOOK
      user_book_reads(order_by: {id: desc}) { @READ }
    }
  }
}""")

INSERT_USER_BOOK = _fill("""mutation AddToLibrary($object: UserBookCreateInput!) {
  insert_user_book(object: $object) { id error user_book { @USER_BOOK } }
}""")

UPDATE_USER_BOOK = _fill("""mutation SetStatus($id: Int!, $object: UserBookUpdateInput!) {
  update_user_book(id: $id, object: $object) { id error user_book { @USER_BOOK } }
}""")

INSERT_USER_BOOK_READ = _fill("""mutation StartRead($userBookId: Int!, $read: DatesReadInput!) {
  insert_user_book_read(user_book_id: $userBookId, user_book_read: $read) {
    id error user_book_read { @READ }
  }
}""")

UPDATE_USER_BOOK_READ = _fill("""mutation UpdateProgress($id: Int!, $read: DatesReadInput!) {
  update_user_book_read(id: $id, object: $read) {
    id error user_book_read { @READ }
  }
}""")

DELETE_USER_BOOK = (
    "mutation Remove($id: Int!) { delete_user_book(id: $id) { id book_id user_id } }"
)

ALL = {
    "me": ME, "search": SEARCH, "editions_by_isbn": EDITIONS_BY_ISBN, "book_details": BOOK_DETAILS,
    "user_book": USER_BOOK, "insert_user_book": INSERT_USER_BOOK,
    "update_user_book": UPDATE_USER_BOOK, "insert_user_book_read": INSERT_USER_BOOK_READ,
    "update_user_book_read": UPDATE_USER_BOOK_READ, "delete_user_book": DELETE_USER_BOOK,
}
