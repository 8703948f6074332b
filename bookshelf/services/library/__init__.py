"""The library as readers browse it: organized books listed, filtered, searched and counted with
their covers and files (service.py), the OPDS catalog's pages, entries and cached feeds
(catalog.py, feed_cache.py), and comic and PDF pages as images (page_stream.py).

May call services.search, services.storage, services.names, bookshelf.db and bookshelf.formats.
"""
