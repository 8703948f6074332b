"""Shared fixtures for format tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.strict import skip_or_fail

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "koreader-test-data"


@pytest.fixture
def koreader_data() -> Path:
    if not (SHARED / "tall.pdf").exists():
        skip_or_fail(f"KOReader test data not found at {SHARED.resolve()}")
    return SHARED
