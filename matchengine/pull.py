"""Fetch a district snapshot from the Clever API (v3.0) into a folder ``match --clever`` reads.

``pull(out_dir, token=...)`` (or ``client_id``, ``client_secret`` and ``district``: the
district-app token is then looked up at ``GET {auth_base}/oauth/tokens``) pages through
``/v3.0/districts``, ``/v3.0/schools``, ``/v3.0/users`` (optionally ``?role=``) and
``/v3.0/sections`` following each page's ``rel=next`` link, and writes one NDJSON file per
resource (``districts.ndjson``, ``schools.ndjson``, ``users.ndjson``, ``sections.ndjson``:
the bare ``data`` object of every item, one per line) plus ``manifest.json``.

Files and resuming
    Records are appended to ``<file>.part`` page by page; after every page the part file is
    synced and ``.pull-state.json`` records the next page to fetch, the records written and
    the part file's length.  When every resource is complete the part files are renamed over
    the final names and ``manifest.json`` is written (both atomically), then the state file is
    removed: the folder holds the previous snapshot or the new one, never a mixture.
    ``resume=True`` continues an interrupted pull from its last complete page: the part file
    is cut back to the recorded length (dropping anything written after it) and the next page
    is fetched, so no record is written twice.  Without ``resume`` an unfinished pull in the
    folder is discarded (with a warning) and the pull starts over.

Errors
    Credentials and permissions (401, 403, 404, an HTML page instead of JSON, no token for
    the district, a token for another district) raise ``CredentialError`` (a ``UsageError``,
    exit 2).  429 is retried after the ``X-RateLimit-Reset`` time (capped), 5xx answers,
    dropped connections and timeouts with exponential backoff; when ``max_retries`` are used
    up ``PullError`` (exit 4) says so and suggests ``--resume``.

The token and client secret are never logged, stored, or put into a message or ``repr``.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from matchengine.errors import MatchengineError, UsageError

log = logging.getLogger(__name__)

API_VERSION = "v3.0"
DEFAULT_API_BASE = "https://api.clever.com"
DEFAULT_AUTH_BASE = "https://clever.com"
DEFAULT_LIMIT = 1000
MAX_LIMIT = 10000
DEFAULT_MAX_RETRIES = 5
DEFAULT_TIMEOUT = 60.0
BACKOFF_BASE = 1.0  # seconds before the first retry; doubles each time
BACKOFF_CAP = 60.0
RATE_LIMIT_WAIT_CAP = 120.0  # Clever resets its limit every minute; never wait longer than this
CLEVER_ROLES = ("student", "teacher", "staff", "district_admin", "contact")

# In pull order: (resource, file).  ``districts`` first, so a wrong token fails fast.
RESOURCES = (
    ("districts", "districts.ndjson"),
    ("schools", "schools.ndjson"),
    ("users", "users.ndjson"),
    ("sections", "sections.ndjson"),
)
MANIFEST = "manifest.json"
STATE = ".pull-state.json"
PART = ".part"
STATE_VERSION = 1

Progress = Callable[[str, int], None]
Sleep = Callable[[float], None]


class PullError(MatchengineError):
    """The Clever API could not be read (unreachable, kept failing, or answered nonsense)."""


class CredentialError(UsageError):
    """The credentials were rejected or do not reach the district's data (exit 2)."""


@dataclass
class PullResult:
    """What one ``pull`` fetched and wrote.  Holds no secret."""

    out_dir: Path
    district: str | None
    district_name: str | None
    role: str | None
    limit: int
    counts: dict[str, int]
    files: dict[str, Path]
    manifest: Path
    requests: int
    retries: int
    resumed: bool
    started_at: str
    finished_at: str
    seconds: float
    api_version: str = API_VERSION
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "out_dir": str(self.out_dir),
            "district": self.district,
            "district_name": self.district_name,
            "api_version": self.api_version,
            "role": self.role,
            "limit": self.limit,
            "counts": dict(self.counts),
            "files": {k: str(v) for k, v in self.files.items()},
            "manifest": str(self.manifest),
            "requests": self.requests,
            "retries": self.retries,
            "resumed": self.resumed,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "seconds": round(self.seconds, 3),
            "warnings": list(self.warnings),
        }


def pull(
    out_dir: str | os.PathLike[str],
    *,
    token: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    district: str | None = None,
    api_base: str = DEFAULT_API_BASE,
    auth_base: str = DEFAULT_AUTH_BASE,
    limit: int = DEFAULT_LIMIT,
    role: str | None = None,
    resume: bool = False,
    progress: Progress | None = None,
    max_retries: int = DEFAULT_MAX_RETRIES,
    timeout: float = DEFAULT_TIMEOUT,
    sleep: Sleep = time.sleep,
) -> PullResult:
    """Fetch the district's districts, schools, users and sections into ``out_dir``.

    Give ``token`` (a district-app bearer token) or ``client_id`` + ``client_secret`` +
    ``district`` (the token is then looked up; ``token`` wins when both are given).
    ``district``, when given with a token, must be the token's district.  ``limit`` is the
    page size (1 to 10000); ``role`` filters ``/users`` (``student``, ``teacher``, ``staff``,
    ``district_admin``, ``contact``).  ``progress(resource, records_so_far)`` is called after
    every page.  ``sleep`` is how retries wait (tests pass a fake).
    """
    started = time.perf_counter()
    out = Path(out_dir)
    _check_options(out, token, client_id, client_secret, district, limit, role, max_retries)
    secrets = tuple(s for s in (token, client_id, client_secret) if s)
    http = _Http(api_base, auth_base, secrets, max_retries, timeout, sleep)
    try:
        if not token:
            assert client_id and client_secret and district  # checked above
            token = http.lookup_token(client_id, client_secret, district)
            secrets = (*secrets, token)
            http.secrets = secrets
        http.authorize(token)
        out.mkdir(parents=True, exist_ok=True)
        job = _Job(out, http, limit, role, district, progress)
        job.prepare(resume)
        job.run()
        return job.finish(time.perf_counter() - started)
    except MatchengineError as exc:
        # Belt and braces: no secret survives into a message, whatever the server sent.
        message = _redact(str(exc), secrets)
        if message != str(exc):
            exc.args = (message,)
        raise
    finally:
        http.close()


# --------------------------------------------------------------------------- checks


def _check_options(
    out: Path,
    token: str | None,
    client_id: str | None,
    client_secret: str | None,
    district: str | None,
    limit: int,
    role: str | None,
    max_retries: int,
) -> None:
    if not token:
        if not (client_id or client_secret):
            raise UsageError(
                "no Clever credentials: pass --token (or set CLEVER_TOKEN) with a district-app "
                "token, or --client-id and --client-secret (CLEVER_CLIENT_ID, "
                "CLEVER_CLIENT_SECRET) with --district"
            )
        if not (client_id and client_secret):
            missing = (
                "--client-secret (CLEVER_CLIENT_SECRET)"
                if client_id
                else "--client-id (CLEVER_CLIENT_ID)"
            )
            raise UsageError(
                f"{missing} is missing: the token lookup needs both client id and secret"
            )
        if not district:
            raise UsageError(
                "--district is missing: with --client-id/--client-secret, name the district whose "
                "token to use (its Clever id)"
            )
    if not 1 <= limit <= MAX_LIMIT:
        raise UsageError(
            f"--limit {limit} is out of range: Clever pages hold 1 to {MAX_LIMIT} records"
        )
    if role is not None and role not in CLEVER_ROLES:
        raise UsageError(
            f"--role {role!r} is not a Clever user role; use one of {', '.join(CLEVER_ROLES)}"
        )
    if max_retries < 0:
        raise UsageError(f"--retries {max_retries} must be 0 or more")
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: exists and is not a folder; pass --out a folder for the snapshot")


def _redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


# --------------------------------------------------------------------------- HTTP


@dataclass
class _Link:
    """A page to fetch: a path under the API base and its query parameters."""

    path: str
    params: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "params": dict(self.params)}

    @classmethod
    def from_json(cls, value: Any) -> _Link:
        if not isinstance(value, dict) or not isinstance(value.get("path"), str):
            raise ValueError("bad link")
        params = value.get("params") or {}
        return cls(value["path"], {str(k): str(v) for k, v in params.items()})


class _Http:
    """One httpx client, retries and Clever's error answers.  Never reveals the secrets."""

    def __init__(
        self,
        api_base: str,
        auth_base: str,
        secrets: tuple[str, ...],
        max_retries: int,
        timeout: float,
        sleep: Sleep,
    ) -> None:
        self.api_base = _base(api_base, "--api-base")
        self.auth_base = _base(auth_base, "--auth-base")
        self.secrets = secrets
        self.max_retries = max_retries
        self.sleep = sleep
        self.requests = 0
        self.retries = 0
        self.client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)),
            follow_redirects=False,
            headers={"Accept": "application/json", "User-Agent": "matchengine-pull"},
        )

    def close(self) -> None:
        self.client.close()

    def authorize(self, token: str) -> None:
        self.client.headers["Authorization"] = f"Bearer {token}"

    # ------------------------------------------------------------------ token lookup

    def lookup_token(self, client_id: str, client_secret: str, district: str) -> str:
        url = f"{self.auth_base}/oauth/tokens"
        params = {"owner_type": "district", "district": district}
        response = self._send(url, params, auth=httpx.BasicAuth(client_id, client_secret))
        status = response.status_code
        if status in (401, 403):
            raise CredentialError(
                f"the client id and secret were rejected ({status} from {url}): check "
                "--client-id/--client-secret (CLEVER_CLIENT_ID, CLEVER_CLIENT_SECRET) are the "
                "app's Clever credentials"
            )
        if status != 200:
            raise PullError(
                f"the token lookup at {url} failed ({_status_text(response)}); check --auth-base "
                "and try again"
            )
        body = self._json(response, url)
        tokens = body.get("data") if isinstance(body, dict) else None
        if not isinstance(tokens, list):
            raise PullError(
                f"the token lookup at {url} answered without a data list; check --auth-base"
            )
        for item in tokens:
            entry = item.get("data", item) if isinstance(item, dict) else None
            if not isinstance(entry, dict):
                continue
            owner = entry.get("owner") or {}
            access = entry.get("access_token")
            if (
                isinstance(owner, dict)
                and owner.get("id") == district
                and isinstance(access, str)
                and access
            ):
                return access
        raise CredentialError(
            f"no district-app token for district {district}: the district has not authorized "
            "this app (or no longer shares data with it), or the district id is wrong"
        )

    # ------------------------------------------------------------------ pages

    def get_page(self, link: _Link) -> dict[str, Any]:
        url = f"{self.api_base}{link.path}"
        response = self._send(url, link.params)
        status = response.status_code
        if status == 200:
            if _is_html(response):
                raise CredentialError(
                    f"{link.path} answered with an HTML page instead of JSON: this is not a "
                    "district-app token (an SSO/user token, or a token for another API); use the "
                    "district's token from the Clever dashboard or --client-id/--client-secret"
                )
            body = self._json(response, url)
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise PullError(
                    f'{link.path} answered JSON that is not a Clever list page (no "data" '
                    "list); check --api-base points at the Clever API"
                )
            return body
        raise _http_error(status, link.path, response)

    def resolve(self, uri: str) -> _Link:
        """A ``links`` URI (relative or absolute) as a path and parameters under the API base."""
        parts = urlsplit(uri)
        base = urlsplit(self.api_base)
        if (parts.scheme or parts.netloc) and (parts.scheme, parts.netloc) != (
            base.scheme,
            base.netloc,
        ):
            raise PullError(
                f"the API's next link points at another host ({parts.scheme}://{parts.netloc}); "
                "refusing to send the token there"
            )
        path = parts.path
        prefix = base.path.rstrip("/")
        if prefix and path.startswith(prefix + "/"):
            path = path[len(prefix) :]
        if not path.startswith("/"):
            path = "/" + path
        return _Link(path, dict(parse_qsl(parts.query, keep_blank_values=True)))

    # ------------------------------------------------------------------ sending

    def _send(
        self, url: str, params: Mapping[str, str], auth: httpx.Auth | None = None
    ) -> httpx.Response:
        """GET with retries: 429 waits for the reset, 5xx and connection errors back off."""
        attempt = 0
        while True:
            self.requests += 1
            try:
                if auth is None:
                    response = self.client.get(url, params=params)
                else:
                    response = self.client.get(url, params=params, auth=auth)
            except httpx.TransportError as exc:
                reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                wait = _backoff(attempt)
            else:
                status = response.status_code
                if status == 429:
                    reason = "429 Too Many Requests"
                    wait = _rate_limit_wait(response, attempt)
                elif status >= 500 and status != 501:
                    reason = _status_text(response)
                    wait = _backoff(attempt)
                else:
                    return response
            if attempt >= self.max_retries:
                raise PullError(
                    _redact(
                        f"could not read {url} after {attempt + 1} attempt(s) (last: {reason}); "
                        "check the network and --api-base, then re-run with --resume to continue "
                        "where it stopped",
                        self.secrets,
                    )
                )
            attempt += 1
            self.retries += 1
            log.warning(
                "%s: %s; retry %d of %d in %.1fs",
                url,
                _redact(reason, self.secrets),
                attempt,
                self.max_retries,
                wait,
            )
            self.sleep(wait)

    def _json(self, response: httpx.Response, url: str) -> Any:
        try:
            return json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            raise PullError(
                f"{url} answered with a body that is not JSON ({_status_text(response)}); "
                "check --api-base/--auth-base point at Clever"
            ) from None


def _base(url: str, option: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"{option} {url!r} is not an http(s) URL, e.g. https://api.clever.com")
    return url.rstrip("/")


def _backoff(attempt: int) -> float:
    return min(BACKOFF_CAP, BACKOFF_BASE * 2.0**attempt)


def _rate_limit_wait(response: httpx.Response, attempt: int) -> float:
    """Seconds until ``X-RateLimit-Reset`` (unix time, or seconds if small), else backoff."""
    for header in ("X-RateLimit-Reset", "Retry-After"):
        raw = response.headers.get(header)
        if raw is None:
            continue
        try:
            value = float(raw.strip())
        except ValueError:
            continue
        wait = value - time.time() if value > 1e9 else value
        if wait > 0:
            return min(RATE_LIMIT_WAIT_CAP, wait + 0.5)
    return _backoff(attempt)


def _is_html(response: httpx.Response) -> bool:
    ctype = response.headers.get("Content-Type", "").lower()
    if "html" in ctype:
        return True
    return response.content.lstrip()[:1] == b"<"


def _status_text(response: httpx.Response) -> str:
    return f"{response.status_code} {response.reason_phrase}".strip()


def _server_message(response: httpx.Response) -> str:
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return ""
    if isinstance(body, dict):
        for key in ("message", "error_description", "error"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return f' (Clever says: "{value[:200]}")'
    return ""


def _http_error(status: int, path: str, response: httpx.Response) -> MatchengineError:
    said = _server_message(response)
    if status == 401:
        return CredentialError(
            f"the token was rejected (401 on {path}){said}: check it is a district-app token for "
            "this district and has not been revoked"
        )
    if status == 403:
        return CredentialError(
            f"the token may not read {path} (403 Forbidden){said}: the district has not shared "
            "this data with the app, or the token lacks the scope"
        )
    if status == 404:
        return CredentialError(
            f"{path} was not found (404){said}: the district no longer shares data with this "
            "app, or the token is not a district-app token (SSO user tokens cannot list records)"
        )
    if status == 413:
        return UsageError(
            f"{path}: the page size is too large (413){said}; use --limit 10000 or less"
        )
    if 300 <= status < 400:
        where = response.headers.get("Location", "?")
        return PullError(
            f"{path} answered with a redirect ({_status_text(response)} to {where}); check --api-base"
        )
    return PullError(f"{path} failed ({_status_text(response)}){said}")


# --------------------------------------------------------------------------- the job


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _fsync_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


@dataclass
class _Stream:
    """One resource's progress: what ``.pull-state.json`` keeps about it."""

    resource: str
    file: str
    done: bool = False
    records: int = 0
    pages: int = 0
    bytes: int = 0
    next: _Link | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "done": self.done,
            "records": self.records,
            "pages": self.pages,
            "bytes": self.bytes,
            "next": self.next.to_json() if self.next else None,
        }


class _Job:
    def __init__(
        self,
        out: Path,
        http: _Http,
        limit: int,
        role: str | None,
        district: str | None,
        progress: Progress | None,
    ) -> None:
        self.out = out
        self.http = http
        self.api_base = http.api_base
        self.limit = limit
        self.role = role
        self.wanted_district = district
        self.district: str | None = None
        self.district_name: str | None = None
        self.progress = progress
        self.streams = [_Stream(name, file) for name, file in RESOURCES]
        self.started_at = _now()
        self.resumed = False
        self.committing = False
        self.warnings: list[str] = []

    # ------------------------------------------------------------------ state

    @property
    def state_path(self) -> Path:
        return self.out / STATE

    def part(self, stream: _Stream) -> Path:
        return self.out / (stream.file + PART)

    def save_state(self) -> None:
        state = {
            "state_version": STATE_VERSION,
            "api_version": API_VERSION,
            "api_base": self.api_base,
            "role": self.role,
            "district": self.district,
            "district_name": self.district_name,
            "started_at": self.started_at,
            "committing": self.committing,
            "resources": {s.resource: s.to_json() for s in self.streams},
        }
        _fsync_write(self.state_path, json.dumps(state, indent=2).encode("utf-8"))

    def prepare(self, resume: bool) -> None:
        state = self._read_state()
        if state is not None and resume:
            self._restore(state)
            return
        if state is not None:
            done = {
                name: info.get("records", 0)
                for name, info in (state.get("resources") or {}).items()
                if isinstance(info, dict) and info.get("records")
            }
            so_far = ", ".join(f"{n} {name}" for name, n in done.items()) or "nothing yet"
            self.warnings.append(
                f"{self.out}: discarded an unfinished pull ({so_far}) and started over; "
                "pass --resume to continue an unfinished pull instead"
            )
        elif resume:
            self.warnings.append(f"{self.out}: no unfinished pull to resume; started a new one")
        self._discard()  # the state file appears with the first saved page

    def _read_state(self) -> dict[str, Any] | None:
        if not self.state_path.exists():
            return None
        try:
            state = json.loads(self.state_path.read_bytes())
        except (OSError, ValueError):
            self.warnings.append(f"{self.state_path}: unreadable pull state; started over")
            return None
        if not isinstance(state, dict) or state.get("state_version") != STATE_VERSION:
            self.warnings.append(f"{self.state_path}: pull state of another version; started over")
            return None
        return state

    def _discard(self) -> None:
        for stream in self.streams:
            self.part(stream).unlink(missing_ok=True)
        self.state_path.unlink(missing_ok=True)

    def _restore(self, state: dict[str, Any]) -> None:
        for key, ours in (("api_base", self.api_base), ("role", self.role)):
            if state.get(key) != ours:
                raise UsageError(
                    f"{self.out}: the unfinished pull there used {key.replace('_', '-')} "
                    f"{state.get(key)!r}, not {ours!r}; re-run with the same options to resume, "
                    "or without --resume to start over"
                )
        saved = state.get("district")
        if self.wanted_district and saved and saved != self.wanted_district:
            raise UsageError(
                f"{self.out}: the unfinished pull there is for district {saved}, not "
                f"{self.wanted_district}; re-run without --resume to start over"
            )
        self.resumed = True
        self.started_at = str(state.get("started_at") or self.started_at)
        self.district = saved
        self.district_name = state.get("district_name")
        self.committing = bool(state.get("committing"))
        resources = state.get("resources") or {}
        for stream in self.streams:
            info = resources.get(stream.resource)
            if not isinstance(info, dict):
                continue
            part = self.part(stream)
            try:
                stream.done = bool(info.get("done"))
                stream.records = int(info.get("records", 0))
                stream.pages = int(info.get("pages", 0))
                stream.bytes = int(info.get("bytes", 0))
                stream.next = _Link.from_json(info["next"]) if info.get("next") else None
            except (TypeError, ValueError):
                self._restart(stream, "its saved progress is unreadable")
                continue
            if self.committing and stream.done and not part.exists():
                continue  # already renamed into place before the interruption
            size = part.stat().st_size if part.exists() else 0
            if size < stream.bytes or (not stream.done and stream.pages and stream.next is None):
                self._restart(stream, f"{part.name} is shorter than recorded")
                continue
            if size > stream.bytes:  # records written after the last saved page: drop them
                with open(part, "r+b") as fh:
                    fh.truncate(stream.bytes)
        log.info("resuming the pull in %s", self.out)

    def _restart(self, stream: _Stream, why: str) -> None:
        self.warnings.append(f"{self.out}: {stream.resource} fetched again from the start ({why})")
        self.part(stream).unlink(missing_ok=True)
        stream.done, stream.records, stream.pages, stream.bytes, stream.next = False, 0, 0, 0, None
        self.committing = False

    # ------------------------------------------------------------------ pulling

    def run(self) -> None:
        if self.committing:
            return
        for stream in self.streams:
            if stream.done:
                if self.progress is not None:
                    self.progress(stream.resource, stream.records)
                continue
            self._pull_stream(stream)

    def _first_link(self, stream: _Stream) -> _Link:
        params = {"limit": str(self.limit)}
        if stream.resource == "users" and self.role:
            params["role"] = self.role
        return _Link(f"/{API_VERSION}/{stream.resource}", params)

    def _pull_stream(self, stream: _Stream) -> None:
        link = stream.next or self._first_link(stream)
        if self.progress is not None:
            self.progress(stream.resource, stream.records)
        while True:
            link.params["limit"] = str(self.limit)
            if stream.resource == "users" and self.role:
                link.params.setdefault("role", self.role)
            page = self.http.get_page(link)
            objects = _page_objects(page, link.path)
            if stream.resource == "districts":
                self._check_district(objects)
            nxt = _next_uri(page)
            following = self.http.resolve(nxt) if nxt else None
            if following is not None and _same_page(following, link):
                raise PullError(
                    f"{link.path}: the next link repeats the current page; the API is not "
                    "paging, stopping rather than looping"
                )
            data = b"".join(
                json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
                for obj in objects
            )
            # Append the page after the last saved one, sync it, then record it in the state:
            # an interruption anywhere leaves the state pointing at a complete page.
            with open(self.part(stream), "ab") as fh:
                fh.truncate(stream.bytes)
                fh.seek(stream.bytes)
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            stream.records += len(objects)
            stream.pages += 1
            stream.bytes += len(data)
            stream.next = following
            stream.done = following is None
            self.save_state()
            if self.progress is not None:
                self.progress(stream.resource, stream.records)
            if following is None:
                break
            link = following
        log.info("%s: %d record(s) in %d page(s)", stream.resource, stream.records, stream.pages)

    def _check_district(self, objects: list[dict[str, Any]]) -> None:
        if not objects and self.district is None:
            raise CredentialError(
                "/v3.0/districts returned no district: this is not a district-app token (use the "
                "district's token, or --client-id/--client-secret with --district)"
            )
        if self.district is None and objects:
            first = objects[0]
            self.district = str(first.get("id"))
            name = first.get("name")
            self.district_name = name if isinstance(name, str) else None
            if self.wanted_district and self.wanted_district != self.district:
                raise CredentialError(
                    f"the token is for district {self.district}, not {self.wanted_district}: "
                    "pass that district's token or fix --district"
                )

    # ------------------------------------------------------------------ finishing

    def finish(self, seconds: float) -> PullResult:
        self.committing = True
        self.save_state()
        files: dict[str, Path] = {}
        for stream in self.streams:
            final = self.out / stream.file
            part = self.part(stream)
            if part.exists():
                os.replace(part, final)
            files[stream.resource] = final
        finished = _now()
        counts = {s.resource: s.records for s in self.streams}
        manifest = {
            "source": "clever-api",
            "api_version": API_VERSION,
            "api_base": self.api_base,
            "district": self.district,
            "district_name": self.district_name,
            "role": self.role,
            "limit": self.limit,
            "started_at": self.started_at,
            "finished_at": finished,
            "counts": counts,
            "files": {s.resource: s.file for s in self.streams},
            "resumed": self.resumed,
        }
        manifest_path = self.out / MANIFEST
        _fsync_write(
            manifest_path,
            (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
        )
        self.state_path.unlink(missing_ok=True)
        return PullResult(
            out_dir=self.out,
            district=self.district,
            district_name=self.district_name,
            role=self.role,
            limit=self.limit,
            counts=counts,
            files=files,
            manifest=manifest_path,
            requests=self.http.requests,
            retries=self.http.retries,
            resumed=self.resumed,
            started_at=self.started_at,
            finished_at=finished,
            seconds=seconds,
            warnings=list(self.warnings),
        )


def _page_objects(page: Mapping[str, Any], path: str) -> list[dict[str, Any]]:
    """The ``data`` object of every item (bare items are taken as they are)."""
    objects: list[dict[str, Any]] = []
    for i, item in enumerate(page["data"]):
        obj = (
            item.get("data")
            if isinstance(item, dict) and isinstance(item.get("data"), dict)
            else item
        )
        if not isinstance(obj, dict) or not obj.get("id"):
            raise PullError(
                f"{path}: item {i + 1} of a page is not a Clever object with an id; check "
                "--api-base points at the Clever API"
            )
        objects.append(obj)
    return objects


def _next_uri(page: Mapping[str, Any]) -> str | None:
    links = page.get("links")
    if not isinstance(links, list):
        return None
    for link in links:
        if isinstance(link, dict) and link.get("rel") == "next":
            uri = link.get("uri")
            if isinstance(uri, str) and uri:
                return uri
    return None


def _same_page(a: _Link, b: _Link) -> bool:
    strip = ("limit",)
    return a.path == b.path and {k: v for k, v in a.params.items() if k not in strip} == {
        k: v for k, v in b.params.items() if k not in strip
    }
