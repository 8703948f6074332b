"""Startup settings: declared once, read from flags over environment over defaults.

This module is the only reader of ``os.environ`` in bookshelf. Settings that a
user changes at run time (organize template, thresholds...) live in the
database and are served by ``services.preferences``; these are the ones fixed
for the life of the process.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Option:
    """One startup setting: its name, flag, environment variable, default and help."""

    name: str
    default: Any
    help: str
    kind: type = str
    flag: bool = True  # exposed as a `bookshelf serve` flag
    secret: bool = False

    @property
    def env(self) -> str:
        return "BOOKSHELF_" + self.name.upper()

    @property
    def cli(self) -> str:
        return "--" + self.name.replace("_", "-")


OPTIONS: tuple[Option, ...] = (
    Option("host", "0.0.0.0", "Address to listen on (all interfaces, so e-readers on the LAN reach it)."),
    Option("port", 8080, "TCP port to listen on.", int),
    Option("data_dir", "./data", "Folder holding the database, queue, covers, secret key and managed files."),
    Option("library_dir", "", "Folder of organized books (default: DATA_DIR/library)."),
    Option("inbox_dir", "", "Watched drop folder (default: DATA_DIR/inbox)."),
    Option("log_level", "info", "Log level: debug, info, warning, error."),
    Option("log_format", "text", "Log line format: text or json."),
    Option("workers", 2, "Queue worker threads.", int),
    Option(
        "parse_process",
        True,
        "Read books in a low-priority worker process the server starts and stops itself (false: in its threads).",
        bool,
        flag=False,
    ),
    Option("watch_poll", False, "Poll the inbox folder instead of waiting for change events (network shares).", bool),
    Option(
        "watch_settle_seconds",
        2.0,
        "How long a dropped file's size and mtime must stay still before it is taken.",
        float,
    ),
    Option(
        "trusted_proxies", "", "Comma-separated addresses of reverse proxies whose X-Forwarded-* headers are believed."
    ),
    Option("import_roots", "", "Comma-separated server folders that POST /api/import may read from."),
    Option("google_books_url", "https://www.googleapis.com/books/v1", "Google Books API base URL.", flag=False),
    Option("hardcover_url", "https://api.hardcover.app/v1/graphql", "Hardcover GraphQL endpoint.", flag=False),
    Option("openlibrary_url", "https://openlibrary.org", "Open Library base URL.", flag=False),
    Option("openlibrary_covers_url", "https://covers.openlibrary.org", "Open Library covers base URL.", flag=False),
    Option(
        "secret_key",
        "",
        "Base64 32-byte key sealing stored tokens (default: DATA_DIR/secret.key).",
        flag=False,
        secret=True,
    ),
    Option("opds_username", "", "OPDS user name (overrides the stored credential).", flag=False),
    Option("opds_password", "", "OPDS password (overrides the stored credential).", flag=False, secret=True),
    Option("kosync_username", "", "KOReader sync user name (overrides the stored credential).", flag=False),
    Option("kosync_password", "", "KOReader sync password (overrides the stored credential).", flag=False, secret=True),
    Option("hardcover_token", "", "Hardcover API token (overrides the stored credential).", flag=False, secret=True),
    Option(
        "google_books_api_key", "", "Google Books API key (overrides the stored credential).", flag=False, secret=True
    ),
    # The outgoing mail server for sending books to e-readers: when BOOKSHELF_SMTP_HOST is set,
    # these replace the stored mail settings as a whole (as the other credentials do).
    Option("smtp_host", "", "Mail server host name (overrides the stored mail settings).", flag=False),
    Option("smtp_port", 0, "Mail server port (0: 587 for starttls, 465 for tls, 25 for none).", int, flag=False),
    Option("smtp_security", "starttls", "Mail server security: starttls, tls or none.", flag=False),
    Option("smtp_username", "", "Mail server user name (empty: no login).", flag=False),
    Option("smtp_password", "", "Mail server password.", flag=False, secret=True),
    Option("smtp_from", "", "Sender address of books sent by e-mail.", flag=False),
    Option(
        "smtp_ca_file",
        "",
        "PEM file of certificate authorities trusted for the mail server besides the system's (a self-signed server).",
        flag=False,
    ),
)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingsError(ValueError):
    """A setting has a value that cannot be used."""


def _coerce(option: Option, raw: Any) -> Any:
    if not isinstance(raw, str):
        return option.kind(raw) if option.kind is not bool else bool(raw)
    try:
        if option.kind is bool:
            lowered = raw.strip().lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
            raise ValueError(raw)
        return option.kind(raw)
    except ValueError:
        raise SettingsError(f"{option.env} must be a {option.kind.__name__}, got {raw!r}") from None


@dataclass(frozen=True)
class Settings:
    """Everything fixed for the life of the process. Build with :func:`load`."""

    host: str = "0.0.0.0"
    port: int = 8080
    data_dir: Path = Path("./data")
    library_dir: Path = Path("./data/library")
    inbox_dir: Path = Path("./data/inbox")
    log_level: str = "info"
    log_format: str = "text"
    workers: int = 2
    parse_process: bool = True
    watch_poll: bool = False
    watch_settle_seconds: float = 2.0
    trusted_proxies: tuple[str, ...] = ()
    import_roots: tuple[Path, ...] = ()
    google_books_url: str = "https://www.googleapis.com/books/v1"
    hardcover_url: str = "https://api.hardcover.app/v1/graphql"
    openlibrary_url: str = "https://openlibrary.org"
    openlibrary_covers_url: str = "https://covers.openlibrary.org"
    secret_key: str = field(default="", repr=False)
    opds_username: str = ""
    opds_password: str = field(default="", repr=False)
    kosync_username: str = ""
    kosync_password: str = field(default="", repr=False)
    hardcover_token: str = field(default="", repr=False)
    google_books_api_key: str = field(default="", repr=False)
    smtp_host: str = ""
    smtp_port: int = 0
    smtp_security: str = "starttls"
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_from: str = ""
    smtp_ca_file: str = ""
    # Not user-facing: lets tests run without the inbox watcher or queue consumer.
    start_watcher: bool = True
    start_consumer: bool = True
    provider_timeout: float = 15.0  # seconds per metadata provider request (tests shorten it)
    smtp_timeout: float = 60.0  # seconds the mail server may take to answer each step (tests shorten it)
    send_retries: int = 3  # times a transiently failed send is tried again (tests shorten it)
    provider_backoff: float = 30.0  # first wait before asking a provider that could not be reached again

    # Folders derived from data_dir.
    @property
    def db_path(self) -> Path:
        return self.data_dir / "bookshelf.db"

    @property
    def queue_path(self) -> Path:
        return self.data_dir / "queue.db"

    @property
    def secret_key_path(self) -> Path:
        return self.data_dir / "secret.key"

    @property
    def covers_dir(self) -> Path:
        return self.data_dir / "covers"

    @property
    def incoming_dir(self) -> Path:
        return self.data_dir / "incoming"

    @property
    def duplicates_dir(self) -> Path:
        return self.data_dir / "duplicates"

    @property
    def trash_dir(self) -> Path:
        return self.data_dir / "trash"

    @property
    def tmp_dir(self) -> Path:
        return self.data_dir / "tmp"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def backups_dir(self) -> Path:
        return self.data_dir / "backups"

    def managed_dirs(self) -> list[Path]:
        """Every folder bookshelf creates on start."""
        return [
            self.data_dir,
            self.library_dir,
            self.inbox_dir,
            self.covers_dir,
            self.incoming_dir,
            self.duplicates_dir,
            self.trash_dir,
            self.tmp_dir,
            self.cache_dir,
        ]

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def load(
    flags: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None, **overrides: Any
) -> Settings:
    """Build Settings: explicit overrides, then flags, then environment, then defaults."""
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for option in OPTIONS:
        if option.name in overrides:
            raw = overrides.pop(option.name)
        elif option.name in flags:
            raw = flags[option.name]
        elif option.env in env:
            raw = env[option.env]
        else:
            raw = option.default
        values[option.name] = _coerce(option, raw) if isinstance(raw, str) else raw

    if values["log_level"].lower() not in {"debug", "info", "warning", "error"}:
        raise SettingsError(f"BOOKSHELF_LOG_LEVEL must be debug, info, warning or error, got {values['log_level']!r}")
    if values["log_format"] not in {"text", "json"}:
        raise SettingsError(f"BOOKSHELF_LOG_FORMAT must be text or json, got {values['log_format']!r}")
    if not 0 < int(values["port"]) < 65536:
        raise SettingsError(f"port must be between 1 and 65535, got {values['port']}")
    if values["smtp_security"] not in {"starttls", "tls", "none"}:
        raise SettingsError(f"BOOKSHELF_SMTP_SECURITY must be starttls, tls or none, got {values['smtp_security']!r}")
    if not 0 <= int(values["smtp_port"]) < 65536:
        raise SettingsError(f"BOOKSHELF_SMTP_PORT must be between 0 and 65535, got {values['smtp_port']}")
    if int(values["workers"]) < 1:
        raise SettingsError("workers must be at least 1")

    data_dir = Path(values["data_dir"]).expanduser().absolute()
    values["data_dir"] = data_dir
    values["library_dir"] = (
        Path(values["library_dir"]).expanduser().absolute() if values["library_dir"] else data_dir / "library"
    )
    values["inbox_dir"] = (
        Path(values["inbox_dir"]).expanduser().absolute() if values["inbox_dir"] else data_dir / "inbox"
    )
    values["log_level"] = values["log_level"].lower()
    values["trusted_proxies"] = _split(values["trusted_proxies"])
    values["import_roots"] = tuple(Path(p).expanduser().absolute() for p in _split(values["import_roots"]))
    values.update(overrides)
    return Settings(**values)


def _split(value: Any) -> tuple[str, ...]:
    if isinstance(value, (tuple, list)):
        return tuple(str(v) for v in value)
    return tuple(part.strip() for part in str(value).split(",") if part.strip())
