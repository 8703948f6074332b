"""SQL for the devices table (a reader's e-mail addresses for books) and the send jobs they received."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bookshelf.db.connection import fetchall, fetchone
from bookshelf.db.jobs import Job, job_from_row

FORMATS = ("epub", "pdf", "original")


@dataclass
class Device:
    id: str
    user_id: str
    name: str
    email: str
    format: str
    created_at: str
    updated_at: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "email": self.email, "format": self.format,
                "createdAt": self.created_at, "updatedAt": self.updated_at}  # fmt: skip


@dataclass
class Sending:
    """One send job of a book as a reader sees it: where it went and how it went."""

    job_id: str
    device_id: str
    device_name: str | None  # None when the device was deleted since
    state: str
    attempts: int
    error: str | None
    created_at: str
    finished_at: str | None

    def to_json(self) -> dict[str, Any]:
        return {"jobId": self.job_id, "deviceId": self.device_id, "deviceName": self.device_name,
                "state": self.state, "attempts": self.attempts, "error": self.error,
                "createdAt": self.created_at, "finishedAt": self.finished_at}  # fmt: skip


def _device(row: sqlite3.Row) -> Device:
    return Device(**dict(row))


async def list_for(conn: aiosqlite.Connection, user_id: str) -> list[Device]:
    rows = await fetchall(conn, "SELECT * FROM devices WHERE user_id = ? ORDER BY name, created_at", (user_id,))
    return [_device(row) for row in rows]


async def get(conn: aiosqlite.Connection, user_id: str, device_id: str) -> Device | None:
    """The device only if it belongs to this owner: another's device is simply not found."""
    row = await fetchone(conn, "SELECT * FROM devices WHERE id = ? AND user_id = ?", (device_id, user_id))
    return _device(row) if row else None


async def insert(conn: aiosqlite.Connection, device: Device) -> None:
    await conn.execute(
        "INSERT INTO devices (id, user_id, name, email, format, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (device.id, device.user_id, device.name, device.email, device.format, device.created_at, device.updated_at),
    )


async def update(conn: aiosqlite.Connection, device: Device) -> None:
    await conn.execute(
        "UPDATE devices SET name = ?, email = ?, format = ?, updated_at = ? WHERE id = ? AND user_id = ?",
        (device.name, device.email, device.format, device.updated_at, device.id, device.user_id),
    )


async def delete(conn: aiosqlite.Connection, user_id: str, device_id: str) -> bool:
    cursor = await conn.execute("DELETE FROM devices WHERE id = ? AND user_id = ?", (device_id, user_id))
    return cursor.rowcount > 0


async def sendings(conn: aiosqlite.Connection, user_id: str, book_id: str, limit: int = 50) -> list[Sending]:
    """This owner's send jobs for a book, newest first (the owner is in the job's arguments)."""
    rows = await fetchall(
        conn,
        "SELECT j.id, j.args, j.state, j.attempts, j.error, j.created_at, j.finished_at, d.name AS device_name "
        "FROM jobs j LEFT JOIN devices d ON d.id = json_extract(j.args, '$.device_id') "
        "WHERE j.queue = 'send' AND j.book_id = ? AND json_extract(j.args, '$.user_id') = ? "
        "ORDER BY j.created_at DESC LIMIT ?",
        (book_id, user_id, limit),
    )
    result = []
    for row in rows:
        args = json.loads(row["args"] or "{}")
        result.append(Sending(row["id"], str(args.get("device_id", "")), row["device_name"], row["state"],
                              row["attempts"], row["error"], row["created_at"], row["finished_at"]))  # fmt: skip
    return result


async def open_sending(conn: aiosqlite.Connection, book_id: str, device_id: str) -> Job | None:
    """A send of this book to this device that has not finished yet (a second click is not a second mail)."""
    row = await fetchone(
        conn,
        "SELECT * FROM jobs WHERE queue = 'send' AND book_id = ? AND json_extract(args, '$.device_id') = ? "
        "AND state IN ('waiting', 'active', 'delayed') ORDER BY created_at DESC LIMIT 1",
        (book_id, device_id),
    )
    return job_from_row(row) if row else None
