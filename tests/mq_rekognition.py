"""A stand-in for the Amazon Rekognition service, for the tests: a small HTTP server that
speaks Rekognition's JSON 1.1 protocol (POST /, `X-Amz-Target: RekognitionService.<Action>`).

It stands in for the service, not for our code: boto3 signs and sends real requests to it and
parses its answers exactly as it would AWS's. moto's server answers DetectLabels and DetectText
only (with fixed labels) and cannot throttle or refuse on demand; this one answers what a test
scripts, per action, in order, and keeps every request it received."""

from __future__ import annotations

import json
import threading
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PREFIX = "RekognitionService."


def error(code: str, message: str = "", status: int = 400) -> tuple[int, dict[str, Any]]:
    """An error answer, as AWS's JSON protocol sends it."""
    return status, {"__type": code, "message": message or code}


class StandIn:
    """Scripted Rekognition: `answer(action, body)` queues one answer, `default` keeps one."""

    def __init__(self) -> None:
        self.scripts: dict[str, deque[tuple[int, dict[str, Any]]]] = defaultdict(deque)
        self.defaults: dict[str, tuple[int, dict[str, Any]]] = {}
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                target = self.headers.get("X-Amz-Target", "")
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                status, answer = stand_in.next(target.removeprefix(PREFIX), body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, action: str, body: dict[str, Any], status: int = 200) -> None:
        """Queue the next answer to `action`."""
        self.scripts[action].append((status, body))

    def fail(self, action: str, code: str, message: str = "", status: int = 400) -> None:
        """Queue an error answer to `action`."""
        self.scripts[action].append(error(code, message, status))

    def default(self, action: str, body: dict[str, Any]) -> None:
        """The answer to `action` once its queue is empty."""
        self.defaults[action] = (200, body)

    def next(self, action: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests.append((action, body))
            if self.scripts[action]:
                return self.scripts[action].popleft()
            if action in self.defaults:
                return self.defaults[action]
        return error("UnknownOperationException", f"no answer scripted for {action}")

    def calls(self, action: str) -> list[dict[str, Any]]:
        """The bodies of every request to `action`, in order."""
        with self._lock:
            return [body for name, body in self.requests if name == action]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
