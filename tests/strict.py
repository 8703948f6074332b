"""Skip a test for a missing tool or file, unless BOOKSHELF_TEST_STRICT=1 says CI must have it."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def skip_or_fail(reason: str) -> NoReturn:
    if os.environ.get("BOOKSHELF_TEST_STRICT") == "1":
        pytest.fail(f"required in strict mode: {reason}")
    pytest.skip(reason)
