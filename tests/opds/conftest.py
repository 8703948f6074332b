"""OPDS fixtures: an opds credential from the environment and a client that signs in with it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bookshelf.settings import Settings
from tests.conftest import make_settings
from tests.opds.helpers import PASSWORD, USER


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, opds_username=USER, opds_password=PASSWORD)


@pytest.fixture
def opds(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The app's client, sending the OPDS Basic credentials with every request."""
    client.auth = httpx.BasicAuth(USER, PASSWORD)
    return client
