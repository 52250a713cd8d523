"""Tests of baton.Client on a real batond (beside BATON_LIBRARY): its methods, fetch() of a run's
files, and Result.read()."""

import gc
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import baton  # noqa: E402

BATOND = os.path.join(os.path.dirname(os.path.abspath(os.environ.get("BATON_LIBRARY", ""))),
                      "batond")


def echo_plan(text: str, save_as: str) -> dict:
    return {"plan": [{"task": "debug-echo", "id": 0, "dep": [-1],
                      "args": {"text": text, "save_as": save_as}}]}


@unittest.skipUnless(os.access(BATOND, os.X_OK), f"no batond beside BATON_LIBRARY ({BATOND})")
class ClientTest(unittest.TestCase):
    """One batond in a fresh folder; the test is its own user (the daemon's)."""

    dir: str

    @classmethod
    def setUpClass(cls) -> None:
        cls.dir = tempfile.mkdtemp(prefix="baton-pyc-")
        cls.old_cwd = os.getcwd()
        cls.old_env = dict(os.environ)
        sock = os.path.join(cls.dir, "b.sock")
        os.environ.update(BATON_HOME=os.path.join(cls.dir, "home"), BATON_DEBUG_EXECUTORS="1",
                          BATON_CONFIG=os.path.join(cls.dir, "config.yaml"), BATON_NO_DAEMON="0",
                          BATON_SOCKET=sock)
        with open(os.environ["BATON_CONFIG"], "w") as f:
            f.write("workers: 2\ndaemon:\n  allow_uids: \"65534\"\n")  # nobody, when root
        os.chmod(cls.dir, 0o711)  # nobody passes to the socket
        os.chdir(cls.dir)
        cls.err = open(os.path.join(cls.dir, "batond.err"), "w")
        cls.daemon = subprocess.Popen([BATOND, "--foreground"], stdout=cls.err, stderr=cls.err)
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.socket(socket.AF_UNIX) as s:
                    s.connect(sock)
                break
            except OSError:
                if cls.daemon.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("batond did not start: " + open(cls.err.name).read())
                time.sleep(0.1)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.daemon.terminate()
        cls.daemon.wait(30)
        cls.err.close()
        os.chdir(cls.old_cwd)
        os.environ.clear()
        os.environ.update(cls.old_env)
        shutil.rmtree(cls.dir, ignore_errors=True)

    def run_saved(self, c: baton.Client, text: str, name: str) -> baton.Result:
        res = c.call("submit", echo_plan(text, name))
        result = baton.Result.from_json(json.dumps(res))
        self.assertEqual(result.status, "done", result.raw)
        return result

    def test_fetch_returns_the_bytes_or_writes_dest_whole(self) -> None:
        with baton.Client() as c:
            self.assertIsInstance(c.call("health"), dict)
            path = self.run_saved(c, "FETCHED-TEXT", "fetched.txt").files[0]
            self.assertEqual(c.fetch(path), b"FETCHED-TEXT\n")
            dest = os.path.join(self.dir, "copy.txt")
            self.assertIsNone(c.fetch(path, dest))
            with open(dest, "rb") as f:
                self.assertEqual(f.read(), b"FETCHED-TEXT\n")
            self.assertFalse(os.path.exists(dest + ".part"))

    def test_fetch_of_no_runs_file_raises_and_leaves_nothing(self) -> None:
        with baton.Client() as c:
            dest = os.path.join(self.dir, "none.txt")
            for path in (os.path.join(self.dir, "config.yaml"), "/etc/passwd"):
                with self.subTest(path=path):
                    with self.assertRaises(baton.NotFoundError):
                        c.fetch(path, dest)
                    self.assertFalse(os.path.exists(dest))
                    self.assertFalse(os.path.exists(dest + ".part"))
            with self.assertRaises(baton.InvalidError):
                c.fetch("/a\0b")

    def test_a_large_file_comes_whole(self) -> None:
        text = "".join(f"{i:07d}" for i in range(140_000))  # 980 kB (a request's limit: 1 MiB)
        with baton.Client() as c:
            path = self.run_saved(c, text, "big.txt").files[0]
            self.assertEqual(c.fetch(path), text.encode() + b"\n")

    def test_result_read_by_index_path_or_kind(self) -> None:
        with baton.Client() as c:
            result = self.run_saved(c, "READ-ME", "readme.txt")
            for which in (0, result.files[0], "file"):
                with self.subTest(which=which):
                    self.assertEqual(result.read(which), b"READ-ME\n")
                    self.assertEqual(result.read(which, client=c), b"READ-ME\n")
            again = baton.Result.from_json(json.dumps(c.call("run.get",
                                                             {"run_id": result.run_id})))
            self.assertEqual(again.files, result.files)
            self.assertEqual(again.read("file", client=c), b"READ-ME\n")
            with self.assertRaises(KeyError):
                result.read("image")
            with self.assertRaises(IndexError):
                result.read(3)

    @unittest.skipUnless(os.geteuid() == 0, "needs root to act as another user (nobody)")
    def test_a_served_user_reads_its_own_files_through_the_daemon_only(self) -> None:
        with baton.Client() as c:
            roots = self.run_saved(c, "ROOT-NOTE", "root.txt").files[0]
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # as nobody: its run's file, in the daemon's run folder it may not open
            os.close(r)
            out = "?"
            try:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
                with baton.Client() as c:
                    mine = self.run_saved(c, "NOBODY-NOTE", "mine.txt")
                    try:
                        open(mine.files[0], "rb")
                        out = "opened directly"
                    except PermissionError:
                        out = mine.read().decode() + "|" + c.fetch(mine.files[0]).decode()
                    try:
                        c.fetch(roots)
                        out += "|read root's"
                    except baton.NotFoundError:
                        out += "|root's not found"
            except BaseException as e:  # told to the parent
                out = f"{type(e).__name__}: {e}"
            os.write(w, out.encode())
            os._exit(0)
        os.close(w)
        with os.fdopen(r, "rb") as f:
            got = f.read().decode()
        os.waitpid(pid, 0)
        self.assertEqual(got, "NOBODY-NOTE\n|NOBODY-NOTE\n|root's not found")

    def test_a_closed_client_refuses_calls(self) -> None:
        c = baton.Client()
        c.close()
        with self.assertRaises(baton.BatonError):
            c.call("health")

    def test_a_with_block_closes_the_client(self) -> None:
        with baton.Client() as c:
            self.assertIsInstance(c, baton.Client)
            c.call("health")
        with self.assertRaises(baton.BatonError):
            c.call("health")

    def test_no_daemon_is_not_found(self) -> None:
        old = os.environ["BATON_NO_DAEMON"]
        os.environ["BATON_NO_DAEMON"] = "1"
        try:
            with self.assertRaises(baton.NotFoundError):
                baton.Client()
        finally:
            os.environ["BATON_NO_DAEMON"] = old

    def test_a_client_that_failed_to_connect_is_collected_quietly(self) -> None:
        old, old_hook = os.environ["BATON_NO_DAEMON"], sys.unraisablehook
        unraisable = []
        os.environ["BATON_NO_DAEMON"] = "1"
        sys.unraisablehook = unraisable.append
        try:
            with self.assertRaises(baton.NotFoundError):
                baton.Client()
            gc.collect()
        finally:
            os.environ["BATON_NO_DAEMON"] = old
            sys.unraisablehook = old_hook
        self.assertEqual([repr(u.exc_value) for u in unraisable], [])


if __name__ == "__main__":
    unittest.main()
