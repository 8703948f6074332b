"""Allows `python -m bookshelf`."""

from bookshelf.cli import main

raise SystemExit(main())
