"""Connections to Milvus: an embedded Milvus Lite database inside an index folder, or a Milvus server.

Milvus Lite (``milvus-lite``) keeps a database in a folder and serves it from a thread of this
process over local gRPC; it takes an OS lock on the folder, so one process at a time can use a
database. Every index object in this process that opens the same database shares one server (counted
here), which stops when the last of them closes. A server (``uri``) is reached with pymilvus's
``MilvusClient`` and a token from the caller or the ``SPLADE_MILVUS_TOKEN`` environment variable (a
token is never written to disk); an unreachable server fails within `CONNECT_SECONDS`, naming the URI.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ...errors import BackendUnavailableError, InputError

TOKEN_VARIABLE = "SPLADE_MILVUS_TOKEN"
CONNECT_SECONDS = 5.0
_INSTALL = "pip install 'splade-search[milvus]'"
_LITE_LOCK = "LOCK"  # the file Milvus Lite locks inside its database folder
_QUIET = ("pymilvus", "milvus_lite")  # loggers that print tracebacks for failures reported here as errors



@dataclass
class _LiteServer:
    """The Milvus Lite server of one database in this process, and how many connections use it."""

    uri: str
    users: int = 0


_lite_servers: dict[Path, _LiteServer] = {}
_lite_guard = threading.Lock()
_log_guard = threading.Lock()


def pymilvus() -> Any:
    """The ``pymilvus`` module, or `BackendUnavailableError` with the install command."""
    try:
        import pymilvus as module
    except ImportError as exc:
        raise BackendUnavailableError(f"the milvus backend needs pymilvus: {_INSTALL} ({exc})") from None
    return module


def check_uri(uri: str) -> str:
    """``uri`` if it names a Milvus server (``http(s)://host:port``), else `InputError`."""
    parsed = urlparse(uri) if isinstance(uri, str) else None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InputError(
            f"--uri {uri!r} is not a Milvus server address; give http://host:19530 (or https://...), "
            "or leave it out to keep a Milvus Lite database inside the index folder"
        )
    if parsed.username or parsed.password:
        raise InputError(f"--uri {parsed.hostname}: give the credentials as a token ({TOKEN_VARIABLE}), not in the URI")
    return uri.rstrip("/")


def server_token(token: str | None = None) -> str:
    """The token for a Milvus server: ``token`` if given, else ``$SPLADE_MILVUS_TOKEN`` (empty: none)."""
    return token if token is not None else os.environ.get(TOKEN_VARIABLE, "")


class Connection:
    """A ``MilvusClient`` on a Milvus Lite database folder (``database``) or on a server (``uri``)."""

    def __init__(self, *, database: Path | None = None, uri: str | None = None, token: str | None = None) -> None:
        if (database is None) == (uri is None):
            raise ValueError("give a Milvus Lite database folder or a server uri")
        self.database = database.resolve() if database is not None else None
        self.uri = uri
        client = _lite_client(self.database) if self.database is not None else _server_client(uri, token)  # type: ignore[arg-type]
        self.client = _Guarded(client, self.where)
        self._closed = False

    @property
    def where(self) -> str:
        """The database folder or the server URI, for messages."""
        return str(self.database) if self.database is not None else str(self.uri)

    @property
    def is_lite(self) -> bool:
        """Whether this is an embedded Milvus Lite database."""
        return self.database is not None

    def close(self) -> None:
        """Close the client; the last user of a Milvus Lite database stops its server (writing nothing)."""
        if self._closed:
            return
        self._closed = True
        self.client.close()
        if self.database is not None:
            _release_lite(self.database)


class _Guarded:
    """A ``MilvusClient`` whose failures are `BackendUnavailableError`s naming where Milvus runs."""

    def __init__(self, client: Any, where: str) -> None:
        self._client = client
        self._where = where
        self._failure = pymilvus().MilvusException

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)
        if not callable(method):
            return method

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return method(*args, **kwargs)
            except self._failure as exc:
                raise BackendUnavailableError(
                    f"Milvus at {self._where} failed: {_reason(exc)}; check that it runs (a server: the address and "
                    f"${TOKEN_VARIABLE})"
                ) from None

        return call


def _server_client(uri: str, token: str | None) -> Any:
    module = pymilvus()
    try:
        with _quiet():
            return module.MilvusClient(uri=uri, token=server_token(token), timeout=CONNECT_SECONDS)
    except Exception as exc:  # pymilvus raises MilvusException, gRPC and socket errors alike
        raise BackendUnavailableError(
            f"cannot reach the Milvus server at {uri} within {CONNECT_SECONDS:.0f} s ({_reason(exc)}); check the address, "
            "that the server runs and the token, or leave --uri out to use Milvus Lite inside the index folder"
        ) from None


def _lite_client(database: Path) -> Any:
    module = pymilvus()
    try:
        from milvus_lite import server_manager_instance
    except ImportError as exc:
        raise BackendUnavailableError(f"the milvus backend needs milvus-lite for a local database: {_INSTALL} ({exc})") from None
    with _lite_guard:
        if database not in _lite_servers:
            _check_unlocked(database)
            with _quiet():
                uri = server_manager_instance.start_and_get_uri(str(database))
            if uri is None:
                raise BackendUnavailableError(f"Milvus Lite cannot open the database {database}; it may be damaged: rebuild the index")
            _lite_servers[database] = _LiteServer(uri)
        server = _lite_servers[database]
        server.users += 1
    try:
        return module.MilvusClient(uri=server.uri, timeout=CONNECT_SECONDS)
    except BaseException:
        _release_lite(database)
        raise


def _check_unlocked(database: Path) -> None:
    """`BackendUnavailableError` when another process has the Milvus Lite database open."""
    lock = database / _LITE_LOCK
    if not lock.is_file():
        return
    fd = os.open(lock, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
    except OSError:
        raise BackendUnavailableError(
            f"the Milvus Lite database {database} is open in another process, and Milvus Lite serves one process at "
            "a time: stop that process, or put the index on a Milvus server (index --backend milvus --uri ...)"
        ) from None
    finally:
        os.close(fd)


def _release_lite(database: Path) -> None:
    from milvus_lite import server_manager_instance

    with _lite_guard:
        server = _lite_servers[database]
        server.users -= 1
        if server.users > 0:
            return
        del _lite_servers[database]
        server_manager_instance.release_server(str(database))


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence pymilvus's and Milvus Lite's own error logs for a call whose failure becomes our error."""
    loggers = [logging.getLogger(name) for name in _QUIET]
    with _log_guard:
        levels = [logger.level for logger in loggers]
        for logger in loggers:
            logger.setLevel(logging.CRITICAL)
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels, strict=True):
                logger.setLevel(level)


def _reason(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return " ".join(str(message).split())[:200]
