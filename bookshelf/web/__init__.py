"""HTTP surfaces: JSON API, web UI, OPDS and KOReader sync."""
