"""Hardcover: a book's Hardcover id (link.py), the reading state Hardcover should show (push.py),
and the sync that runs both on a schedule, one run at a time, logged (sync.py).

May call services.access (the account's token), services.preferences, bookshelf.db and
bookshelf.providers (the GraphQL client).
"""
