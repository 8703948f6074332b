"""Sending books to e-readers by e-mail: the mail server settings, each reader's devices, the
message (attachment names, headers), the SMTP conversation and the send use case.

It may call bookshelf.db (smtp, devices, books, jobs), bookshelf.services.storage.files,
bookshelf.services.jobs, bookshelf.services.preferences, bookshelf.services.names (attachment
names), bookshelf.services.access (the secret box that seals the SMTP password) and the
standard library's email and smtplib; nothing here calls the web layer or the queue directly.
"""
