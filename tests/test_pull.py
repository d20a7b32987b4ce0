"""``pull``: fetch a district snapshot from a Clever-shaped server on 127.0.0.1.

The server (``tests/clever_server.py``) pages in-memory records and injects faults; retries
sleep through a fake, so nothing here waits for real.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from clever_server import CleverServer
from typer.testing import CliRunner

from matchengine.clever import load_districts, load_role, load_schools, load_sections
from matchengine.cli import app
from matchengine.errors import EXIT_RUNTIME, EXIT_USAGE, UsageError
from matchengine.pipeline import match
from matchengine.pull import (
    MANIFEST,
    RATE_LIMIT_WAIT_CAP,
    STATE,
    CredentialError,
    PullError,
    pull,
)

ROOT = Path(__file__).parents[1]
FIXTURE = ROOT / "fixtures" / "district"
DISTRICT = "5f0000000000000000000001"
TOKEN = "tok-9d4c1e7a5b3f2e8d6c0a1b2c3d4e5f60"
CLIENT_ID = "cid-1f2e3d4c5b6a"
CLIENT_SECRET = "csecret-a1b2c3d4e5f6a7b8c9d0"
ROLES = ("student", "teacher", "staff", "district_admin")


class Interrupted(Exception):
    """Stands for Ctrl-C or a killed process in the middle of a pull."""


class FakeSleep:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def user(i: int) -> dict[str, Any]:
    role = ROLES[i % len(ROLES)]
    payload: dict[str, Any] = {"sis_id": f"{i:07d}", "school": school_id(i % 3)}
    if role == "student":
        payload["dob"] = f"{1 + i % 12}/{1 + i % 28}/2012"
    return {
        "id": f"6b{i:022x}",
        "district": DISTRICT,
        "email": f"user{i}@district.org",
        "name": {"first": f"First{i}", "middle": None, "last": f"Lást{i}"},
        "roles": {role: payload},
        "created": "2024-08-01T12:00:00.000Z",
        "last_modified": "2025-01-15T12:00:00.000Z",
    }


def school_id(i: int) -> str:
    return f"5a{i:022x}"


def district_data(users: int = 2500, sections: int = 7) -> dict[str, list[dict[str, Any]]]:
    return {
        "districts": [{"id": DISTRICT, "name": "Springfield Public Schools", "state": "success"}],
        "schools": [
            {
                "id": school_id(i),
                "district": DISTRICT,
                "name": f"School {i}",
                "sis_id": str(100 + i),
            }
            for i in range(3)
        ],
        "users": [user(i) for i in range(users)],
        "sections": [
            {
                "id": f"5c{i:022x}",
                "district": DISTRICT,
                "school": school_id(i % 3),
                "name": f"Algebra - Smith - Period {i}",
                "teacher": user(1).get("id"),
                "students": [user(0)["id"], user(4)["id"]],
            }
            for i in range(sections)
        ],
    }


@pytest.fixture(autouse=True)
def no_leftover_threads() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not left, f"threads still running: {left}"


@pytest.fixture
def server() -> Iterator[CleverServer]:
    with CleverServer(district_data(), token=TOKEN) as srv:
        yield srv


def read_ndjson(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def run(srv: CleverServer, out: Path, **kwargs: Any) -> Any:
    kwargs.setdefault("token", TOKEN)
    kwargs.setdefault("sleep", FakeSleep())
    return pull(out, api_base=srv.url, auth_base=srv.url, **kwargs)


def assert_snapshot(srv: CleverServer, out: Path) -> None:
    """Every resource file holds exactly the server's records, once each, in id order."""
    for resource in ("districts", "schools", "users", "sections"):
        got = read_ndjson(out / f"{resource}.ndjson")
        assert got == srv.records[resource], resource
    assert not list(out.glob("*.part")) and not (out / STATE).exists()


# --------------------------------------------------------------------------- paging


def test_25000_users_in_pages_of_1000_come_back_exactly_once(tmp_path: Path) -> None:
    with CleverServer(district_data(users=25000), token=TOKEN) as srv:
        seen: list[tuple[str, int]] = []
        t0 = time.perf_counter()
        result = run(srv, tmp_path / "snap", limit=1000, progress=lambda r, n: seen.append((r, n)))
        elapsed = time.perf_counter() - t0
        user_requests = srv.requests_for("/v3.0/users")
    out = tmp_path / "snap"
    assert_snapshot(srv, out)
    users = read_ndjson(out / "users.ndjson")
    assert len(users) == 25000 and len({u["id"] for u in users}) == 25000
    assert len(user_requests) == 25 and all(q["limit"] == "1000" for q in user_requests)
    assert "starting_after" not in user_requests[0]
    assert [q["starting_after"] for q in user_requests[1:]] == [
        users[i]["id"] for i in range(999, 24000, 1000)
    ]
    assert [n for r, n in seen if r == "users"] == list(range(0, 25001, 1000))
    assert result.counts == {"districts": 1, "schools": 3, "users": 25000, "sections": 7}
    assert result.district == DISTRICT and result.retries == 0 and not result.resumed
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["district"] == DISTRICT and manifest["api_version"] == "v3.0"
    assert manifest["counts"] == result.counts and manifest["limit"] == 1000
    assert manifest["finished_at"].endswith("Z")
    # the layout match --clever reads
    assert len(load_role(out, "student")) == 6250
    assert len(load_schools(out)) == 3 and len(load_sections(out)) == 7
    assert load_districts(out)["name"].to_list() == ["Springfield Public Schools"]
    assert elapsed < 30


def test_small_pages_and_bare_items(tmp_path: Path) -> None:
    with CleverServer(district_data(users=95, sections=0), token=TOKEN, wrap=False) as srv:
        result = run(srv, tmp_path, limit=10)
        assert len(srv.requests_for("/v3.0/users")) == 10
    assert_snapshot(srv, tmp_path)
    assert result.counts["users"] == 95 and result.counts["sections"] == 0
    assert (tmp_path / "sections.ndjson").read_bytes() == b""


def test_role_filter(tmp_path: Path, server: CleverServer) -> None:
    result = run(server, tmp_path, limit=100, role="teacher")
    users = read_ndjson(tmp_path / "users.ndjson")
    expected = [u for u in server.records["users"] if "teacher" in u["roles"]]
    assert users == expected and result.counts["users"] == len(expected) == 625
    assert all(q["role"] == "teacher" for q in server.requests_for("/v3.0/users"))
    assert json.loads((tmp_path / MANIFEST).read_text())["role"] == "teacher"


# --------------------------------------------------------------------------- resume


def test_interrupted_run_resumes_from_the_last_page_without_duplicates(tmp_path: Path) -> None:
    out = tmp_path / "snap"
    with CleverServer(district_data(users=25000), token=TOKEN) as srv:
        srv.inject("drop", "/v3.0/users", nth=13, times=10**6)  # the network goes away
        with pytest.raises(PullError) as info:
            run(srv, out, limit=1000, max_retries=2)
        assert info.value.exit_code == EXIT_RUNTIME
        assert "--resume" in str(info.value)
        assert not (out / "users.ndjson").exists() and (out / STATE).exists()
        assert len(read_ndjson(out / "users.ndjson.part")) == 12000

        srv.clear_faults()
        before = len(srv.requests)
        result = run(srv, out, limit=1000, resume=True)
        after = srv.requests[before:]
    assert_snapshot(srv, out)
    assert result.resumed and result.counts["users"] == 25000
    # only the 13 missing users pages and the sections were fetched again
    assert [p for p, _ in after] == ["/v3.0/users"] * 13 + ["/v3.0/sections"]
    assert after[0][1]["starting_after"] == srv.records["users"][11999]["id"]
    assert json.loads((out / MANIFEST).read_text())["resumed"] is True


def test_resume_after_a_crash_between_writing_a_page_and_saving_the_state(
    tmp_path: Path, server: CleverServer
) -> None:
    def stop_at_1000(resource: str, records: int) -> None:
        if resource == "users" and records == 1000:
            raise Interrupted

    with pytest.raises(Interrupted):
        run(server, tmp_path, limit=250, progress=stop_at_1000)
    part = tmp_path / "users.ndjson.part"
    assert len(read_ndjson(part)) == 1000
    # the next page reached the file but the process died before the state was saved
    with part.open("ab") as fh:
        fh.write(json.dumps(server.records["users"][1000]).encode() + b'\n{"id": "6b00')
    result = run(server, tmp_path, limit=250, resume=True)
    assert_snapshot(server, tmp_path)
    assert result.counts["users"] == 2500


def test_resume_with_another_page_size_and_when_nothing_is_unfinished(
    tmp_path: Path, server: CleverServer
) -> None:
    def stop(resource: str, records: int) -> None:
        if resource == "users" and records == 700:
            raise Interrupted

    with pytest.raises(Interrupted):
        run(server, tmp_path, limit=100, progress=stop)
    run(server, tmp_path, limit=1000, resume=True)
    assert_snapshot(server, tmp_path)
    # a finished pull leaves nothing to resume: --resume then simply pulls again
    result = run(server, tmp_path, resume=True)
    assert not result.resumed and "no unfinished pull" in result.warnings[0]
    assert_snapshot(server, tmp_path)


def test_resume_after_all_pages_but_before_the_files_were_renamed(
    tmp_path: Path, server: CleverServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import matchengine.pull as pull_module

    real_replace = pull_module.os.replace
    calls = {"n": 0}

    def flaky_replace(src: Any, dst: Any) -> None:
        if str(src).endswith(".part"):
            calls["n"] += 1
            if calls["n"] == 3:  # districts and schools renamed, then the power goes
                raise Interrupted
        real_replace(src, dst)

    monkeypatch.setattr(pull_module.os, "replace", flaky_replace)
    with pytest.raises(Interrupted):
        run(server, tmp_path)
    monkeypatch.setattr(pull_module.os, "replace", real_replace)
    before = len(server.requests)
    result = run(server, tmp_path, resume=True)
    assert len(server.requests) == before  # nothing fetched again
    assert_snapshot(server, tmp_path)
    assert result.counts["users"] == 2500


def test_without_resume_an_unfinished_pull_is_discarded(
    tmp_path: Path, server: CleverServer
) -> None:
    def stop(resource: str, records: int) -> None:
        if resource == "users" and records == 500:
            raise Interrupted

    with pytest.raises(Interrupted):
        run(server, tmp_path, limit=250, progress=stop)
    before = len(server.requests)
    result = run(server, tmp_path, limit=250)
    assert "discarded an unfinished pull" in result.warnings[0] and "--resume" in result.warnings[0]
    assert server.requests[before] == ("/v3.0/districts", {"limit": "250"})
    assert not result.resumed
    assert_snapshot(server, tmp_path)


def test_resume_refuses_other_options(tmp_path: Path, server: CleverServer) -> None:
    def stop(resource: str, records: int) -> None:
        if resource == "users" and records == 500:
            raise Interrupted

    with pytest.raises(Interrupted):
        run(server, tmp_path, limit=250, role="student", progress=stop)
    with pytest.raises(UsageError, match="role 'student', not None"):
        run(server, tmp_path, resume=True)
    with pytest.raises(UsageError, match="for district 5f0000000000000000000001, not 5fother"):
        run(server, tmp_path, resume=True, role="student", district="5fother")


def test_the_previous_snapshot_stays_whole_until_the_new_one_is_complete(
    tmp_path: Path, server: CleverServer
) -> None:
    run(server, tmp_path, limit=500)
    old = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def stop(resource: str, records: int) -> None:
        if resource == "users" and records == 1000:
            raise Interrupted

    server.records["users"] = server.records["users"][:2000]
    server.ids["users"] = server.ids["users"][:2000]
    with pytest.raises(Interrupted):
        run(server, tmp_path, limit=500, progress=stop)
    for name, data in old.items():
        assert (tmp_path / name).read_bytes() == data, name
    run(server, tmp_path, limit=500, resume=True)
    assert_snapshot(server, tmp_path)


# --------------------------------------------------------------------------- retries


def test_429_waits_until_the_rate_limit_resets(tmp_path: Path, server: CleverServer) -> None:
    reset = int(time.time()) + 30
    server.inject(
        "status", "/v3.0/users", nth=2, status=429, headers={"X-RateLimit-Reset": str(reset)}
    )
    sleep = FakeSleep()
    result = run(server, tmp_path, limit=500, sleep=sleep)
    assert_snapshot(server, tmp_path)
    assert len(sleep.calls) == 1 and 25 < sleep.calls[0] <= 32
    assert result.retries == 1


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-RateLimit-Reset": str(int(time.time()) + 10**6)}, RATE_LIMIT_WAIT_CAP),
        ({}, 1.0),  # no reset header: exponential backoff
        ({"X-RateLimit-Reset": "soon"}, 1.0),
    ],
)
def test_429_wait_is_capped_or_backs_off(
    tmp_path: Path, server: CleverServer, headers: dict[str, str], expected: float
) -> None:
    server.inject("status", "/v3.0/schools", status=429, headers=headers)
    sleep = FakeSleep()
    run(server, tmp_path, sleep=sleep)
    assert sleep.calls == [expected]
    assert_snapshot(server, tmp_path)


def test_500_then_success(tmp_path: Path, server: CleverServer) -> None:
    server.inject("status", "/v3.0/users", nth=3, times=2, status=500)
    server.inject("status", "/v3.0/sections", status=503)
    sleep = FakeSleep()
    result = run(server, tmp_path, limit=500, sleep=sleep)
    assert_snapshot(server, tmp_path)
    assert sleep.calls == [1.0, 2.0, 1.0] and result.retries == 3


@pytest.mark.parametrize("kind", ["drop", "drop_body"])
def test_dropped_connection_mid_run_is_retried(
    tmp_path: Path, server: CleverServer, kind: str
) -> None:
    server.inject(kind, "/v3.0/users", nth=4)
    sleep = FakeSleep()
    result = run(server, tmp_path, limit=250, sleep=sleep)
    assert_snapshot(server, tmp_path)
    assert sleep.calls == [1.0] and result.retries == 1


def test_gives_up_after_max_retries(tmp_path: Path, server: CleverServer) -> None:
    server.inject("status", "/v3.0/schools", status=502, times=100)
    sleep = FakeSleep()
    with pytest.raises(PullError, match=r"after 4 attempt\(s\) \(last: 502 Bad Gateway\)"):
        run(server, tmp_path, max_retries=3, sleep=sleep)
    assert sleep.calls == [1.0, 2.0, 4.0]


def test_unreachable_server(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sleep = FakeSleep()
    with pytest.raises(PullError, match="ConnectError") as info:
        pull(tmp_path, token=TOKEN, api_base=f"http://127.0.0.1:{port}", max_retries=1, sleep=sleep)
    assert info.value.exit_code == EXIT_RUNTIME and sleep.calls == [1.0]


# --------------------------------------------------------------------------- credentials


def test_401_is_a_clear_credential_error(tmp_path: Path, server: CleverServer) -> None:
    sleep = FakeSleep()
    with pytest.raises(CredentialError) as info:
        run(server, tmp_path / "snap", token="not-the-token", sleep=sleep)
    message = str(info.value)
    assert message.startswith("the token was rejected (401 on /v3.0/districts)")
    assert "district-app token for this district" in message
    assert info.value.exit_code == EXIT_USAGE and not sleep.calls
    assert list((tmp_path / "snap").iterdir()) == []  # nothing half-written


def test_401_mid_run(tmp_path: Path, server: CleverServer) -> None:
    server.inject("status", "/v3.0/users", nth=2, status=401)
    with pytest.raises(CredentialError, match=r"401 on /v3\.0/users"):
        run(server, tmp_path, limit=500)
    assert (tmp_path / STATE).exists()  # the pages before it are kept for --resume


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (403, "may not read /v3.0/schools (403 Forbidden)"),
        (404, "/v3.0/schools was not found (404)"),
    ],
)
def test_403_and_404(tmp_path: Path, server: CleverServer, status: int, words: str) -> None:
    server.inject("status", "/v3.0/schools", status=status)
    with pytest.raises(CredentialError) as info:
        run(server, tmp_path)
    assert words in str(info.value) and info.value.exit_code == EXIT_USAGE


def test_html_instead_of_json_means_the_wrong_token_type(
    tmp_path: Path, server: CleverServer
) -> None:
    server.inject("html", "/v3.0/districts")
    with pytest.raises(CredentialError, match="HTML page instead of JSON: this is not a district"):
        run(server, tmp_path)


def test_client_id_and_secret_look_the_token_up(tmp_path: Path, server: CleverServer) -> None:
    result = run(
        server,
        tmp_path,
        token=None,
        client_id=server.client_id,
        client_secret=server.client_secret,
        district=DISTRICT,
    )
    assert_snapshot(server, tmp_path)
    assert result.district == DISTRICT
    assert server.requests_for("/oauth/tokens") == [
        {"owner_type": "district", "district": DISTRICT}
    ]


def test_client_credentials_errors(tmp_path: Path, server: CleverServer) -> None:
    with pytest.raises(CredentialError, match="client id and secret were rejected"):
        run(server, tmp_path, token=None, client_id="x", client_secret="y", district=DISTRICT)
    with pytest.raises(CredentialError, match="no district-app token for district 5fnotshared"):
        run(
            server,
            tmp_path,
            token=None,
            client_id=server.client_id,
            client_secret=server.client_secret,
            district="5fnotshared",
        )


def test_a_token_for_another_district(tmp_path: Path, server: CleverServer) -> None:
    with pytest.raises(CredentialError, match=f"the token is for district {DISTRICT}, not 5fx"):
        run(server, tmp_path, district="5fx")


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"token": None}, "no Clever credentials"),
        ({"token": None, "client_id": "a"}, "--client-secret (CLEVER_CLIENT_SECRET) is missing"),
        ({"token": None, "client_id": "a", "client_secret": "b"}, "--district is missing"),
        ({"limit": 10001}, "--limit 10001 is out of range"),
        ({"limit": 0}, "--limit 0 is out of range"),
        ({"role": "students"}, "--role 'students' is not a Clever user role"),
        ({"max_retries": -1}, "--retries -1"),
    ],
)
def test_usage_errors(tmp_path: Path, kwargs: dict[str, Any], words: str) -> None:
    kwargs.setdefault("token", TOKEN)
    with pytest.raises(UsageError) as info:
        pull(tmp_path, api_base="http://127.0.0.1:9", **kwargs)
    assert words in str(info.value)


def test_bad_base_urls(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--api-base 'ftp://x' is not an http"):
        pull(tmp_path, token=TOKEN, api_base="ftp://x")
    with pytest.raises(UsageError, match=r"--auth-base 'clever\.com' is not an http"):
        pull(tmp_path, token=TOKEN, auth_base="clever.com")


def test_a_next_link_to_another_host_is_not_followed(tmp_path: Path) -> None:
    class Elsewhere(CleverServer):
        def page(self, resource: str, query: Any) -> tuple[int, dict[str, Any]]:
            status, body = super().page(resource, query)
            for link in body.get("links", []):
                if link["rel"] == "next":
                    link["uri"] = "http://127.0.0.2:9" + link["uri"]
            return status, body

    with (
        Elsewhere(district_data(users=30), token=TOKEN) as srv,
        pytest.raises(PullError, match="refusing to send the token there"),
    ):
        run(srv, tmp_path, limit=10)
    # an absolute link to the same host is fine

    class Absolute(CleverServer):
        def page(self, resource: str, query: Any) -> tuple[int, dict[str, Any]]:
            status, body = super().page(resource, query)
            for link in body.get("links", []):
                if link["rel"] == "next":
                    link["uri"] = self.url + link["uri"]
            return status, body

    with Absolute(district_data(users=30), token=TOKEN) as srv:
        run(srv, tmp_path, limit=10)
        assert len(srv.requests_for("/v3.0/users")) == 3
    assert_snapshot(srv, tmp_path)


# --------------------------------------------------------------------------- secrets


def assert_no_secret(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text


def test_secrets_appear_nowhere(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = (TOKEN, CLIENT_ID, CLIENT_SECRET)
    data = district_data()
    with CleverServer(data, token=TOKEN, client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as srv:
        srv.inject("status", "/v3.0/users", nth=2, status=500)
        srv.inject("status", "/v3.0/schools", status=429)
        result = run(
            srv,
            tmp_path,
            token=None,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            district=DISTRICT,
            limit=500,
        )
    assert result.retries == 2
    for path in tmp_path.iterdir():
        assert_no_secret(path.read_text(encoding="utf-8"), *secrets)
    assert_no_secret(repr(result) + json.dumps(result.to_dict()), *secrets)
    assert "retry 1 of 5" in caplog.text  # the retries were logged ...
    assert_no_secret(caplog.text, *secrets)  # ... without the secrets


def test_a_server_echoing_the_token_is_redacted(tmp_path: Path) -> None:
    class Echo(CleverServer):
        def page(self, resource: str, query: Any) -> tuple[int, dict[str, Any]]:
            return 400, {"message": f"bad request for token {TOKEN}"}

    with Echo(district_data(users=1), token=TOKEN) as srv, pytest.raises(PullError) as info:
        run(srv, tmp_path)
    assert "400 Bad Request" in str(info.value) and "bad request for token ***" in str(info.value)
    assert_no_secret(str(info.value) + repr(info.value), TOKEN)


# --------------------------------------------------------------------------- end to end


def fixture_server() -> CleverServer:
    clever = FIXTURE / "clever"
    return CleverServer(
        {
            "districts": [{"id": DISTRICT, "name": "Fixture District"}],
            "schools": read_ndjson(clever / "schools.ndjson"),
            "users": read_ndjson(clever / "users.ndjson"),
            "sections": [],
        },
        token=TOKEN,
    )


def test_pull_then_match_gives_the_same_bytes_as_the_snapshot(tmp_path: Path) -> None:
    with fixture_server() as srv:
        run(srv, tmp_path / "pulled", limit=3)
    pulled = match(FIXTURE / "app.csv", tmp_path / "pulled", "student", tmp_path / "pulled.csv")
    direct = match(FIXTURE / "app.csv", FIXTURE / "clever", "student", tmp_path / "direct.csv")
    assert (tmp_path / "pulled.csv").read_bytes() == (tmp_path / "direct.csv").read_bytes()
    assert pulled.counts == direct.counts and pulled.counts["match"] >= 1


# --------------------------------------------------------------------------- CLI

runner = CliRunner()


def invoke(*args: Any, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_cli_pull_then_match(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    snap, out = tmp_path / "snap", tmp_path / "out.csv"
    with fixture_server() as srv:
        srv.inject("status", "/v3.0/users", status=500)  # one retry, logged
        code, stdout, stderr = invoke(
            "--debug",
            "pull",
            "--out",
            snap,
            "--api-base",
            srv.url,
            "--limit",
            5,
            "--json",
            env={"CLEVER_TOKEN": TOKEN},
        )
    assert code == 0, stderr
    report = json.loads(stdout)
    assert report["counts"]["users"] == 11 and report["retries"] == 1
    code, stdout2, stderr2 = invoke(
        "match", FIXTURE / "app.csv", "--clever", snap, "--role", "student", "--out", out
    )
    assert code == 0, stderr2
    texts = [stdout, stderr, stdout2, stderr2, caplog.text]
    texts += [p.read_text(encoding="utf-8") for p in snap.iterdir()]
    assert_no_secret("\n".join(texts), TOKEN)


def test_cli_text_output_and_help(tmp_path: Path) -> None:
    with fixture_server() as srv:
        code, stdout, stderr = invoke(
            "pull", "-o", tmp_path, "--api-base", srv.url, "--token", TOKEN
        )
    assert code == 0, stderr
    assert stdout.startswith(f"district {DISTRICT} (Fixture District): districts: 1, schools: 2")
    assert f"wrote {tmp_path}" in stdout
    assert_no_secret(stdout + stderr, TOKEN)
    code, stdout, _ = invoke("pull", "--help", env={"CLEVER_TOKEN": TOKEN})
    assert code == 0 and "--resume" in stdout and "CLEVER_TOKEN" in stdout
    assert_no_secret(stdout, TOKEN)


def test_cli_exit_codes(tmp_path: Path) -> None:
    with fixture_server() as srv:
        code, stdout, stderr = invoke(
            "pull", "-o", tmp_path / "a", "--api-base", srv.url, env={"CLEVER_TOKEN": "wrong"}
        )
        assert code == EXIT_USAGE and stdout == ""
        assert stderr.startswith("error: the token was rejected (401 on /v3.0/districts)")
        assert len(stderr.strip().splitlines()) == 1
        code, _, stderr = invoke(
            "pull",
            "-o",
            tmp_path / "b",
            "--api-base",
            srv.url,
            "--client-id",
            "x",
            "--client-secret",
            CLIENT_SECRET,
            "--auth-base",
            srv.url,
        )
        assert code == EXIT_USAGE and "--district is missing" in stderr
        assert_no_secret(stderr, CLIENT_SECRET)
        srv.inject("status", "/v3.0/districts", status=500, times=10)
        code, _, stderr = invoke(
            "pull", "-o", tmp_path / "c", "--api-base", srv.url, "--token", TOKEN, "--retries", 0
        )
        assert code == EXIT_RUNTIME and "re-run with --resume" in stderr
        assert_no_secret(stderr, TOKEN)
