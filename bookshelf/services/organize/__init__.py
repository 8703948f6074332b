"""Organizing: library paths from the template (naming.py), metadata embedded and files moved
under a durable journal (service.py), and finishing or rolling back moves a crash interrupted
(recovery.py).

May call services.storage (every file operation), services.names, services.preferences,
bookshelf.db and bookshelf.formats.
"""
