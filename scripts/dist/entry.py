"""Entry point of the bundled executable: the same `bookshelf` command as the installed package."""

import multiprocessing

from bookshelf.cli import main

# The parse worker is started by spawn, which in a bundled executable re-runs this executable with
# `--multiprocessing-fork`: freeze_support() turns that run into the worker instead of the CLI.
multiprocessing.freeze_support()
raise SystemExit(main())
