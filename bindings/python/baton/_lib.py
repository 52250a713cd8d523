"""Finding libbaton and declaring the C functions and structures used (include/baton.h)."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from typing import Optional

c_char_p = ctypes.c_char_p
c_void_p = ctypes.c_void_p
c_int = ctypes.c_int


class Request(ctypes.Structure):
    """struct baton_request; size is set to the struct's size (BATON_REQUEST_INIT)."""
    _fields_ = [
        ("size", ctypes.c_size_t),
        ("text", c_char_p),
        ("plan_json", c_char_p),
        ("inputs", ctypes.POINTER(c_char_p)),
        ("n_inputs", ctypes.c_size_t),
        ("offline", c_int),
        ("input_root", c_char_p),
        ("messages", c_char_p),
        ("as_caller", c_int),
        ("caller_uid", ctypes.c_uint),
        ("caller_gid", ctypes.c_uint),
        ("home", c_char_p),
        ("caller_groups", ctypes.POINTER(ctypes.c_uint)),
        ("n_caller_groups", ctypes.c_size_t),
        ("interrupt_tag", ctypes.c_uint64),
    ]

    def __init__(self, **kw):
        super().__init__(size=ctypes.sizeof(Request), **kw)


class Event(ctypes.Structure):
    """struct baton_event."""
    _fields_ = [
        ("size", ctypes.c_size_t),
        ("type", c_int),
        ("run_id", c_char_p),
        ("task_id", c_int),
        ("task", c_char_p),
        ("model", c_char_p),
        ("text", c_char_p),
        ("json", c_char_p),
        ("ts", ctypes.c_double),
    ]


EVENT_FN = ctypes.CFUNCTYPE(None, c_void_p, ctypes.POINTER(Event))

# name: (restype, argtypes)
_SIGNATURES = {
    "baton_strerror": (c_char_p, [c_int]),
    "baton_version": (c_char_p, []),
    "baton_free": (None, [c_void_p]),
    "baton_open": (c_int, [c_char_p, ctypes.POINTER(c_void_p)]),
    "baton_close": (None, [c_void_p]),
    "baton_shutdown": (None, [c_void_p]),
    "baton_errmsg": (c_char_p, [c_void_p]),
    "baton_failed_run_id": (c_char_p, [c_void_p]),
    "baton_event_name": (c_char_p, [c_int]),
    "baton_submit": (c_int, [c_void_p, ctypes.POINTER(Request), EVENT_FN, c_void_p,
                             ctypes.POINTER(c_void_p)]),
    "baton_run_wait": (c_int, [c_void_p]),
    "baton_run_cancel": (None, [c_void_p]),
    "baton_interrupt": (None, [c_void_p]),
    "baton_interrupt_tag": (None, [c_void_p, ctypes.c_uint64]),
    "baton_run_id": (c_char_p, [c_void_p]),
    "baton_run_result_json": (c_char_p, [c_void_p]),
    "baton_run_free": (None, [c_void_p]),
    "baton_plan_answer": (c_int, [c_void_p, ctypes.POINTER(Request), ctypes.POINTER(c_void_p),
                                  ctypes.POINTER(c_void_p)]),
    "baton_plan_noted": (c_int, [c_void_p, ctypes.POINTER(Request), ctypes.POINTER(c_void_p),
                                 ctypes.POINTER(c_void_p), ctypes.POINTER(c_void_p)]),
    "baton_task": (c_int, [c_void_p, c_char_p, c_char_p, c_char_p, c_char_p,
                           ctypes.POINTER(c_void_p)]),
    "baton_models_search": (c_int, [c_void_p, c_char_p, c_char_p, c_int,
                                    ctypes.POINTER(c_void_p)]),
    "baton_models_list": (c_int, [c_void_p, c_char_p, c_int, ctypes.POINTER(c_void_p)]),
    "baton_client_connect": (c_int, [c_char_p, ctypes.POINTER(c_void_p)]),
    "baton_client_close": (None, [c_void_p]),
    "baton_client_call": (c_int, [c_void_p, c_char_p, c_char_p, ctypes.POINTER(c_void_p)]),
    "baton_client_fetch": (c_int, [c_void_p, c_char_p, c_int,
                                   ctypes.POINTER(ctypes.c_ulonglong)]),
}

_lock = threading.Lock()
_lib: Optional[ctypes.CDLL] = None


def _candidates() -> list:
    env = os.environ.get("BATON_LIBRARY")
    if env:
        return [env]
    found = ctypes.util.find_library("baton")
    names = [found] if found else []
    return names + ["libbaton.so.0", "libbaton.so", "/usr/local/lib/libbaton.so.0",
                    "/usr/local/lib/libbaton.so"]


def load() -> ctypes.CDLL:
    """The loaded libbaton: $BATON_LIBRARY, else the installed library.

    Raises OSError naming what was tried when none loads.
    """
    global _lib
    with _lock:
        if _lib is not None:
            return _lib
        errors = []
        for name in _candidates():
            try:
                lib = ctypes.CDLL(name)
            except OSError as e:
                errors.append(f"{name}: {e}")
                continue
            for fn, (res, args) in _SIGNATURES.items():
                f = getattr(lib, fn)
                f.restype = res
                f.argtypes = args
            _lib = lib
            return lib
        raise OSError("libbaton not found; set BATON_LIBRARY to the path of libbaton.so "
                      "or install baton (" + "; ".join(errors) + ")")


def take_string(lib: ctypes.CDLL, ptr: Optional[int]) -> Optional[str]:
    """Copies a string the library handed out and frees it."""
    if not ptr:
        return None
    try:
        return ctypes.string_at(ptr).decode("utf-8", "replace")
    finally:
        lib.baton_free(ptr)
