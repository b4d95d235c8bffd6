"""Content-hash cache of step results (pickles under the output folder)."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

CACHE_VERSION = "1"


def content_key(*parts: Any) -> str:
    """Stable hash of JSON-serialisable parts (configs, upstream keys, data hashes).

    The key also covers the regionkit source code, so results cached by another
    version (or an edited checkout) are recomputed rather than reused.
    """
    payload = json.dumps([CACHE_VERSION, code_fingerprint(), *parts], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


@functools.cache
def code_fingerprint() -> str:
    """Hash of the regionkit package's Python source files (computed once per process)."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


class StepCache:
    """Pickle cache keyed by step name and content key; ``None`` folder disables it."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.hits: list[str] = []
        self.misses: list[str] = []

    def run(self, name: str, key: str, fn: Callable[[], Any]) -> Any:
        """Return the cached value of ``name``/``key`` or compute and store it."""
        if self.folder is None:
            self.misses.append(name)
            return fn()
        path = self.folder / f"{name}-{key}.pkl"
        if path.exists():
            try:
                with path.open("rb") as fh:
                    value = pickle.load(fh)
                self.hits.append(name)
                return value
            except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
                path.unlink(missing_ok=True)
        value = fn()
        self.misses.append(name)
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob(f"{name}-*.pkl"):
            old.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        return value
