"""The README documents every startup setting and the two commands."""

from __future__ import annotations

from bookshelf.settings import OPTIONS
from tests.strict import REPO_ROOT


def test_readme_documents_every_setting() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for option in OPTIONS:
        assert f"`{option.env}`" in readme, option.env
        if option.flag:
            assert f"`{option.cli}`" in readme, option.cli
    assert "make run" in readme and "make test" in readme
