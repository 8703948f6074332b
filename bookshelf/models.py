"""Dataclasses shared by every layer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ApiKey:
    id: str
    label: str
    created_at: str
    last_used_at: str | None

    def to_json(self) -> dict:
        return {"id": self.id, "label": self.label, "createdAt": self.created_at, "lastUsedAt": self.last_used_at}
