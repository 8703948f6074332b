"""Accounts: who may use this server, in which role, and how an account proves itself.

Owns the users table (through bookshelf.db.users): creating, changing and
deleting accounts, the first admin, usernames (NFC, unique case-insensitively),
password sign-in, and how often an address may fail to sign in (limiter.py).
May call bookshelf.db, bookshelf.clock and bookshelf.folding only; keys, sessions
and per-account data reach accounts through the id they are given.
"""

from bookshelf.services.accounts.service import AccountService

__all__ = ["AccountService"]
