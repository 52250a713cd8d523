"""Tests of a Baton used from several threads: close() while others call, and stopping a run's
planning (Ctrl-C, a cancelled arun) without touching another's, with an LLM that never answers."""

import asyncio
import os
import shutil
import signal
import socket
import sqlite3
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import baton  # noqa: E402

ECHO = [{"task": "debug-echo", "id": 0, "dep": [-1], "args": {"text": "x"}}]


def sleep_plan(ms: int) -> list:
    return [{"task": "debug-sleep", "id": 0, "dep": [-1], "args": {"text": str(ms)}}]


class SilentLlm:
    """An LLM on 127.0.0.1 that takes every connection and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = "http://127.0.0.1:%d/v1" % self.sock.getsockname()[1]
        self.conns: list = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)

    def wait_for(self, n: int, seconds: float = 30) -> None:
        until = time.monotonic() + seconds
        while len(self.conns) < n:
            if time.monotonic() > until:
                raise AssertionError("the planning calls never reached the LLM")
            time.sleep(0.02)

    def close(self) -> None:
        self.sock.close()
        for c in self.conns:
            c.close()


class Home(unittest.TestCase):
    """A fresh data folder and working folder per test; config() writes a config file."""

    def setUp(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="baton-py-threads-")
        self.old_cwd = os.getcwd()
        self.old_env = dict(os.environ)
        os.environ.update(BATON_HOME=os.path.join(self.dir, "home"), BATON_DEBUG_EXECUTORS="1",
                          BATON_NO_DAEMON="1")
        for k in ("BATON_CONFIG", "BATON_LLM_BASE_URL", "OPENAI_BASE_URL"):
            os.environ.pop(k, None)
        os.chdir(self.dir)

    def tearDown(self) -> None:
        os.chdir(self.old_cwd)
        os.environ.clear()
        os.environ.update(self.old_env)
        shutil.rmtree(self.dir, ignore_errors=True)

    def config(self, text: str) -> str:
        path = os.path.join(self.dir, "config.yaml")
        with open(path, "w") as f:
            f.write("workers: 4\n" + text)
        return path


class CloseTest(Home):
    def test_close_while_threads_run_ends_each_with_a_clear_error(self) -> None:
        b = baton.Baton(self.config(""))
        errors: list = []

        def loop() -> None:
            for _ in range(200):
                try:
                    b.run(plan=ECHO)
                except Exception as e:  # noqa: BLE001 (what each thread saw)
                    errors.append(e)
                    return
            errors.append(None)  # all 200 ran before the close

        threads = [threading.Thread(target=loop) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        t0 = time.monotonic()
        b.close()
        for t in threads:
            t.join(60)
        self.assertFalse(any(t.is_alive() for t in threads), "a thread hangs after close()")
        self.assertLess(time.monotonic() - t0, 30)
        self.assertEqual(len(errors), 4)
        for e in errors:
            if e is not None:
                self.assertIsInstance(e, baton.BatonError, repr(e))
                self.assertIn("the Baton was closed", str(e))
        with self.assertRaises(baton.BatonError) as cm:
            b.run(plan=ECHO)
        self.assertIn("the Baton was closed", str(cm.exception))
        b.close()  # again: nothing

    def test_close_cancels_a_run_going_on_another_thread(self) -> None:
        b = baton.Baton(self.config(""))
        started = threading.Event()
        seen: dict = {}

        def sleeper() -> None:
            try:
                seen["result"] = b.run(plan=sleep_plan(20000), on_event=lambda ev: (
                    ev.type == "task.started" and started.set()))
            except BaseException as e:  # noqa: BLE001
                seen["error"] = e

        t = threading.Thread(target=sleeper)
        t.start()
        self.assertTrue(started.wait(30))
        t0 = time.monotonic()
        b.close()
        took = time.monotonic() - t0
        t.join(30)
        self.assertLess(took, 10.0)  # of a 20 s sleep
        self.assertNotIn("result", seen)
        self.assertIsInstance(seen.get("error"), baton.CancelledError, seen)
        self.assertIn("the Baton was closed", str(seen["error"]))
        self.assertEqual(seen["error"].result.status, "cancelled")

    def test_close_stops_a_task_call_on_another_thread(self) -> None:
        b = baton.Baton(self.config(""))
        seen: dict = {}

        def sleeper() -> None:
            try:
                seen["task"] = b.task("debug-sleep", text="20000")
            except BaseException as e:  # noqa: BLE001
                seen["error"] = e

        t = threading.Thread(target=sleeper)
        t.start()
        time.sleep(1.0)
        t0 = time.monotonic()
        b.close()
        self.assertLess(time.monotonic() - t0, 10.0)
        t.join(30)
        self.assertIsInstance(seen.get("error"), baton.CancelledError, seen)
        self.assertIn("the Baton was closed", str(seen["error"]))


class InterruptTest(Home):
    def test_ctrl_c_cancels_a_task_call_and_the_baton_goes_on(self) -> None:
        b = baton.Baton(self.config(""))
        self.addCleanup(b.close)
        main = threading.main_thread().ident
        # Python's Ctrl-C handler, even when started with SIGINT ignored (in the background)
        self.addCleanup(signal.signal, signal.SIGINT,
                        signal.signal(signal.SIGINT, signal.default_int_handler))
        history = os.path.join(self.dir, "home", "runs.db")

        def statuses() -> list:
            if not os.path.exists(history):
                return []
            db = sqlite3.connect(f"file:{history}?mode=ro", uri=True, timeout=5)
            try:
                return [r[0] for r in db.execute("SELECT status FROM runs")]
            except sqlite3.Error:
                return []  # not made yet
            finally:
                db.close()

        def interrupt() -> None:
            until = time.monotonic() + 30
            while statuses() != ["running"]:  # the task's run has started
                if time.monotonic() > until:
                    return
                time.sleep(0.05)
            time.sleep(0.3)
            signal.pthread_kill(main, signal.SIGINT)

        threading.Thread(target=interrupt, daemon=True).start()
        t0 = time.monotonic()
        with self.assertRaises(KeyboardInterrupt):
            b.task("debug-sleep", text="20000")
        # not the task's 20 s: it was cancelled (task() returns once its run has ended)
        self.assertLess(time.monotonic() - t0, 10.0)
        self.assertEqual(statuses(), ["cancelled"])
        again = b.task("debug-echo", text="still here")  # the Baton goes on
        self.assertEqual(again["status"], "done", again)
        self.assertEqual(again["outputs"]["text"], "still here")


class PlanningTest(Home):
    def setUp(self) -> None:
        super().setUp()
        self.llm = SilentLlm()

    def tearDown(self) -> None:
        self.llm.close()
        super().tearDown()

    def baton_on_llm(self, timeout_ms: int) -> baton.Baton:
        return baton.Baton(self.config(f"llm:\n  base_url: {self.llm.url}\n"
                                       f"  timeout_ms: {timeout_ms}\n"))

    def test_ctrl_c_stops_a_run_the_llm_is_still_planning(self) -> None:
        b = self.baton_on_llm(20000)
        self.addCleanup(b.close)
        main = threading.main_thread().ident
        # Python's Ctrl-C handler, even when started with SIGINT ignored (in the background)
        self.addCleanup(signal.signal, signal.SIGINT,
                        signal.signal(signal.SIGINT, signal.default_int_handler))

        def interrupt() -> None:
            self.llm.wait_for(1)
            time.sleep(0.3)
            signal.pthread_kill(main, signal.SIGINT)

        threading.Thread(target=interrupt, daemon=True).start()
        t0 = time.monotonic()
        with self.assertRaises(KeyboardInterrupt):
            b.run("say hello")
        self.assertLess(time.monotonic() - t0, 8.0)  # not the LLM's 20 s
        done = b.run(plan=ECHO)  # the Baton goes on
        self.assertEqual(done.status, "done", done.raw)

    def test_a_failed_planning_raises_with_the_run_it_stored(self) -> None:
        b = self.baton_on_llm(300)  # the LLM never answers: planning fails, the run is kept
        self.addCleanup(b.close)
        with self.assertRaises(baton.LlmError) as cm:
            b.run("say hello")
        run_id = cm.exception.run_id
        self.assertTrue(run_id, str(cm.exception))
        db = sqlite3.connect(f"file:{os.path.join(self.dir, 'home', 'runs.db')}?mode=ro",
                             uri=True, timeout=5)
        try:
            rows = db.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchall()
        finally:
            db.close()
        self.assertEqual(rows, [("failed",)])
        with self.assertRaises(baton.InvalidError) as cm:  # refused before planning: no run
            b.run("")
        self.assertIsNone(cm.exception.run_id)

    def test_cancelling_arun_while_planning_leaves_another_planning_alone(self) -> None:
        b = self.baton_on_llm(10000)
        self.addCleanup(b.close)
        other: dict = {}

        def plan() -> None:
            t0 = time.monotonic()
            try:
                b.plan("say hello")
            except baton.BatonError as e:
                other["error"] = e
            other["seconds"] = time.monotonic() - t0

        t = threading.Thread(target=plan)
        t.start()
        self.llm.wait_for(1)

        async def main() -> float:
            task = asyncio.ensure_future(b.arun("say goodbye"))
            await asyncio.get_running_loop().run_in_executor(None, self.llm.wait_for, 2)
            t0 = time.monotonic()
            task.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await task
            return time.monotonic() - t0

        self.assertLess(asyncio.run(main()), 8.0)  # not the LLM's 10 s
        t.join(60)
        # the other planning went on until the LLM's timeout: not cancelled
        self.assertNotIsInstance(other.get("error"), baton.CancelledError, other)
        self.assertIsInstance(other.get("error"), baton.LlmError, other)


if __name__ == "__main__":
    unittest.main()
