"""Entry point of the bundled executable: the same `bookshelf` command as the installed package."""

from bookshelf.cli import main

raise SystemExit(main())
