"""Access: how a request proves who it is and what it may unlock.

Owns API keys (keys.py), web UI sessions and CSRF (sessions.py), the per-account and server-wide
service credentials (opds, kosync, Hardcover, Google Books) in credentials.py, and the secret box
that seals stored tokens (secrets_box.py). May call services.accounts and bookshelf.db.
"""
