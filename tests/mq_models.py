"""Helpers for the model catalogue tests: a real HTTP file server (Range requests, dropped
connections), a tiny ONNX model built with onnx.helper, and a catalogue entry for it."""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import onnx
from onnx import TensorProto, helper

from mediaquery.models.catalogue import CatalogueEntry, TensorSpec


@dataclass
class Served:
    body: bytes
    drop_after: int | None = None  # close the connection after this many body bytes...
    drops: int = 0  # ...this many times (then serve normally)
    ignore_range: bool = False  # answer every request with the whole file (200)


@dataclass
class FileServer:
    """Serves `files` (path → Served) and records each request's path, Range and bytes sent."""

    url: str
    files: dict[str, Served] = field(default_factory=dict)
    requests: list[dict[str, object]] = field(default_factory=list)

    def sent(self, path: str) -> int:
        """Body bytes sent for `path` over all requests."""
        return sum(int(r["sent"]) for r in self.requests if r["path"] == path)  # type: ignore[call-overload]


def _handler(server: FileServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # quiet tests

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            record: dict[str, object] = {"path": self.path, "range": self.headers.get("Range"),
                                         "sent": 0}  # fmt: skip
            server.requests.append(record)
            served = server.files.get(self.path)
            if served is None:
                self.send_error(404, "Not Found")
                return
            start = 0
            asked = self.headers.get("Range")
            if asked and not served.ignore_range:
                start = int(asked.removeprefix("bytes=").split("-")[0])
            body = served.body[start:]
            if start >= len(served.body) and start:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(served.body)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206 if start else 200)
            if start:
                end = len(served.body) - 1
                self.send_header("Content-Range", f"bytes {start}-{end}/{len(served.body)}")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            if served.drop_after is not None and served.drops > 0:
                served.drops -= 1
                body = body[: served.drop_after]
                self.close_connection = True
            record["sent"] = len(body)  # before writing: the client may finish first
            self.wfile.write(body)

    return Handler


def tiny_onnx() -> bytes:
    """A real ONNX model: x [1,3,8,8] float32 → mean per channel, y [1,3]."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])
    nodes = [helper.make_node("GlobalAveragePool", ["x"], ["pooled"]),
             helper.make_node("Flatten", ["pooled"], ["y"], axis=1)]  # fmt: skip
    graph = helper.make_graph(nodes, "tiny", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    # padded, so a download interrupted half-way is a real partial file
    model.doc_string = "tiny test model " + "x" * 200_000
    return model.SerializeToString()


TINY = tiny_onnx()
TINY_SHA = hashlib.sha256(TINY).hexdigest()


def tiny_entry(**changes: object) -> CatalogueEntry:
    """A catalogue entry for TINY; its upstream URL is never contacted (tests use a mirror).
    Its one input is named `pixel_values` like CLIP's, although TINY's is `x`: the smoke test
    feeds a model's only input whatever its name."""
    entry = CatalogueEntry(
        name="tiny-model", description="a tiny test model", licence="MIT",
        url="https://models.invalid/releases/v1/tiny.onnx", sha256=TINY_SHA, size=len(TINY),
        approx_size=len(TINY), used_by=("needsmodel",), format="onnx", checked="built in the test",
        inputs=(TensorSpec("pixel_values", (1, 3, 8, 8), "float32"),), output_shape=(1, 3),
    )  # fmt: skip
    return dataclasses.replace(entry, **changes)  # type: ignore[arg-type]


@contextmanager
def serving() -> Iterator[FileServer]:
    """A real HTTP server on 127.0.0.1, in a thread, until the block ends."""
    srv = FileServer(url="")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(srv))
    httpd.daemon_threads = True
    srv.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
