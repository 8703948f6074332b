"""Fakes of the internet services bookshelf talks to, built from their documented shapes."""
