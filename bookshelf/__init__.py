"""bookshelf: a self-hosted ebook server."""

__version__ = "0.1.0"
