"""Use cases: HTTP, CLI, watcher and queue tasks all call these; they call bookshelf.db,
bookshelf.formats and bookshelf.providers, never back up.

One sub-package per area, each saying in its ``__init__`` what it owns and may call: access,
accounts, hardcover, importing, ingest, library, mail, metadata, names, operations, organize,
reader, reading, search, storage, trash. Two modules every area shares stay here: jobs.py (the
jobs table and the queue behind it) and preferences.py (the server's and readers' settings).
"""
