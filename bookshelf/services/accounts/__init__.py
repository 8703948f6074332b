"""Accounts: who may use this server, in which role, and how an account proves itself.

Owns the users table (through bookshelf.db.users): creating, changing and
deleting accounts, the first admin, usernames (NFC, unique case-insensitively)
and password sign-in. May call bookshelf.db and bookshelf.clock only; keys,
sessions and per-account data reach accounts through the id they are given.
"""

from bookshelf.services.accounts.service import AccountService, username_key

__all__ = ["AccountService", "username_key"]
