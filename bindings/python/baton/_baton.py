"""The Baton context: runs, plans, single tasks and model search over libbaton."""

from __future__ import annotations

import asyncio
import ctypes
import json
import os
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from . import _lib
from ._errors import BatonError, CancelledError, error_for

EventHandler = Callable[["Event"], None]
_Path = Union[str, bytes, "os.PathLike[str]"]
Inputs = Optional[Union[_Path, Sequence[_Path]]]  # one file, or a list of them
_FILE_OUTPUTS = ("image", "audio", "video", "file")  # "file": a text saved as asked
_TURN_OUTPUT_CHARS = 4096  # of a text output kept in a turn, as the REPL keeps it
_TURN_TASKS = 8  # tasks of an answer whose outputs a turn keeps, as the REPL does


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


def _b(s: Optional[str]) -> Optional[bytes]:
    return None if s is None else s.encode("utf-8")


def _s(b: Optional[bytes]) -> Optional[str]:
    return None if b is None else b.decode("utf-8", "replace")


class _Submission:
    """A submitted run and what must stay alive with it (the callback)."""

    def __init__(self, handle: int, callback: Any) -> None:
        self.handle = handle
        self.callback = callback
        self.error: Optional[BaseException] = None


class Models:
    """The model registry of a Baton context (``b.models``)."""

    def __init__(self, owner: "Baton") -> None:
        self._owner = owner

    def search(self, text: str, task: Optional[str] = None, limit: int = 5) -> List[Dict[str, Any]]:
        """Models whose descriptions match text, best first (optionally of one task kind)."""
        o = self._owner
        out = ctypes.c_void_p()
        rc = o._lib.baton_models_search(o._handle(), _b(text), _b(task and task.replace("_", "-")),
                                       int(limit), ctypes.byref(out))
        o._check(rc)
        return json.loads(_lib.take_string(o._lib, out.value) or "[]")

    def list(self, task: Optional[str] = None, limit: int = 0) -> List[Dict[str, Any]]:
        """The registry's models (of one task kind); limit <= 0 means all."""
        o = self._owner
        out = ctypes.c_void_p()
        rc = o._lib.baton_models_list(o._handle(), _b(task and task.replace("_", "-")), int(limit),
                                     ctypes.byref(out))
        o._check(rc)
        return json.loads(_lib.take_string(o._lib, out.value) or "[]")


class Baton:
    """A libbaton context: configuration, model registry, executors.

    config is a YAML config file; None uses the default lookup
    ($BATON_CONFIG, then $XDG_CONFIG_HOME/baton/config.yaml). Relative file
    paths in requests are resolved against the current directory and must
    lie under it or under the config's allowed_roots. Use it as a context
    manager, or call close(). Methods may be called from several threads.
    """

    def __init__(self, config: Optional[str] = None) -> None:
        self._lib = _lib.load()
        self._ctx: Optional[int] = None
        ctx = ctypes.c_void_p()
        rc = self._lib.baton_open(_b(config), ctypes.byref(ctx))
        if rc != 0:
            msg = self._lib.baton_errmsg(ctx) if ctx.value else None
            self._lib.baton_close(ctx)
            raise error_for(rc, _s(msg) or _s(self._lib.baton_strerror(rc)) or "")
        self._ctx = ctx.value
        self.models = Models(self)

    # ---- plumbing ----------------------------------------------------------

    def _handle(self) -> int:
        if self._ctx is None:
            raise BatonError("the Baton context is closed")
        return self._ctx

    def _check(self, rc: int) -> None:
        if rc != 0:
            msg = _s(self._lib.baton_errmsg(self._ctx)) or _s(self._lib.baton_strerror(rc)) or ""
            raise error_for(rc, msg)

    @staticmethod
    def _request(request: Optional[str], inputs: Inputs, offline: Optional[bool],
                 plan: Optional[Sequence[Dict[str, Any]]] = None,
                 messages: Optional[Sequence[Dict[str, Any]]] = None) -> Tuple[_lib.Request, Any]:
        if messages is not None and (isinstance(messages, (str, bytes, dict)) or
                                     not all(isinstance(m, dict) for m in messages)):
            raise TypeError("messages must be a list of dicts such as "
                            "{'role': 'user', 'content': '...'} (see Result.turn)")
        ins = [os.fsencode(p) for p in _paths(inputs)]
        arr = (ctypes.c_char_p * max(len(ins), 1))(*ins)
        req = _lib.Request(text=_b(request), plan_json=_b(None if plan is None else json.dumps(plan)),
                           inputs=arr if ins else None, n_inputs=len(ins),
                           offline=1 if offline else 0,
                           messages=_b(None if messages is None else json.dumps(list(messages))))
        return req, arr

    def _submit(self, request: Optional[str], inputs: Inputs,
                offline: Optional[bool], handler: Optional[EventHandler],
                plan: Optional[Sequence[Dict[str, Any]]] = None,
                messages: Optional[Sequence[Dict[str, Any]]] = None) -> _Submission:
        if request is None and plan is None:
            raise TypeError("give a request (a str) or a plan (a list of tasks): neither was given")
        if request is not None and plan is not None:
            raise TypeError("give a request (a str) or a plan (a list of tasks), not both")
        if request is not None and not isinstance(request, str):
            raise TypeError("request must be a str")
        req, keep = self._request(request, inputs, offline, plan, messages)
        sub = _Submission(0, None)
        if handler is not None:
            def trampoline(_ud: Any, evp: Any) -> None:
                if sub.error is not None:
                    return
                try:
                    handler(self._event(evp.contents))
                except BaseException as e:  # passed on to the caller after the run
                    sub.error = e
            sub.callback = _lib.EVENT_FN(trampoline)
        run = ctypes.c_void_p()
        rc = self._lib.baton_submit(self._handle(), ctypes.byref(req),
                                    sub.callback or _lib.EVENT_FN(), None, ctypes.byref(run))
        del keep
        self._check(rc)
        sub.handle = run.value
        return sub

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
        return Result.from_json(raw)

    def _wait(self, sub: _Submission) -> None:
        """Waits for a run; Ctrl-C (KeyboardInterrupt) cancels it first."""
        t = threading.Thread(target=self._lib.baton_run_wait, args=(sub.handle,), daemon=True)
        t.start()
        try:
            while t.is_alive():
                t.join(0.1)
        except BaseException:
            self._lib.baton_run_cancel(sub.handle)
            t.join()
            self._lib.baton_run_free(sub.handle)
            raise

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
        earlier turns produced.
        """
        sub = self._submit(request, inputs, offline, on_event, plan, messages)
        self._wait(sub)
        return self._finish(sub)

    async def arun(self, request: Optional[str] = None, inputs: Inputs = None,
                   offline: Optional[bool] = None, on_event: Optional[EventHandler] = None, *,
                   plan: Optional[Sequence[Dict[str, Any]]] = None,
                   messages: Optional[Sequence[Dict[str, Any]]] = None) -> Result:
        """run() for asyncio: on_event is called on the event loop's thread.

        Cancelling the awaiting task cancels the run (and any planning under
        way on this context), waits for it to stop, then raises
        asyncio.CancelledError.
        """
        loop = asyncio.get_running_loop()
        handler = None
        if on_event is not None:
            def handler(ev: Event) -> None:
                loop.call_soon_threadsafe(on_event, ev)
        submitting = loop.run_in_executor(None, self._submit, request, inputs, offline, handler,
                                          plan, messages)
        try:
            sub = await asyncio.shield(submitting)
        except asyncio.CancelledError:
            self._lib.baton_interrupt(self._handle())
            try:
                sub = await submitting
            except BatonError:
                raise asyncio.CancelledError() from None
            self._lib.baton_run_cancel(sub.handle)
            await loop.run_in_executor(None, self._lib.baton_run_wait, sub.handle)
            self._lib.baton_run_free(sub.handle)
            raise
        waiting = loop.run_in_executor(None, self._lib.baton_run_wait, sub.handle)
        try:
            await asyncio.shield(waiting)
        except asyncio.CancelledError:
            self._lib.baton_run_cancel(sub.handle)
            await waiting
            self._lib.baton_run_free(sub.handle)
            raise
        return self._finish(sub)

    def plan(self, request: str, offline: Optional[bool] = None,
             messages: Optional[Sequence[Dict[str, Any]]] = None) -> Plan:
        """The task graph a request would run as, each task with its model and candidates.

        messages: the conversation so far, as for run().
        """
        req, keep = self._request(request, None, offline, None, messages)
        out, answer, note = ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_void_p()
        rc = self._lib.baton_plan_noted(self._handle(), ctypes.byref(req), ctypes.byref(out),
                                        ctypes.byref(answer), ctypes.byref(note))
        del keep
        self._check(rc)
        plan = Plan(json.loads(_lib.take_string(self._lib, out.value) or "[]"))
        plan.answer = _lib.take_string(self._lib, answer.value)
        plan.note = _lib.take_string(self._lib, note.value)
        return plan

    def task(self, task: str, model: Optional[str] = None, **args: Any) -> Dict[str, Any]:
        """Runs one task directly, e.g. b.task("image-to-text", image="sign.png").

        Returns the task object (status, model, outputs, ms). Argument values
        are passed as strings. Raises ExecError (with .task) when it fails.
        """
        args_json = json.dumps({k: v if isinstance(v, str) else json.dumps(v) for k, v in args.items()})
        out = ctypes.c_void_p()
        rc = self._lib.baton_task(self._handle(), _b(task.replace("_", "-")), _b(args_json),
                                  _b(model), None, ctypes.byref(out))
        msg = _s(self._lib.baton_errmsg(self._ctx)) if rc else None
        text = _lib.take_string(self._lib, out.value)
        if rc != 0:
            err = error_for(rc, msg or _s(self._lib.baton_strerror(rc)) or "")
            if text:
                err.task = json.loads(text)  # type: ignore[attr-defined]
            raise err
        return json.loads(text or "{}")

    def close(self) -> None:
        """Closes the context; runs still going are cancelled and waited for."""
        if self._ctx is not None:
            self._lib.baton_close(self._ctx)
            self._ctx = None

    def __enter__(self) -> "Baton":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


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
