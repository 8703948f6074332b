"""E-mail addresses as bookshelf accepts them: one plain ASCII address, nothing a header could smuggle."""

from __future__ import annotations

import re
from typing import Any

from bookshelf.errors import InvalidInput

# Deliberately plain: local@domain.tld in printable ASCII without spaces, quotes, angle brackets,
# commas or semicolons, so a value can never become a second recipient or a header.
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")  # fmt: skip
KINDLE_DOMAINS = ("kindle.com", "kindle.cn")


def address(payload: dict[str, Any], name: str) -> str:
    value = payload.get(name)
    # fullmatch, not match: "$" would let a trailing newline through.
    if not isinstance(value, str) or len(value) > 254 or not _ADDRESS.fullmatch(value.strip(" ")):
        raise InvalidInput(
            f"{name} must be an e-mail address such as reader@example.com",
            details=[{"field": name, "message": "an e-mail address"}],
        )
    return value.strip(" ")


def is_kindle(email: str) -> bool:
    """Addresses of Amazon's Send to Kindle service (name@kindle.com, name@free.kindle.com ...)."""
    domain = email.rsplit("@", 1)[-1].lower()
    return any(domain == d or domain.endswith("." + d) for d in KINDLE_DOMAINS)
