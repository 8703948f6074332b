"""Reading: KOReader progress, each book's reading state and status, unmatched documents
(service.py, matching.py) and the statistics and dashboard built on them (stats.py).

May call services.search, services.preferences and bookshelf.db.
"""
