"""The context-manager and finalizer behaviour Baton and Client share: both close on exit."""

from __future__ import annotations

from typing import Any, TypeVar

_T = TypeVar("_T", bound="Closing")


class Closing:
    """A resource with a close() method: ``with`` closes it on leaving, and so does garbage
    collection (quietly, even when construction failed half way)."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self: _T) -> _T:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass
