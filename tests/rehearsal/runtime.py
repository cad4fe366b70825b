"""A Lambda Runtime API stand-in per function, and the function's real binary behind it.

The binary is started as Lambda starts a `provided.al2023` function: its environment from
the template plus what the service adds (`AWS_LAMBDA_RUNTIME_API`, function name, memory,
version, log format), and it polls `GET /2018-06-01/runtime/invocation/next`. An invocation
is handed out with the `Lambda-Runtime-Aws-Request-Id`, `-Deadline-Ms`,
`-Invoked-Function-Arn` and `-Trace-Id` headers and ends with `POST .../{id}/response` or
`.../{id}/error`; `POST .../init/error` and an exit before the first poll fail start-up.
One instance per function, one invocation at a time, as one Lambda execution environment.

Each function also records its cold start (monotonic clock): the spawn, its first poll (init
done), when its first event was handed out and when that event's response or error came back,
and its peak RSS (VmHWM) after that event and just before it is stopped. Reading them costs a
few clock reads and two reads of /proc/<pid>/status per process.
"""

import json
import os
import queue
import signal
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from stack import RehearsalError

PREFIX = "/2018-06-01/runtime"


class QuietServer(ThreadingHTTPServer):
    """A client that goes away mid-connection (a function being stopped) is no error."""

    daemon_threads = True

    def handle_error(self, request, client_address):
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class Invocation:
    def __init__(self, payload, timeout_s, clock_shift_ms=0):
        self.id = str(uuid.uuid4())
        self.payload = payload
        # Epoch ms on the function's own clock (see clock_shift.c).
        self.deadline_ms = int(time.time() * 1000 + timeout_s * 1000) + clock_shift_ms
        self.done = threading.Event()
        self.result = None
        self.error = None
        # Monotonic times: handed to the function, its response or error received.
        self.handed_at = None
        self.answered_at = None


class RuntimeApi:
    """The HTTP side: one server on a free loopback port."""

    def __init__(self, function_name, function_arn):
        self.function_name = function_name
        self.function_arn = function_arn
        self.pending = queue.Queue()
        self.in_flight = {}
        self.init_error = None
        self.polled = threading.Event()
        # Monotonic time of the first `GET .../invocation/next`: the function's init is done.
        self.first_poll_at = None
        self.stopping = threading.Event()
        self.protocol_errors = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _body(self):
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    data = b""
                    while True:
                        size = int(self.rfile.readline().strip().split(b";")[0], 16)
                        if size == 0:
                            self.rfile.readline()
                            return data
                        data += self.rfile.read(size)
                        self.rfile.readline()
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length)

            def _reply(self, status, body=b"", headers=None):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path != f"{PREFIX}/invocation/next":
                    api.protocol_errors.append(f"GET {self.path}")
                    return self._reply(404)
                if api.first_poll_at is None:
                    api.first_poll_at = time.monotonic()
                api.polled.set()
                while not api.stopping.is_set():
                    try:
                        inv = api.pending.get(timeout=0.2)
                    except queue.Empty:
                        continue
                    api.in_flight[inv.id] = inv
                    body = json.dumps(inv.payload).encode()
                    inv.handed_at = time.monotonic()
                    return self._reply(
                        200,
                        body,
                        {
                            "Content-Type": "application/json",
                            "Lambda-Runtime-Aws-Request-Id": inv.id,
                            "Lambda-Runtime-Deadline-Ms": str(inv.deadline_ms),
                            "Lambda-Runtime-Invoked-Function-Arn": api.function_arn,
                            "Lambda-Runtime-Trace-Id": "Root=1-"
                            + f"{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0",
                        },
                    )
                # Shutting down: the function is being stopped and may be gone already.
                self.close_connection = True
                try:
                    self._reply(503)
                except OSError:
                    pass
                return None

            def do_POST(self):
                received_at = time.monotonic()
                body = self._body()
                path = self.path
                if path == f"{PREFIX}/init/error":
                    api.init_error = body.decode(errors="replace")
                    return self._reply(202, b"{}")
                for kind in ("response", "error"):
                    marker = f"/{kind}"
                    if path.startswith(f"{PREFIX}/invocation/") and path.endswith(marker):
                        request_id = path[len(f"{PREFIX}/invocation/") : -len(marker)]
                        inv = api.in_flight.pop(request_id, None)
                        if inv is None:
                            api.protocol_errors.append(f"{kind} for unknown id {request_id}")
                            return self._reply(400)
                        inv.answered_at = received_at
                        if kind == "response":
                            inv.result = json.loads(body) if body else None
                        else:
                            inv.error = body.decode(errors="replace") or "(no body)"
                        inv.done.set()
                        return self._reply(202, b'{"status":"OK"}')
                api.protocol_errors.append(f"POST {path}")
                return self._reply(404)

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()


class Function:
    """One function of the template: its binary under the Runtime API stand-in."""

    def __init__(self, logical_id, name, binary, env, timeout_s, memory_mb, log_dir, region,
                 extra_env=None):
        self.logical_id = logical_id
        self.name = name
        self.binary = binary
        self.env = env
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self.region = region
        self.arn = f"arn:aws:lambda:{region}:123456789012:function:{name}"
        self.log_path = os.path.join(log_dir, f"{logical_id}.log")
        self.extra_env = extra_env or {}
        self.clock_shift_ms = int(self.extra_env.get("REHEARSAL_CLOCK_SHIFT_MS", 0))
        self.api = None
        self.process = None
        self.lock = threading.Lock()
        self.invocations = 0
        # Cold start: monotonic spawn time, first poll, the first invocation, peak RSS (KiB).
        self.spawned_at = None
        self.first_poll_at = None
        self.first = None
        # Handling time (ms) of every later invocation: what a warm environment takes for
        # the same kind of work against moto, set against the first event's.
        self.later_ms = []
        self.peak_rss_first_kib = None
        self.peak_rss_stop_kib = None

    def start(self, base_env):
        self.api = RuntimeApi(self.name, self.arn)
        env = dict(base_env)
        env.update(self.env)
        env.update(
            {
                "AWS_LAMBDA_RUNTIME_API": self.api.address,
                "AWS_LAMBDA_FUNCTION_NAME": self.name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_mb),
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.name}",
                "AWS_LAMBDA_LOG_STREAM_NAME": "rehearsal",
                "AWS_REGION": self.region,
                "AWS_DEFAULT_REGION": self.region,
                "_HANDLER": "bootstrap",
            }
        )
        env.update(self.extra_env)
        self.log = open(self.log_path, "ab")
        self.spawned_at = time.monotonic()
        self.process = subprocess.Popen(
            [self.binary],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout_s):
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            if self.api.init_error is not None:
                raise RehearsalError(f"{self.logical_id}: init error {self.api.init_error}")
            if self.process.poll() is not None:
                raise RehearsalError(
                    f"{self.logical_id}: exited with {self.process.returncode} before its "
                    f"first poll:\n{self.log_tail()}"
                )
            if self.api.polled.is_set():
                return
            time.sleep(0.05)
        raise RehearsalError(f"{self.logical_id}: no poll of the Runtime API in {timeout_s} s")

    def invoke(self, payload):
        """Synchronous invocation; returns the function's response, raises on its error."""
        with self.lock:
            self.invocations += 1
            inv = Invocation(payload, self.timeout_s, self.clock_shift_ms)
            first = self.first is None
            if first:
                self.first = inv
            self.api.pending.put(inv)
            # The function's own timeout, as Lambda enforces it.
            done = inv.done.wait(self.timeout_s + 2)
            if first:
                self.peak_rss_first_kib = self.peak_rss_kib()
            elif done and inv.handed_at is not None and inv.answered_at is not None:
                self.later_ms.append((inv.answered_at - inv.handed_at) * 1000)
            if not done:
                raise RehearsalError(
                    f"{self.logical_id}: invocation timed out after {self.timeout_s} s\n"
                    f"{self.log_tail()}"
                )
            if inv.error is not None:
                raise FunctionError(self.logical_id, inv.error)
            return inv.result

    def peak_rss_kib(self):
        """The process's peak resident set (VmHWM, KiB) so far; None once it is gone."""
        if self.process is None or self.process.poll() is not None:
            return None
        try:
            with open(f"/proc/{self.process.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except (OSError, ValueError, IndexError):
            pass
        return None

    def cold_start(self):
        """The cold start figures (ms, MiB) as recorded; None where a step did not happen."""
        first_poll = self.first_poll_at
        if first_poll is None and self.api is not None:
            first_poll = self.api.first_poll_at

        def ms(start, end):
            return (end - start) * 1000 if start is not None and end is not None else None

        def mib(kib):
            return kib / 1024 if kib is not None else None

        first = self.first
        init_ms = ms(self.spawned_at, first_poll)
        handling_ms = ms(first.handed_at, first.answered_at) if first else None
        return {
            "init_ms": init_ms,
            "handling_ms": handling_ms,
            "cold_ms": init_ms + handling_ms
            if init_ms is not None and handling_ms is not None
            else None,
            "waited_ms": ms(first_poll, first.handed_at) if first else None,
            "handed": first is not None and first.handed_at is not None,
            "later_ms": sorted(self.later_ms)[len(self.later_ms) // 2] if self.later_ms else None,
            "later_n": len(self.later_ms),
            "peak_first_mib": mib(self.peak_rss_first_kib),
            "peak_stop_mib": mib(self.peak_rss_stop_kib),
        }

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, "rb") as f:
                return "\n".join(f.read().decode(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.peak_rss_stop_kib = self.peak_rss_kib()
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait(timeout=5)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass
        if self.api is not None:
            self.first_poll_at = self.api.first_poll_at
            self.api.stop()
            self.api = None
        if getattr(self, "log", None):
            self.log.close()


class FunctionError(Exception):
    def __init__(self, logical_id, body):
        super().__init__(f"{logical_id} returned an error: {body}")
        self.body = body
