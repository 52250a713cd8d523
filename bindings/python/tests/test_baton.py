"""Tests of the baton package on the real libbaton (BATON_LIBRARY) and local executors."""

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import baton  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
WORDS = "Harbour ferries leave every hour from the north pier until midnight"


def render(text: str, path: str) -> None:
    subprocess.run(["/usr/bin/convert", "-background", "white", "-fill", "black", "-font",
                    "DejaVu-Sans", "-pointsize", "36", "-size", "1400x", f"caption:{text}",
                    "-bordercolor", "white", "-border", "30", path], check=True)


class BatonTest(unittest.TestCase):
    """The package's calls on one context, in a fresh data folder and working folder."""

    dir: str
    b: baton.Baton

    @classmethod
    def setUpClass(cls) -> None:
        cls.dir = tempfile.mkdtemp(prefix="baton-py-")
        cls.old_cwd = os.getcwd()
        cls.old_env = dict(os.environ)
        os.environ.update(BATON_HOME=os.path.join(cls.dir, "home"), BATON_DEBUG_EXECUTORS="1",
                          BATON_CONFIG=os.path.join(cls.dir, "config.yaml"), BATON_NO_DAEMON="1")
        with open(os.environ["BATON_CONFIG"], "w") as f:
            f.write("workers: 2\n")
        os.chdir(cls.dir)
        render(WORDS, "ferry.png")
        cls.b = baton.Baton()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.b.close()
        os.chdir(cls.old_cwd)
        os.environ.clear()
        os.environ.update(cls.old_env)
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_main_job_reads_the_image_and_reports_events(self) -> None:
        events = []
        result = self.b.run("read the text in ferry.png and summarize it", on_event=events.append)
        self.assertEqual(result.status, "done", result.raw)
        self.assertTrue(result.ok)
        self.assertIn("ferries", result.summary.lower())
        self.assertEqual([t["task"] for t in result.tasks][:1], ["image-to-text"])
        kinds = [e.type for e in events]
        self.assertEqual(kinds[0], "plan")
        self.assertEqual(kinds[-1], "done")
        self.assertIn("task.started", kinds)
        started = next(e for e in events if e.type == "task.started")
        self.assertEqual(started.task, "image-to-text")
        self.assertTrue(started.run_id)

    def test_a_text_saved_as_asked_is_among_the_files(self) -> None:
        result = self.b.run("read the text in ferry.png and save it as ferry.txt", offline=True)
        self.assertEqual(result.status, "done", result.raw)
        self.assertEqual([os.path.basename(f) for f in result.files], ["ferry.txt"])
        with open(result.files[0]) as f:
            self.assertIn("ferries", f.read().lower())

    def test_one_path_as_inputs_is_one_file_not_its_characters(self) -> None:
        import pathlib
        for one in ("ferry.png", b"ferry.png", pathlib.Path("ferry.png"), ["ferry.png"]):
            with self.subTest(inputs=one):
                result = self.b.run("read the text in it", inputs=one, offline=True)
                self.assertEqual(result.status, "done", result.raw)
                self.assertIn("ferries", result.tasks[0]["outputs"]["text"].lower())

    def test_an_empty_str_or_bytes_as_inputs_is_no_inputs(self) -> None:
        for none in ("", b"", None, []):
            with self.subTest(inputs=none):
                result = self.b.run("read the text in ferry.png", inputs=none, offline=True)
                self.assertEqual(result.status, "done", result.raw)
                self.assertIn("ferries", result.tasks[0]["outputs"]["text"].lower())

    def test_messages_carry_a_conversation_across_runs(self) -> None:
        first = self.b.run("read the text in ferry.png", offline=True)
        self.assertEqual(first.status, "done", first.raw)
        talk = first.turn("read the text in ferry.png")
        self.assertEqual([m["role"] for m in talk], ["user", "assistant"])
        self.assertIn("midnight", talk[1]["outputs"]["text"].lower())
        second = self.b.run("translate that into Spanish", offline=True, messages=talk)
        self.assertEqual(second.status, "done", second.raw)
        self.assertEqual([t["task"] for t in second.tasks], ["translation"])
        talk += second.turn("translate that into Spanish")
        self.assertEqual(talk[-1]["lang"], "es")  # what the translation wrote in
        self.assertNotIn("lang", talk[1])  # an OCR's text says nothing of its language
        # each task's outputs with its kind: "the transcript", "the summary" next turn
        self.assertEqual([t["task"] for t in talk[1]["tasks"]], ["image-to-text"])
        self.assertEqual(talk[3]["tasks"], [{"task": "translation", "lang": "es",
                                             "outputs": {"text": talk[3]["outputs"]["text"]}}])
        again = self.b.plan("translate it into French", offline=True, messages=talk)
        self.assertEqual((again[0]["args"]["src_lang"], again[0]["args"]["tgt_lang"]), ("es", "fr"))
        plan = self.b.plan("summarize the original text", offline=True, messages=talk)
        self.assertEqual([t["task"] for t in plan], ["summarization"])
        self.assertIn("midnight", plan[0]["args"]["text"].lower())  # not the Spanish
        with self.assertRaises(TypeError):
            self.b.plan("summarize it", offline=True, messages="not a list")  # type: ignore

    def test_a_turn_that_was_not_run_is_marked_by_its_status(self) -> None:
        failed = [{"role": "user", "content": "describe photo.jpg"},
                  {"role": "assistant", "content": "Not run: no captioner", "status": "failed",
                   "outputs": {}}]
        plan = self.b.plan("make it sharper", offline=True, messages=failed)
        self.assertEqual([(t["task"], t["args"]["image"]) for t in plan],
                         [("image-to-image", "photo.jpg")])
        failed[1]["status"] = "lost"
        with self.assertRaises(baton.InvalidError) as cm:
            self.b.plan("make it sharper", offline=True, messages=failed)
        self.assertIn('"status" may only be "done" or "failed"', str(cm.exception))

    def test_the_turn_of_a_run_that_failed_is_marked_failed(self) -> None:
        broken = self.b.run(plan=[{"task": "debug-fail", "id": 0, "dep": [-1],
                                   "args": {"text": "broken on purpose"}}])
        self.assertEqual(broken.status, "failed", broken.raw)
        self.assertEqual(broken.turn("break it")[1]["status"], "failed")
        done = self.b.run(plan=[{"task": "debug-echo", "id": 0, "dep": [-1],
                                 "args": {"text": "fine"}}])
        self.assertEqual(done.status, "done", done.raw)
        self.assertNotIn("status", done.turn("echo it")[1])

    def test_plan_takes_inputs_as_run_does(self) -> None:
        import pathlib
        for one in ("ferry.png", pathlib.Path("ferry.png"), ["ferry.png"]):
            with self.subTest(inputs=one):
                plan = self.b.plan("read the text in it", inputs=one, offline=True)
                self.assertEqual([t["task"] for t in plan], ["image-to-text"])
                self.assertEqual(plan[0]["args"]["image"], "ferry.png")

    def test_a_nul_character_is_refused_never_cut(self) -> None:
        refused = r"NUL character (\u0000), which baton refuses rather than cut"
        echo = [{"task": "debug-echo", "id": 0, "dep": [-1], "args": {"text": "a\x00b"}}]
        calls = {
            "request": lambda: self.b.run('translate "good night" into Spanish\x00 and then '
                                          'delete everything', offline=True),
            "inputs": lambda: self.b.run("read the text in it", inputs=["ferry.png\x00.png"],
                                         offline=True),
            "messages": lambda: self.b.run("summarize it", offline=True, messages=[
                {"role": "user", "content": "good\x00 morning"}]),
            "plan": lambda: self.b.run(plan=echo),
            "plan request": lambda: self.b.plan("read the text in ferry.png\x00 twice"),
            "plan inputs": lambda: self.b.plan("read the text in it", inputs="ferry.png\x00.png"),
            "task": lambda: self.b.task("debug-echo", text="a\x00b"),
            "search": lambda: self.b.models.search("ocr\x00 fast"),
        }
        for what, call in calls.items():
            with self.subTest(what):
                with self.assertRaises(baton.InvalidError) as cm:
                    call()
                self.assertIn(refused, str(cm.exception))
        # what the library is handed as JSON is refused there too (not only by this package)
        import ctypes
        from baton import _lib
        lib, out = _lib.load(), ctypes.c_void_p()
        with self.b._using() as ctx:
            rc = lib.baton_task(ctx, b"debug-echo", b'{"text":"a\\u0000b"}', None, None,
                                ctypes.byref(out))
        self.assertEqual(rc, baton.InvalidError.code)
        self.assertIn(refused, lib.baton_errmsg(None).decode())

    def test_run_says_whether_it_got_neither_request_nor_plan_or_both(self) -> None:
        with self.assertRaises(TypeError) as cm:
            self.b.run()
        self.assertIn("neither was given", str(cm.exception))
        with self.assertRaises(TypeError) as cm:
            self.b.run("hi", plan=[{"task": "debug-echo", "id": 0, "dep": [-1],
                                    "args": {"text": "hi"}}])
        self.assertIn("not both", str(cm.exception))

    def test_empty_request_raises_invalid_error_with_the_reason(self) -> None:
        with self.assertRaises(baton.InvalidError) as cm:
            self.b.run("")
        self.assertIsInstance(cm.exception, baton.BatonError)
        self.assertEqual(cm.exception.code, 3)
        self.assertIn("empty", str(cm.exception))

    def test_task_runs_one_task_and_a_failure_raises_exec_error(self) -> None:
        t = self.b.task("image_to_text", image="ferry.png")
        self.assertEqual(t["status"], "done")
        self.assertIn("midnight", t["outputs"]["text"].lower())
        with self.assertRaises(baton.ExecError) as cm:
            self.b.task("debug-fail", text="broken on purpose")
        self.assertIn("broken on purpose", str(cm.exception))
        self.assertEqual(cm.exception.task["status"], "failed")

    def test_plan_and_models_search(self) -> None:
        plan = self.b.plan("read the text in ferry.png")
        self.assertEqual(plan[0]["task"], "image-to-text")
        self.assertTrue(plan[0]["model"])
        self.assertIsNone(plan.note)
        noted = self.b.plan("summarize 'The ferry leaves at noon. It comes back at six.' and "
                            "enhance the audio quality", offline=True)
        self.assertIn('left out "enhance the audio quality"', noted.note or "")
        found = self.b.models.search("ocr", task="image_to_text", limit=2)
        self.assertTrue(1 <= len(found) <= 2)
        with self.assertRaises(baton.NotFoundError):
            self.b.models.search("ocr", task="no-such-task")

    def test_cancelling_the_awaiting_task_cancels_the_run(self) -> None:
        plan = [{"task": "debug-sleep", "id": 0, "dep": [-1], "args": {"text": "120000"}}]

        async def main() -> float:
            started = asyncio.Event()
            task = asyncio.ensure_future(self.b.arun(
                plan=plan, on_event=lambda ev: ev.type == "task.started" and started.set()))
            await asyncio.wait_for(started.wait(), 60)
            t0 = time.monotonic()
            task.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await task
            return time.monotonic() - t0

        took = asyncio.run(main())
        self.assertLess(took, 30.0)  # of a 2-minute sleep; seconds on a busy machine
        done = self.b.run(plan=[{"task": "debug-echo", "id": 0, "dep": [-1], "args": {"text": "still here"}}])
        self.assertEqual(done.tasks[0]["outputs"]["text"], "still here")

    def test_arun_returns_the_result(self) -> None:
        events = []

        async def main() -> baton.Result:
            return await self.b.arun("read the text in ferry.png", on_event=events.append)

        result = asyncio.run(main())
        self.assertTrue(result.ok, result.raw)
        self.assertIn("ferries", result.tasks[0]["outputs"]["text"].lower())
        self.assertIn("done", [e.type for e in events])

    def test_example_agent_runs_the_main_job(self) -> None:
        out = subprocess.run([sys.executable, os.path.join(REPO, "examples", "agent.py"), "ferry.png"],
                             capture_output=True, text=True, timeout=240)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("ferries", out.stdout.lower())
        self.assertIn("image-to-text", out.stderr)

    def test_a_with_block_closes_the_context(self) -> None:
        plan = [{"task": "debug-echo", "id": 0, "dep": [-1], "args": {"text": "inside"}}]
        with baton.Baton() as b:
            self.assertIsInstance(b, baton.Baton)
            self.assertEqual(b.run(plan=plan).tasks[0]["outputs"]["text"], "inside")
        with self.assertRaises(baton.BatonError) as cm:
            b.run(plan=plan)
        self.assertIn("the Baton was closed", str(cm.exception))


class LibraryTest(unittest.TestCase):
    def test_a_missing_library_is_reported_by_name(self) -> None:
        env = dict(os.environ, BATON_LIBRARY="/nonexistent/libbaton.so")
        code = "import baton\ntry:\n    baton.Baton()\nexcept OSError as e:\n    print(e)\n"
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                             cwd=os.path.join(HERE, ".."))
        self.assertIn("BATON_LIBRARY", out.stdout)


if __name__ == "__main__":
    unittest.main()
