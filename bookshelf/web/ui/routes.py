"""Every UI page route, in the order the routing table needs (static paths before {id})."""

from __future__ import annotations

from bookshelf.web.routing import Endpoint
from bookshelf.web.ui import auth, pages, reader, settings, stats, trash

ENDPOINTS: list[Endpoint] = [
    *auth.ENDPOINTS,
    *pages.ENDPOINTS,
    *reader.ENDPOINTS,
    *stats.ENDPOINTS,
    *settings.ENDPOINTS,
    *trash.ENDPOINTS,
]
