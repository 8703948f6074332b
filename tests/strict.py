"""Skips for missing tools or ../shared, turned into failures when BOOKSHELF_TEST_STRICT=1 (CI)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"


def skip_or_fail(reason: str) -> NoReturn:
    if os.environ.get("BOOKSHELF_TEST_STRICT") == "1":
        pytest.fail(f"required in strict mode: {reason}")
    pytest.skip(reason)


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or a skip (failure in strict mode) when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        skip_or_fail(f"{path} is not present (../shared exists only beside a development checkout)")
    return path
