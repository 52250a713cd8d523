"""Exceptions: one BatonError subclass per libbaton result code."""

from __future__ import annotations

import builtins
from typing import Dict, Type


class BatonError(Exception):
    """A libbaton call failed.

    Attributes:
        code: the baton_rc number (see include/baton.h).
        name: the code's name, e.g. ``"INVALID"``.
        message: the detail text from baton_errmsg(), or the code's text.
        run_id: the run stored although the call failed (run()/arun() cancelled while
            planning, or whose planning failed: ``baton runs show ID``), else None.
    """

    code: int = 1
    name: str = "ERROR"
    run_id: str | None = None

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InternalError(BatonError):
    """BATON_ERROR: an internal error."""
    code, name = 1, "ERROR"


class NoMemoryError(BatonError, MemoryError):
    """BATON_NOMEM: out of memory."""
    code, name = 2, "NOMEM"


class InvalidError(BatonError, ValueError):
    """BATON_INVALID: an invalid argument (an empty request, a bad path...)."""
    code, name = 3, "INVALID"


class ConfigError(BatonError):
    """BATON_CONFIG: a bad configuration file or setting."""
    code, name = 4, "CONFIG"


class NotFoundError(BatonError, LookupError):
    """BATON_NOTFOUND: an unknown task, model or run."""
    code, name = 5, "NOTFOUND"


class IoError(BatonError, OSError):
    """BATON_IO: an input/output error."""
    code, name = 6, "IO"


class DbError(BatonError):
    """BATON_DB: the registry database failed."""
    code, name = 7, "DB"


class PlanError(BatonError):
    """BATON_PLAN: the request or task graph could not be planned."""
    code, name = 8, "PLAN"


class UnavailableError(BatonError):
    """BATON_UNAVAILABLE: no executor or model can run a task here."""
    code, name = 9, "UNAVAILABLE"


class ExecError(BatonError):
    """BATON_EXEC: a task failed. ``task`` holds the task object when known."""
    code, name = 10, "EXEC"
    task: dict | None = None


class CancelledError(BatonError):
    """BATON_CANCELLED: the run or call was cancelled."""
    code, name = 11, "CANCELLED"


class TimeoutError(BatonError, builtins.TimeoutError):  # noqa: A001 (baton.TimeoutError)
    """BATON_TIMEOUT: something took longer than allowed."""
    code, name = 12, "TIMEOUT"


class LimitError(BatonError):
    """BATON_LIMIT: an input exceeds a configured limit."""
    code, name = 13, "LIMIT"


class DeniedError(BatonError, PermissionError):
    """BATON_DENIED: access denied (e.g. a file outside the allowed folders)."""
    code, name = 14, "DENIED"


class LlmError(BatonError):
    """BATON_LLM: the language model request failed."""
    code, name = 15, "LLM"


class BusyError(BatonError):
    """BATON_BUSY: busy."""
    code, name = 16, "BUSY"


_BY_CODE: Dict[int, Type[BatonError]] = {
    cls.code: cls
    for cls in (InternalError, NoMemoryError, InvalidError, ConfigError, NotFoundError, IoError,
                DbError, PlanError, UnavailableError, ExecError, CancelledError, TimeoutError,
                LimitError, DeniedError, LlmError, BusyError)
}


def error_for(code: int, message: str) -> BatonError:
    """The exception for a result code, carrying message."""
    cls = _BY_CODE.get(code, BatonError)
    return cls(message, code)
