"""The server's state: the open store, the registry index kept current, the background jobs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

from clearweights.server import index
from clearweights.server.settings import Settings
from clearweights.store import Store, open_store


class Registry:
    """One per server process: the store, and when the index last looked for new audits."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.store: Store = open_store(settings.store)  # creates or migrates the schema
        self.engine = self.store.engine
        self.generation = 0  # grows whenever the index changes (caches key on it)
        self.listeners: list[Callable[[], None]] = []  # told when the index changed
        self._checked = 0.0
        self._lock = threading.Lock()
        self.refresh(force=True)

    def due(self) -> bool:
        """Whether the next :meth:`refresh` would look at the store (it queries when due)."""
        return time.monotonic() - self._checked >= self.settings.refresh_seconds

    def refresh(self, *, force: bool = False) -> None:
        """Bring the index up to date, at most every ``refresh_seconds`` unless *force*."""
        moment = time.monotonic()
        if not force and moment - self._checked < self.settings.refresh_seconds:
            return
        with self._lock:
            if not force and moment - self._checked < self.settings.refresh_seconds:
                return
            if index.refresh(self.engine):
                self.generation += 1
                for listener in self.listeners:
                    listener()
            self._checked = time.monotonic()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reading, after a (throttled) index refresh."""
        self.refresh()
        with self.engine.connect() as connection:
            yield connection

    def close(self) -> None:
        """Release the store's connections."""
        self.store.close()
