"""Allows `python -m bookshelf`."""

from bookshelf.cli import main

# Guarded: the parse worker process is started by spawn, which imports this module as __mp_main__.
if __name__ == "__main__":
    raise SystemExit(main())
