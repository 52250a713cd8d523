"""The Baton context: runs, plans, single tasks and model search over libbaton."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import errno
import itertools
import json
import os
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from . import _lib
from ._closing import Closing
from ._client import Client
from ._errors import BatonError, CancelledError, InvalidError, error_for

EventHandler = Callable[["Event"], None]
_Path = Union[str, bytes, "os.PathLike[str]"]
Inputs = Optional[Union[_Path, Sequence[_Path]]]  # one file, or a list of them
_FILE_OUTPUTS = ("image", "audio", "video", "file")  # "file": a text saved as asked
_TURN_OUTPUT_CHARS = 4096  # of a text output kept in a turn, as the REPL keeps it
_TURN_TASKS = 8  # tasks of an answer whose outputs a turn keeps, as the REPL does
_NUL = "a NUL character (\\u0000), which baton refuses rather than cut"  # as the daemon says
_CLOSED = "the Baton was closed"
_HANDLER = threading.local()  # .active: this thread is in an on_event handler


@dataclass
class Event:
    """One progress event of a run.

    type is the wire name: "plan", "task.started", "task.finished",
    "task.failed", "summary.delta" or "done". data is the event's JSON
    document (the plan, the task object, the result) parsed, or None.
    """

    type: str
    run_id: str
    task_id: int
    task: Optional[str]
    model: Optional[str]
    text: Optional[str]
    data: Any
    ts: float


@dataclass
class Result:
    """The outcome of a run, as `baton run --json` prints it.

    status is "done", "failed" or "cancelled"; summary the answer; tasks the
    task objects (id, task, model, status, outputs, error, ms); files every
    file the tasks produced (absolute paths); json the whole result object;
    raw its text.
    """

    run_id: str
    status: str
    summary: str
    tasks: List[Dict[str, Any]]
    files: List[str]
    json: Dict[str, Any] = field(repr=False)
    raw: str = field(repr=False)

    @property
    def ok(self) -> bool:
        """True when every task succeeded."""
        return self.status == "done"

    def turn(self, request: str) -> List[Dict[str, Any]]:
        """The two messages this run adds to a conversation, for the next call's messages=.

        The user's request, then the answer with the files the tasks produced,
        the newest output of each type ("it", "the result" next turn) and,
        when a translation wrote that text, its language ("lang"); and each
        task's outputs with its kind ("tasks": "the transcript", "the summary"
        next turn), as the REPL keeps them.
        """
        outputs: Dict[str, str] = {}
        made: List[Dict[str, Any]] = []  # {task, outputs, lang?} of each task with outputs
        plan = {p.get("id"): p for p in self.json.get("plan") or [] if isinstance(p, dict)}
        for t in self.tasks:
            kept = {kind: v[:_TURN_OUTPUT_CHARS] for kind, v in (t.get("outputs") or {}).items()
                    if isinstance(v, str) and (kind == "text" or v.startswith("/"))}
            if not kept:
                continue
            outputs.update(kept)
            entry: Dict[str, Any] = {"task": t.get("task", ""), "outputs": kept}
            lang = (plan.get(t.get("id"), {}).get("args") or {}).get("tgt_lang")
            if lang and "text" in kept:
                entry["lang"] = lang
            made = (made + [entry])[-_TURN_TASKS:]
        answer: Dict[str, Any] = {"role": "assistant", "content": self.summary}
        if self.files:
            answer["files"] = list(self.files)
        answer["outputs"] = outputs  # even empty: the content is a summary, not a result
        texts = [e for e in made if "text" in e["outputs"]]
        if texts and "lang" in texts[-1]:
            answer["lang"] = texts[-1]["lang"]  # the language of outputs["text"]
        if made:
            answer["tasks"] = made
        if self.status != "done":  # what went wrong is no answer to send a chat model
            answer["status"] = "failed"
        return [{"role": "user", "content": request}, answer]

    def read(self, which: Union[int, str] = 0, client: Optional[Client] = None) -> bytes:
        """The bytes of a file the run made.

        which: an index into files, one of files, or an output kind ("image", "audio",
        "video", "file": the first file of that kind). Read here; when this process may not
        open it (a run of the daemon's, whose run folders a user it serves cannot open),
        copied through client, or a Client of the default config made for this read (when no
        daemon answers, the PermissionError is raised). With client, always copied through it.
        Raises IndexError or KeyError when which names no file of the run.
        """
        path = self._file(which)
        if client is not None:
            return client.fetch(path) or b""
        try:
            with open(path, "rb") as f:
                return f.read()
        except OSError as e:
            if e.errno not in (errno.EACCES, errno.EPERM):
                raise
            try:  # a daemon's run: copied through it
                own = Client()
            except BatonError:
                raise e from None
            with own:
                return own.fetch(path) or b""

    def _file(self, which: Union[int, str]) -> str:
        if isinstance(which, int):
            return self.files[which]
        if which in self.files:
            return which
        for t in self.tasks:
            v = (t.get("outputs") or {}).get(which)
            v = v if isinstance(v, str) else next((p for p in v or [] if isinstance(p, str)), None)
            if which in _FILE_OUTPUTS and v:
                return v
        raise KeyError(f"{which!r} is no file of run {self.run_id} and no kind of file it made "
                       f"(its files: {self.files})")

    @classmethod
    def from_json(cls, raw: str) -> "Result":
        """Builds a Result from the result object's JSON text."""
        obj = json.loads(raw)
        tasks = obj.get("tasks") or []
        files: List[str] = []
        for t in tasks:
            outs = t.get("outputs") or {}
            for kind in _FILE_OUTPUTS:
                v = outs.get(kind)
                files.extend([v] if isinstance(v, str) else [p for p in v or [] if isinstance(p, str)])
        return cls(run_id=obj.get("run_id", ""), status=obj.get("status", ""),
                   summary=obj.get("summary") or "", tasks=tasks, files=files, json=obj, raw=raw)


class Plan(list):
    """A task graph: a list of task dicts (id, task, dep, args, model, ...).

    answer holds the LLM's own answer when it answered the request instead
    of planning (the list is then empty), else None. note holds what the
    planner noted about the plan (an input no step takes, a step left out),
    as a run's result carries it in "note", else None.
    """

    answer: Optional[str] = None
    note: Optional[str] = None


def _holds_nul(value: Any) -> bool:
    """Whether a str or bytes in value (a path, or dicts and lists of them) holds a NUL."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, str):
        return "\0" in value
    if isinstance(value, bytes):
        return b"\0" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_holds_nul(v) for v in value)
    return False


def _refuse_nul(value: Any, what: str, are: bool = False) -> None:
    """Raises InvalidError when value holds a NUL, which C strings would silently cut at.

    what names it: "the request", "input 'a.png'"...; are: it is plural ("messages").
    """
    if _holds_nul(value):
        where = "it" if isinstance(value, (str, bytes, os.PathLike)) else "a string in it"
        raise InvalidError(f"{what} {'are' if are else 'is'} refused: {where} holds {_NUL}", 3)


def _b(s: Optional[str]) -> Optional[bytes]:
    return None if s is None else s.encode("utf-8")


def _s(b: Optional[bytes]) -> Optional[str]:
    return None if b is None else b.decode("utf-8", "replace")


class _Submission:
    """A run being submitted or going: its request, what must stay alive with it (the request's
    buffers, the callback), its tag (to stop its planning alone) and its handle once submitted."""

    def __init__(self, req: Any, keep: Any, tag: int) -> None:
        self.req = req
        self.keep = keep
        self.tag = tag
        self.handle: Optional[int] = None
        self.callback: Any = None
        self.error: Optional[BaseException] = None  # raised by the on_event handler
        self.cancelled = False  # asked to stop (Ctrl-C, a cancelled arun): under lock
        self.lock = threading.Lock()


class Models:
    """The model registry of a Baton context (``b.models``)."""

    def __init__(self, owner: "Baton") -> None:
        self._owner = owner

    def search(self, text: str, task: Optional[str] = None, limit: int = 5) -> List[Dict[str, Any]]:
        """Models whose descriptions match text, best first (optionally of one task kind)."""
        o = self._owner
        _refuse_nul(text, "the search text")
        _refuse_nul(task, "the task")
        out = ctypes.c_void_p()
        with o._using() as ctx:
            rc = o._lib.baton_models_search(ctx, _b(text), _b(task and task.replace("_", "-")),
                                           int(limit), ctypes.byref(out))
            o._check(rc)
        return json.loads(_lib.take_string(o._lib, out.value) or "[]")

    def list(self, task: Optional[str] = None, limit: int = 0) -> List[Dict[str, Any]]:
        """The registry's models (of one task kind); limit <= 0 means all."""
        o = self._owner
        _refuse_nul(task, "the task")
        out = ctypes.c_void_p()
        with o._using() as ctx:
            rc = o._lib.baton_models_list(ctx, _b(task and task.replace("_", "-")), int(limit),
                                         ctypes.byref(out))
            o._check(rc)
        return json.loads(_lib.take_string(o._lib, out.value) or "[]")


class Baton(Closing):
    """A libbaton context: configuration, model registry, executors.

    config is a YAML config file; None uses the default lookup
    ($BATON_CONFIG, then $XDG_CONFIG_HOME/baton/config.yaml). Relative file
    paths in requests are resolved against the current directory and must
    lie under it or under the config's allowed_roots. Use it as a context
    manager, or call close().

    Methods may be called from several threads at once, close() included:
    it cancels what the others are doing, and their calls then raise
    CancelledError ("the Baton was closed"); calls made after it raise
    BatonError. Strings holding a NUL character are refused (InvalidError),
    never cut.
    """

    def __init__(self, config: Optional[str] = None) -> None:
        self._lib = _lib.load()
        self._ctx: Optional[int] = None
        self._lock = threading.Condition()  # guards _ctx, _closing, _inflight
        self._closing = False  # close() was called: no new call starts
        self._inflight = 0  # calls using _ctx right now
        self._freed = threading.Event()  # baton_close() has returned
        self._tags = itertools.count(1)  # interrupt tags, one per request
        _refuse_nul(config, "the config path")
        ctx = ctypes.c_void_p()
        rc = self._lib.baton_open(None if config is None else os.fsencode(config),
                                  ctypes.byref(ctx))
        if rc != 0:
            msg = self._lib.baton_errmsg(None)
            self._lib.baton_close(ctx)
            raise error_for(rc, _s(msg) or _s(self._lib.baton_strerror(rc)) or "")
        self._ctx = ctx.value
        self.models = Models(self)

    # ---- plumbing ----------------------------------------------------------

    @contextlib.contextmanager
    def _using(self) -> Any:
        """The context handle for one call into libbaton; close() frees it only after every
        such call has returned. Raises BatonError once closed."""
        with self._lock:
            if self._ctx is None or self._closing:
                raise BatonError(f"{_CLOSED}: make a new one to go on")
            self._inflight += 1
            ctx = self._ctx
        try:
            yield ctx
        finally:
            with self._lock:
                self._inflight -= 1
                if not self._inflight:
                    self._lock.notify_all()

    def _check(self, rc: int, submitted: bool = False) -> None:
        """Raises the error of a failed call; call it on the thread that made the call (the
        detail text, and the run a failed baton_submit() stored, are per thread)."""
        if rc != 0:
            msg = _s(self._lib.baton_errmsg(None)) or _s(self._lib.baton_strerror(rc)) or ""
            if self._closing and rc == CancelledError.code:
                msg = f"{_CLOSED} while this call was going ({msg})"
            err = error_for(rc, msg)
            if submitted:
                err.run_id = _s(self._lib.baton_failed_run_id(None)) or None
            raise err

    @staticmethod
    def _request(request: Optional[str], inputs: Inputs, offline: Optional[bool],
                 plan: Optional[Sequence[Dict[str, Any]]] = None,
                 messages: Optional[Sequence[Dict[str, Any]]] = None,
                 tag: int = 0) -> Tuple[_lib.Request, Any]:
        if messages is not None and (isinstance(messages, (str, bytes, dict)) or
                                     not all(isinstance(m, dict) for m in messages)):
            raise TypeError("messages must be a list of dicts such as "
                            "{'role': 'user', 'content': '...'} (see Result.turn)")
        _refuse_nul(request, "the request")
        _refuse_nul(plan, "the plan")
        _refuse_nul(messages, "messages", are=True)
        paths = _paths(inputs)
        for p in paths:
            _refuse_nul(p, f"input {os.fspath(p)!r}")
        ins = [os.fsencode(p) for p in paths]
        arr = (ctypes.c_char_p * max(len(ins), 1))(*ins)
        req = _lib.Request(text=_b(request), plan_json=_b(None if plan is None else json.dumps(plan)),
                           inputs=arr if ins else None, n_inputs=len(ins),
                           offline=1 if offline else 0,
                           messages=_b(None if messages is None else json.dumps(list(messages))),
                           interrupt_tag=tag)
        return req, arr

    def _prepare(self, request: Optional[str], inputs: Inputs,
                 offline: Optional[bool], handler: Optional[EventHandler],
                 plan: Optional[Sequence[Dict[str, Any]]] = None,
                 messages: Optional[Sequence[Dict[str, Any]]] = None) -> _Submission:
        """Checks the arguments of run()/arun() and makes the run to submit."""
        if request is None and plan is None:
            raise TypeError("give a request (a str) or a plan (a list of tasks): neither was given")
        if request is not None and plan is not None:
            raise TypeError("give a request (a str) or a plan (a list of tasks), not both")
        if request is not None and not isinstance(request, str):
            raise TypeError("request must be a str")
        tag = next(self._tags)
        sub = _Submission(*self._request(request, inputs, offline, plan, messages, tag), tag)
        if handler is not None:
            def trampoline(_ud: Any, evp: Any) -> None:
                if sub.error is not None:
                    return
                _HANDLER.active = True
                try:
                    handler(self._event(evp.contents))
                except BaseException as e:  # passed on to the caller after the run
                    sub.error = e
                finally:
                    _HANDLER.active = False
            sub.callback = _lib.EVENT_FN(trampoline)
        return sub

    def _submit(self, sub: _Submission) -> None:
        """Plans and starts the run (blocking while the LLM plans); sub.handle is then set."""
        run = ctypes.c_void_p()
        with self._using() as ctx:
            rc = self._lib.baton_submit(ctx, ctypes.byref(sub.req),
                                        sub.callback or _lib.EVENT_FN(), None, ctypes.byref(run))
            self._check(rc, submitted=True)
        with sub.lock:
            sub.handle = run.value
            cancelled = sub.cancelled
        if cancelled:  # asked while it was being submitted
            self._lib.baton_run_cancel(sub.handle)

    def _cancel(self, sub: _Submission) -> None:
        """Stops a run: its planning when it is still being submitted, else the run."""
        with sub.lock:
            sub.cancelled = True
            handle = sub.handle
        if handle:
            self._lib.baton_run_cancel(handle)
            return
        with self._lock:  # the context lives while this is held
            if self._ctx is not None:
                self._lib.baton_interrupt_tag(self._ctx, sub.tag)

    def _event(self, ev: _lib.Event) -> Event:
        raw = _s(ev.json)
        return Event(type=_s(self._lib.baton_event_name(ev.type)) or "", run_id=_s(ev.run_id) or "",
                     task_id=ev.task_id, task=_s(ev.task), model=_s(ev.model), text=_s(ev.text),
                     data=json.loads(raw) if raw else None, ts=ev.ts)

    def _finish(self, sub: _Submission) -> Result:
        try:
            raw = _s(self._lib.baton_run_result_json(sub.handle)) or "{}"
        finally:
            self._lib.baton_run_free(sub.handle)
        if sub.error is not None:
            raise sub.error
        result = Result.from_json(raw)
        if self._closing and result.status == "cancelled":
            err = CancelledError(f"{_CLOSED} while the run was going: it was cancelled",
                                 CancelledError.code)
            err.result = result  # type: ignore[attr-defined]
            raise err
        return result

    @staticmethod
    def _interruptibly(work: Callable[[], Any], stop: Callable[[], None]) -> Any:
        """work() on a thread of its own, so that Ctrl-C (KeyboardInterrupt) reaches this one
        at once: then stop() is called, work() waited for, and the interrupt raised."""
        box: Dict[str, Any] = {}

        def body() -> None:
            try:
                box["value"] = work()
            except BaseException as e:  # raised on the caller's thread
                box["error"] = e
        t = threading.Thread(target=body, daemon=True)
        t.start()
        try:
            while t.is_alive():
                t.join(0.1)
        except BaseException:
            stop()
            t.join()
            raise
        if "error" in box:
            raise box["error"]
        return box.get("value")

    # ---- the API -----------------------------------------------------------

    def run(self, request: Optional[str] = None, inputs: Inputs = None,
            offline: Optional[bool] = None, on_event: Optional[EventHandler] = None, *,
            plan: Optional[Sequence[Dict[str, Any]]] = None,
            messages: Optional[Sequence[Dict[str, Any]]] = None) -> Result:
        """Plans a request, runs every task and returns the Result.

        inputs are extra files the request refers to: one path or a list of
        paths ("" or b"": none). offline=True plans and summarises without the LLM even when
        one is configured. on_event is
        called with each Event from the library's threads; an exception it
        raises is raised here after the run. A failed task does not raise:
        check Result.status. Raises InvalidError/PlanError for a request that
        cannot be planned. plan, instead of a request, is a task graph to run
        as is (HuggingGPT format: [{"task", "id", "dep", "args"}]). messages
        are the conversation so far, oldest first (each run's Result.turn()
        adds its two): "it", "that", "the original ..." then refer to what
        earlier turns produced. Ctrl-C (KeyboardInterrupt) cancels this run
        alone, also while the LLM is still planning it.
        """
        sub = self._prepare(request, inputs, offline, on_event, plan, messages)

        def work() -> None:
            self._submit(sub)
            self._lib.baton_run_wait(sub.handle)
        try:
            self._interruptibly(work, lambda: self._cancel(sub))
        except BaseException:
            if sub.handle:
                self._lib.baton_run_free(sub.handle)  # waited for above
            raise
        return self._finish(sub)

    async def arun(self, request: Optional[str] = None, inputs: Inputs = None,
                   offline: Optional[bool] = None, on_event: Optional[EventHandler] = None, *,
                   plan: Optional[Sequence[Dict[str, Any]]] = None,
                   messages: Optional[Sequence[Dict[str, Any]]] = None) -> Result:
        """run() for asyncio: on_event is called on the event loop's thread.

        Cancelling the awaiting task cancels the run (or its planning, not
        another's), waits for it to stop, then raises asyncio.CancelledError.
        """
        loop = asyncio.get_running_loop()
        handler = None
        if on_event is not None:
            def handler(ev: Event) -> None:
                loop.call_soon_threadsafe(on_event, ev)
        sub = self._prepare(request, inputs, offline, handler, plan, messages)
        submitting = loop.run_in_executor(None, self._submit, sub)
        try:
            await asyncio.shield(submitting)
        except asyncio.CancelledError:
            self._cancel(sub)
            try:
                await submitting
            except BatonError:
                raise asyncio.CancelledError() from None
            await loop.run_in_executor(None, self._lib.baton_run_wait, sub.handle)
            self._lib.baton_run_free(sub.handle)
            raise
        waiting = loop.run_in_executor(None, self._lib.baton_run_wait, sub.handle)
        try:
            await asyncio.shield(waiting)
        except asyncio.CancelledError:
            self._cancel(sub)
            await waiting
            self._lib.baton_run_free(sub.handle)
            raise
        return self._finish(sub)

    def plan(self, request: str, offline: Optional[bool] = None,
             messages: Optional[Sequence[Dict[str, Any]]] = None,
             inputs: Inputs = None) -> Plan:
        """The task graph a request would run as, each task with its model and candidates.

        messages: the conversation so far, and inputs: extra files the
        request refers to, as for run(). Ctrl-C stops the LLM still planning.
        """
        tag = next(self._tags)
        req, keep = self._request(request, inputs, offline, None, messages, tag)

        def work() -> Tuple[Optional[str], Optional[str], Optional[str]]:
            out, answer, note = ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_void_p()
            with self._using() as ctx:
                rc = self._lib.baton_plan_noted(ctx, ctypes.byref(req), ctypes.byref(out),
                                                ctypes.byref(answer), ctypes.byref(note))
                self._check(rc)
            return (_lib.take_string(self._lib, out.value),
                    _lib.take_string(self._lib, answer.value),
                    _lib.take_string(self._lib, note.value))

        def stop() -> None:
            with self._lock:
                if self._ctx is not None:
                    self._lib.baton_interrupt_tag(self._ctx, tag)
        text, answer, note = self._interruptibly(work, stop)
        del keep
        plan = Plan(json.loads(text or "[]"))
        plan.answer = answer
        plan.note = note
        return plan

    def task(self, task: str, model: Optional[str] = None, **args: Any) -> Dict[str, Any]:
        """Runs one task directly, e.g. b.task("image-to-text", image="sign.png").

        Returns the task object (status, model, outputs, ms). Argument values
        are passed as strings. Raises ExecError (with .task) when it fails.
        Ctrl-C (KeyboardInterrupt) cancels the task, as for run().
        """
        _refuse_nul(task, "the task")
        _refuse_nul(model, "the model")
        _refuse_nul(args, "the task arguments", are=True)
        if not isinstance(task, str) or not task:
            raise error_for(InvalidError.code, "no task given")
        step: Dict[str, Any] = {"task": task.replace("_", "-"), "id": 0, "dep": [-1],
                                "args": {k: v if isinstance(v, str) else json.dumps(v)
                                         for k, v in args.items()}}
        if model is not None:
            step["model"] = model
        sub = self._prepare(None, None, None, None, [step])
        box: Dict[str, int] = {}

        def work() -> None:
            self._submit(sub)
            box["rc"] = self._lib.baton_run_wait(sub.handle)
        try:
            self._interruptibly(work, lambda: self._cancel(sub))
            raw = _s(self._lib.baton_run_result_json(sub.handle)) or "{}"
        finally:
            if sub.handle:
                self._lib.baton_run_free(sub.handle)  # waited for above
        tasks = json.loads(raw).get("tasks") or [{}]
        rc = box["rc"]
        if rc != 0:
            msg = tasks[0].get("error") or _s(self._lib.baton_strerror(rc)) or ""
            if self._closing and rc == CancelledError.code:
                msg = f"{_CLOSED} while this call was going ({msg})"
            err = error_for(rc, msg)
            err.task = tasks[0]  # type: ignore[attr-defined]
            raise err
        return tasks[0]

    def close(self) -> None:
        """Closes the context: runs still going are cancelled and waited for.

        Other threads' calls in progress stop soon (planning is interrupted,
        runs cancelled) and raise CancelledError; close() waits for them to
        return, then frees the context. Calls after it raise BatonError.
        Called from an on_event handler, it cancels everything and returns
        at once; the context is freed by the next close() (or when the
        Baton is garbage-collected).
        """
        with self._lock:
            if self._ctx is None:
                closed_elsewhere = self._closing
                ctx = None
            else:
                closed_elsewhere = False
                if not self._closing:
                    self._closing = True
                    self._lib.baton_shutdown(self._ctx)  # returns at once
                if getattr(_HANDLER, "active", False):
                    return  # waiting here would wait for this very handler
                while self._inflight:
                    self._lock.wait()
                ctx, self._ctx = self._ctx, None
        if ctx is not None:
            self._lib.baton_close(ctx)  # waits for the runs cancelled to end
            self._freed.set()
        elif closed_elsewhere and not getattr(_HANDLER, "active", False):
            self._freed.wait()


def _paths(inputs: Any) -> List[Any]:
    """inputs as a list of paths: one str, bytes or os.PathLike is one file, not its characters;
    None or an empty str or bytes is none."""
    if inputs is None or (isinstance(inputs, (str, bytes)) and not inputs):
        return []
    if isinstance(inputs, (str, bytes, os.PathLike)):
        return [inputs]
    return list(inputs)


def version() -> str:
    """The libbaton version ("MAJOR.MINOR.PATCH")."""
    return _s(_lib.load().baton_version()) or ""
