"""Metadata: provider lookups scored into candidates (service.py), their covers (candidate_covers.py),
review and editing (review.py, bookfields.py), bulk review (bulk.py), and the metadata and
organize jobs the queue runs (library_jobs.py).

May call services.organize, services.trash (bulk deletes), services.ingest, services.storage,
services.access (provider keys), services.preferences, bookshelf.db, bookshelf.formats and
bookshelf.providers.
"""
