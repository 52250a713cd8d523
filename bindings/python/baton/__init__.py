"""baton: HuggingGPT-style task orchestration from Python (ctypes over libbaton).

    import baton
    with baton.Baton() as b:
        result = b.run("read the text in sign.png and summarize it")
        print(result.summary)

libbaton is found through $BATON_LIBRARY, else the installed library.
Failures raise baton.BatonError subclasses named after libbaton's result
codes (InvalidError, NotFoundError, ExecError, ...).
"""

from ._baton import Baton, Event, Models, Plan, Result, version
from ._errors import (BatonError, BusyError, CancelledError, ConfigError, DbError, DeniedError,
                      ExecError, InternalError, InvalidError, IoError, LimitError, LlmError,
                      NoMemoryError, NotFoundError, PlanError, TimeoutError, UnavailableError)

__all__ = [
    "Baton", "Event", "Models", "Plan", "Result", "version",
    "BatonError", "BusyError", "CancelledError", "ConfigError", "DbError", "DeniedError",
    "ExecError", "InternalError", "InvalidError", "IoError", "LimitError", "LlmError",
    "NoMemoryError", "NotFoundError", "PlanError", "TimeoutError", "UnavailableError",
]
__version__ = "0.1.0"
