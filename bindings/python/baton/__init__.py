"""baton: HuggingGPT-style task orchestration from Python (ctypes over libbaton).

    import baton
    with baton.Baton() as b:
        result = b.run("read the text in sign.png and summarize it")
        print(result.summary)

baton.Client() talks to a running batond: its methods, and fetch() of a file
one of your runs made, which a user the daemon serves may not open itself.

libbaton is found through $BATON_LIBRARY, else the installed library.
Failures raise baton.BatonError subclasses named after libbaton's result
codes (InvalidError, NotFoundError, ExecError, ...).
"""

from ._baton import Baton, Event, Models, Plan, Result, version
from ._client import Client
from ._errors import (BatonError, BusyError, CancelledError, ConfigError, DbError, DeniedError,
                      ExecError, InternalError, InvalidError, IoError, LimitError, LlmError,
                      NoMemoryError, NotFoundError, PlanError, TimeoutError, UnavailableError)

__all__ = [
    "Baton", "Client", "Event", "Models", "Plan", "Result", "version",
    "BatonError", "BusyError", "CancelledError", "ConfigError", "DbError", "DeniedError",
    "ExecError", "InternalError", "InvalidError", "IoError", "LimitError", "LlmError",
    "NoMemoryError", "NotFoundError", "PlanError", "TimeoutError", "UnavailableError",
]
__version__ = "0.1.0"
