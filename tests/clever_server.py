"""A small Clever API v3.0 stand-in for tests: a threaded ``http.server`` on 127.0.0.1.

It serves ``/v3.0/<resource>`` list pages from in-memory records (sorted by ``id``, paged with
``limit`` and ``starting_after``, each item wrapped as ``{"data": {...}, "uri": ...}``, a
``rel=next`` link while more remain) and ``/oauth/tokens`` (Basic auth) the way Clever does.
Faults are injected with ``inject(...)``: a status (429, 500, 401, ...), an HTML page, or a
dropped connection (before the response or half-way through the body).

Use it as a context manager; leaving the block stops the server and joins its threads.
"""

from __future__ import annotations

import base64
import bisect
import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

MAX_LIMIT = 10000
DEFAULT_LIMIT = 100


@dataclass
class Fault:
    """What to do instead of answering, for matching requests.

    ``kind``: ``"status"`` (answer ``status`` with a JSON error body and ``headers``),
    ``"html"`` (a 200 HTML page, as Clever sends for a wrong token type), ``"drop"`` (close
    the connection without a response) or ``"drop_body"`` (send the headers and half the body,
    then close).  It fires on the ``nth`` request whose path starts with ``path`` (1-based,
    counted from injection) and then on the next ``times - 1`` matching requests.
    """

    kind: str
    path: str = "/"
    nth: int = 1
    times: int = 1
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    seen: int = 0
    fired: int = 0


class CleverServer:
    """Serve Clever-shaped pages; ``requests`` records every ``(path, query)`` answered."""

    def __init__(
        self,
        resources: Mapping[str, Iterable[Mapping[str, Any]]],
        *,
        token: str = "test-district-token",
        client_id: str = "test-client-id",
        client_secret: str = "test-client-secret",
        district: str | None = None,
        wrap: bool = True,
    ) -> None:
        self.records: dict[str, list[dict[str, Any]]] = {}
        self.ids: dict[str, list[str]] = {}
        for name, items in resources.items():
            rows = sorted((dict(r) for r in items), key=lambda r: str(r["id"]))
            self.records[name] = rows
            self.ids[name] = [str(r["id"]) for r in rows]
        self.token = token
        self.client_id = client_id
        self.client_secret = client_secret
        districts = self.ids.get("districts", [])
        self.district = district or (districts[0] if districts else "5f0000000000000000000001")
        self.wrap = wrap
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        assert self._httpd is not None, "the server is not running"
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> CleverServer:
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.clever = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="clever-test"
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()  # joins the handler threads (block_on_close)
            self._httpd = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> CleverServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ switches

    def inject(self, kind: str, path: str = "/", **kwargs: Any) -> Fault:
        fault = Fault(kind=kind, path=path, **kwargs)
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def requests_for(self, path: str) -> list[dict[str, str]]:
        with self.lock:
            return [q for p, q in self.requests if p == path]

    # ------------------------------------------------------------------ answers

    def _fault_for(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if not path.startswith(fault.path) or fault.fired >= fault.times:
                    continue
                fault.seen += 1
                if fault.seen >= fault.nth:
                    fault.fired += 1
                    return fault
        return None

    def page(self, resource: str, query: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        limit = int(query.get("limit", DEFAULT_LIMIT))
        if limit > MAX_LIMIT:
            return 413, {"message": "Request entity too large"}
        rows, ids = self.records[resource], self.ids[resource]
        start = 0
        if "starting_after" in query:
            start = bisect.bisect_right(ids, query["starting_after"])
        role = query.get("role")
        chosen: list[dict[str, Any]] = []
        last = start
        for i in range(start, len(rows)):
            if len(chosen) >= limit:
                break
            last = i + 1
            if role and role not in (rows[i].get("roles") or {}):
                continue
            chosen.append(rows[i])
        if role:  # skip the tail of non-holders so the last page has no empty follower
            while last < len(rows) and role not in (rows[last].get("roles") or {}):
                last += 1
        base = f"/v3.0/{resource}"
        links = [{"rel": "self", "uri": f"{base}?{urlencode(query)}" if query else base}]
        if last < len(rows) and chosen:
            nxt = {k: v for k, v in query.items() if k != "starting_after"}
            nxt["starting_after"] = str(chosen[-1]["id"])
            links.append({"rel": "next", "uri": f"{base}?{urlencode(nxt)}"})
        if self.wrap:
            data: list[Any] = [{"data": r, "uri": f"{base}/{r['id']}"} for r in chosen]
        else:
            data = list(chosen)
        return 200, {"data": data, "links": links}

    def tokens(self, query: Mapping[str, str], authorization: str) -> tuple[int, dict[str, Any]]:
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if authorization != f"Basic {expected}":
            return 401, {"error": "invalid_client", "error_description": "bad credentials"}
        if query.get("owner_type") != "district":
            return 400, {"error": "invalid_request"}
        wanted = query.get("district")
        data = []
        if wanted in (None, self.district):
            data.append(
                {
                    "id": "2345b13db7c601000705ab5d",
                    "created": "2021-02-24T22:24:55.985Z",
                    "owner": {"type": "district", "id": self.district},
                    "access_token": self.token,
                    "scopes": ["read:districts", "read:schools", "read:students"],
                }
            )
        return 200, {"data": data, "links": [{"rel": "self", "uri": "/oauth/tokens"}]}


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True
    clever: CleverServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once, no 40 ms ACK stalls
    timeout = 5  # idle keep-alive connections end, so server_close() can join their threads
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def do_GET(self) -> None:
        clever = self.server.clever
        parts = urlsplit(self.path)
        path, query = parts.path, dict(parse_qsl(parts.query))
        with clever.lock:
            clever.requests.append((path, query))
        fault = clever._fault_for(path)
        if fault is not None:
            self._fault(fault)
            return
        if path == "/oauth/tokens":
            status, body = clever.tokens(query, self.headers.get("Authorization", ""))
            self._json(status, body)
            return
        if self.headers.get("Authorization") != f"Bearer {clever.token}":
            self._json(401, {"message": "Unauthorized"})
            return
        resource = path.removeprefix("/v3.0/")
        if not path.startswith("/v3.0/") or resource not in clever.records:
            self._json(404, {"message": "Not Found"})
            return
        status, body = clever.page(resource, query)
        self._json(status, body)

    def _json(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        payload = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    def _fault(self, fault: Fault) -> None:
        if fault.kind == "drop":
            self.close_connection = True
            return
        if fault.kind == "drop_body":
            payload = json.dumps({"data": [{"data": {"id": "x" * 24}}] * 50}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if fault.kind == "html":
            page = b"<!DOCTYPE html><html><body>Clever | Log in</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)
            return
        self._json(fault.status, {"message": f"injected {fault.status}"}, fault.headers)
