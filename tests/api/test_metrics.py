"""Prometheus metrics name every request by the route it reached, the built-in ones too."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def requests_by_route(client: TestClient) -> dict[str, float]:
    text = client.get("/metrics").text
    counts: dict[str, float] = {}
    for route, value in re.findall(
        r'mediaquery_http_requests_total\{[^}]*route="([^"]*)"[^}]*\} (\S+)', text
    ):
        counts[route] = counts.get(route, 0) + float(value)
    return counts


def test_docs_openapi_and_static_files_are_counted_by_route(client: TestClient) -> None:
    for path in ("/openapi.json", "/docs", "/static/app.js", "/healthz", "/v1/media/a.jpg"):
        client.get(path)
    client.get("/no/such/thing")
    counts = requests_by_route(client)
    for route in ("/openapi.json", "/docs", "/static/{path}", "/healthz", "/v1/media/{name:name}"):
        assert counts.get(route) == 1, (route, counts)
    assert counts.get("unmatched") == 1, counts
