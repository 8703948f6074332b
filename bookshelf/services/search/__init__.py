"""Search: what a reader typed becomes a safe FTS5 query with typo corrections (service.py,
plan.py), over a vocabulary kept in memory (vocabulary.py) and match counts remembered until the
index changes (match_counts.py).

May call bookshelf.db only.
"""
