"""The trash: deleting a book or a file into a snapshot and data/trash/ (removal.py), then listing,
restoring and purging for good (service.py), the one place a user's file is really removed.

May call services.organize (a restored book is filed again), services.storage, services.names,
services.jobs, services.preferences and bookshelf.db.
"""
