"""A connection to batond, the daemon: its methods, and the files of the caller's runs."""

from __future__ import annotations

import ctypes
import json
import os
import tempfile
import threading
from typing import Any, Optional, Union

from . import _lib
from ._closing import Closing
from ._errors import BatonError, error_for

_Path = Union[str, bytes, "os.PathLike[str]"]
_CLOSED = "the Client was closed"


def _errmsg(lib: ctypes.CDLL, rc: int) -> str:
    msg = lib.baton_errmsg(None) or lib.baton_strerror(rc) or b""
    return msg.decode("utf-8", "replace")


def _refuse_nul(value: Any, what: str) -> bytes:
    """value (str, bytes or a path) as bytes; InvalidError when it holds a NUL, which C strings
    would silently cut at."""
    b = os.fsencode(value)
    if b"\0" in b:
        raise error_for(3, f"{what} is refused: it holds a NUL character (\\u0000), which baton "
                           "refuses rather than cut")
    return b


class Client(Closing):
    """A connection to batond on the socket config names (None: the default lookup, as Baton).

    Raises NotFoundError when no daemon answers (or $BATON_NO_DAEMON is set to anything but
    "0"), DeniedError when its socket refuses this user. One call at a time goes through a
    Client (others wait); use it as a context manager, or call close().

    A user the daemon serves (another uid than the daemon's) cannot open the daemon's run
    folders: fetch() copies a file one of its runs made, as `baton runs fetch` does.
    """

    def __init__(self, config: Optional[_Path] = None) -> None:
        self._lib = _lib.load()
        self._lock = threading.Lock()
        cfg = None if config is None else _refuse_nul(config, "the config path")
        c = ctypes.c_void_p()
        rc = self._lib.baton_client_connect(cfg, ctypes.byref(c))
        if rc != 0:
            raise error_for(rc, _errmsg(self._lib, rc))
        self._c: Optional[int] = c.value

    def _handle(self) -> int:
        if self._c is None:
            raise BatonError(f"{_CLOSED}: make a new one to go on")
        return self._c

    def call(self, method: str, params: Optional[dict] = None) -> Any:
        """Calls a daemon method (health, runs.list, run.get, submit, ...; INTERFACE.md) and
        returns its result, parsed. An error answer raises the BatonError of its code."""
        m = _refuse_nul(method, "the method")
        p = None if params is None else _refuse_nul(json.dumps(params), "the params")
        out = ctypes.c_void_p()
        with self._lock:
            rc = self._lib.baton_client_call(self._handle(), m, p, ctypes.byref(out))
            if rc != 0:
                raise error_for(rc, _errmsg(self._lib, rc))
        text = _lib.take_string(self._lib, out.value)
        return None if text is None else json.loads(text)

    def _fetch_into(self, path: bytes, fd: int) -> int:
        n = ctypes.c_ulonglong()
        with self._lock:
            rc = self._lib.baton_client_fetch(self._handle(), path, fd, ctypes.byref(n))
            if rc != 0:
                raise error_for(rc, _errmsg(self._lib, rc))
        return n.value

    def fetch(self, path: _Path, dest: Optional[_Path] = None) -> Optional[bytes]:
        """A file one of your runs made (path as its outputs name it), copied from the daemon.

        Without dest, returns its bytes. With dest, writes it there and returns None: first into
        dest + ".part" (which must not exist), renamed to dest once whole, so that a copy cut
        short leaves no dest. Raises NotFoundError when path is no file of a run of yours
        (another user's are not found), IoError when the copy fails.
        """
        src = _refuse_nul(path, "the path")
        if dest is None:
            with tempfile.TemporaryFile() as f:
                self._fetch_into(src, f.fileno())
                f.seek(0)
                return f.read()
        target = os.fsencode(dest)
        part = target + b".part"
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW,
                     0o644)
        done = False
        try:
            self._fetch_into(src, fd)
            os.close(fd)
            fd = -1
            os.rename(part, target)
            done = True
        finally:
            if fd >= 0:
                os.close(fd)
            if not done:
                try:
                    os.unlink(part)
                except OSError:
                    pass
        return None

    def close(self) -> None:
        """Closes the connection; calls after it raise BatonError."""
        with self._lock:
            c, self._c = self._c, None
        if c is not None:
            self._lib.baton_client_close(c)
