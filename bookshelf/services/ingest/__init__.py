"""Ingest: a file becomes an inbox book. pipeline.py takes dropped, uploaded and imported
files (hash, duplicates, rows, then the move into incoming/) and parses them; uploads.py streams
multipart bodies to disk; book_files.py adds a file to a library book; inbox.py is the inbox as
readers list and inspect it.

May call services.storage, services.names, services.search, services.jobs, bookshelf.db and
bookshelf.formats.
"""
