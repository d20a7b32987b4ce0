"""The synthetic district generator: determinism, truth rules, file formats, noise."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from matchengine import synth
from matchengine import synthdata as sd
from matchengine.errors import UsageError
from matchengine.fields import map_headers
from matchengine.matchmaker import (
    APP_DUPLICATE,
    APP_NO_MATCH,
    CLEVER_DUPLICATE,
    CLEVER_FIELDS,
    CLEVER_NO_MATCH,
    MATCH,
    RESULT_COLUMN,
    STATUSES,
    output_header,
)
from matchengine.synth import GenerateSummary, generate, generate_with_truth, strip_accents

ID_FIELDS = {"sis_id", "student_number", "teacher_number", "staff_id", "state_id", "username"}
DOB_FORMATS = {
    "M/D/YYYY": re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$"),
    "YYYY-MM-DD": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "ISO timestamp": re.compile(r"^\d{4}-\d{2}-\d{2}T00:00:00(\.000)?Z$"),
}


# --------------------------------------------------------------------------- helpers


class District:
    """A generated district read back from disk, with the generator's truth maps."""

    def __init__(self, out: Path, role: str, summary: GenerateSummary, app_truth, clever_truth):
        self.out = out
        self.role = role
        self.summary = summary
        self.app_truth: dict[str, int] = app_truth
        self.clever_truth: dict[str, int] = clever_truth
        self.app_header, self.app_rows = read_csv(out / "app.csv")
        self.exp_header, self.exp_rows = read_csv(out / "expected.csv")
        self.users = [json.loads(line) for line in read_lines(out / "clever" / "users.ndjson")]
        self.schools = [json.loads(line) for line in read_lines(out / "clever" / "schools.ndjson")]
        self.fields = map_headers(self.app_header, role).fields
        self.n_app = len(self.app_header)
        self.col = {h: i for i, h in enumerate(self.exp_header)}

    def app(self, row: list[str], field: str) -> str:
        return row[self.app_header.index(self.fields[field])]

    def clever(self, row: list[str], field: str) -> str:
        return row[self.col[f"clever.{field}"]]

    def status(self, row: list[str]) -> str:
        return row[self.col[RESULT_COLUMN]]

    def matches(self) -> list[list[str]]:
        return [r for r in self.exp_rows if self.status(r) == MATCH]


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def make(tmp: Path, role: str, records: int, seed: int, **kw: Any) -> District:
    summary, app_truth, clever_truth = generate_with_truth(role, records, seed, tmp, **kw)
    return District(tmp, role, summary, app_truth, clever_truth)


def find_district(
    factory: pytest.TempPathFactory,
    role: str,
    records: int,
    wanted: Callable[[District], bool],
    **kw: Any,
) -> District:
    """The first seed whose district has the wanted property (styles vary with the seed)."""
    for seed in range(1, 40):
        d = make(factory.mktemp(f"{role}{seed}"), role, records, seed, **kw)
        if wanted(d):
            return d
    raise AssertionError("no seed in 1..39 gave the wanted district")


def project(user: dict[str, Any], role: str, school_names: dict[str, str]) -> list[str]:
    """The ``clever.*`` values of a user, computed independently from the JSON."""
    name = user.get("name") or {}
    roles = user["roles"]

    def s(v: Any) -> str:
        return "" if v is None else str(v)

    base = {
        "id": user["id"],
        "district": s(user.get("district")),
        "first_name": s(name.get("first")),
        "middle_name": s(name.get("middle")),
        "last_name": s(name.get("last")),
        "email": s(user.get("email")),
    }
    if role in ("student", "teacher"):
        r = roles[role]
        base.update({k: s(r.get(k)) for k in ("sis_id", "student_number", "teacher_number")})
        base.update({k: s(r.get(k)) for k in ("state_id", "dob", "grade", "title")})
        base["school"] = s(r.get("school"))
        base["school_name"] = school_names.get(base["school"], "")
        base["username"] = s((r.get("credentials") or {}).get("district_username"))
    else:
        st = roles.get("staff") or {}
        da = roles.get("district_admin") or {}
        base["staff_id"] = s(st.get("staff_id"))
        base["title"] = s(st.get("title")) if "staff" in roles else s(da.get("title"))
        base["department"] = s(st.get("department"))
        base["schools"] = ";".join(st.get("schools") or [])
        base["username"] = s((st.get("credentials") or {}).get("district_username"))
        base["roles"] = ";".join(sorted(roles))
    return [base[f] for f in CLEVER_FIELDS[role]]


def holds_role(user: dict[str, Any], role: str) -> bool:
    if role == "staff":
        return "staff" in user["roles"] or "district_admin" in user["roles"]
    return role in user["roles"]


def check_truth_rules(d: District) -> None:
    """Every status in expected.csv follows from who is who (the spec's rules)."""
    app_n = Counter(d.app_truth.values())
    clever_n = Counter(d.clever_truth.values())
    id_col = d.col[f"app.{d.app_header[0]}"]
    for row in d.exp_rows:
        status = d.status(row)
        app_id, clever_id = row[id_col], d.clever(row, "id")
        if app_id:
            person = d.app_truth[app_id]
            a, c = app_n[person], clever_n.get(person, 0)
            if a > 1:
                want = APP_DUPLICATE
            elif c == 1:
                want = MATCH
            else:
                want = APP_NO_MATCH
            assert status == want, (row, a, c)
            if status == MATCH:
                assert d.clever_truth[clever_id] == person
            else:
                assert clever_id == ""
        else:
            person = d.clever_truth[clever_id]
            a, c = app_n.get(person, 0), clever_n[person]
            if c > 1:
                want = CLEVER_DUPLICATE
            else:
                assert a != 1  # a lone Clever record of a person with one app record matches
                want = CLEVER_NO_MATCH
            assert status == want, (row, a, c)


def as_date(value: str) -> tuple[int, int, int]:
    """(year, month, day) of an M/D/YYYY, MM/DD/YYYY, YYYY-MM-DD or ISO timestamp value."""
    if "/" in value:
        m, d, y = value.split("/")
        return int(y), int(m), int(d)
    y, m, d = value[:10].split("-")
    return int(y), int(m), int(d)


def fold(s: str) -> str:
    return strip_accents(s).casefold()


def edit1(a: str, b: str) -> bool:
    """One insertion, deletion, substitution or adjacent transposition apart."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        i = diff[0]
        return len(diff) == 2 and diff[1] == i + 1 and a[i] == b[i + 1] and a[i + 1] == b[i]
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def students(tmp_path_factory: pytest.TempPathFactory) -> District:
    """2,000 students: a district whose app file was not through Excel, with school names."""

    def wanted(d: District) -> bool:
        return (
            not d.summary.excel_damaged
            and d.fields["school"] in {"School", "school_name"}
            and not all(u["name"]["last"].isupper() for u in d.users)
        )

    return find_district(tmp_path_factory, "student", 2000, wanted)


# --------------------------------------------------------------------------- determinism


def test_same_inputs_give_identical_bytes(tmp_path: Path) -> None:
    files = ("app.csv", "expected.csv", "clever/users.ndjson", "clever/schools.ndjson")
    s1 = generate("student", 700, 11, tmp_path / "a")
    s2 = generate("student", 700, 11, tmp_path / "b")
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    d1, d2 = s1.to_dict(), s2.to_dict()
    for d in (d1, d2):
        d.pop("out_dir")
        d.pop("files")
    assert d1 == d2
    generate("student", 700, 12, tmp_path / "c")
    assert (tmp_path / "a" / "app.csv").read_bytes() != (tmp_path / "c" / "app.csv").read_bytes()


def test_regenerating_into_the_same_folder_overwrites(tmp_path: Path) -> None:
    generate("teacher", 50, 1, tmp_path)
    first = (tmp_path / "expected.csv").read_bytes()
    generate("teacher", 50, 1, tmp_path)
    assert (tmp_path / "expected.csv").read_bytes() == first
    leftovers = [p.name for p in tmp_path.rglob("*") if p.name.startswith(".")]
    assert leftovers == []


def test_chunked_generation_keeps_the_global_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Big districts are generated chunk by chunk; ordering must hold across chunks."""
    monkeypatch.setattr(synth, "CHUNK", 250)
    d = make(tmp_path, "student", 1200, 6)
    ids = [u["id"] for u in d.users]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    tail = [d.clever(r, "id") for r in d.exp_rows[len(d.app_rows) :]]
    assert tail == sorted(tail)
    assert [r[: d.n_app] for r in d.exp_rows[: len(d.app_rows)]] == d.app_rows
    assert d.summary.clever_records == pytest.approx(1200, rel=0.02)
    check_truth_rules(d)
    app_ids = [r[0] for r in d.app_rows]
    assert len(set(app_ids)) == len(app_ids)


# --------------------------------------------------------------------------- expected.csv


def test_expected_has_every_record_exactly_once(students: District) -> None:
    d = students
    assert d.exp_header == output_header(d.app_header, "student", extras=False)
    n_app = len(d.app_rows)
    # App rows first, in app.csv order, values untouched.
    assert [r[: d.n_app] for r in d.exp_rows[:n_app]] == d.app_rows
    tail = d.exp_rows[n_app:]
    assert all(not any(r[: d.n_app]) for r in tail)
    # Then the unmatched Clever records, ordered by clever.id.
    tail_ids = [d.clever(r, "id") for r in tail]
    assert tail_ids == sorted(tail_ids) and all(tail_ids)
    assert all(d.status(r) in (CLEVER_NO_MATCH, CLEVER_DUPLICATE) for r in tail)
    # Every Clever user of the role exactly once.
    ids = [d.clever(r, "id") for r in d.exp_rows if d.clever(r, "id")]
    users = [u["id"] for u in d.users if holds_role(u, "student")]
    assert len(ids) == len(set(ids)) == len(users)
    assert set(ids) == set(users)
    # Every app id exactly once.
    app_ids = [r[0] for r in d.app_rows]
    assert len(set(app_ids)) == len(app_ids) and all(app_ids)


def test_clever_values_are_the_snapshot_values(students: District) -> None:
    d = students
    names = {s["id"]: s["name"] for s in d.schools}
    by_id = {u["id"]: u for u in d.users}
    first = d.col["clever.id"]
    n = len(CLEVER_FIELDS["student"])
    for row in d.exp_rows:
        cid = d.clever(row, "id")
        if cid:
            assert row[first : first + n] == project(by_id[cid], "student", names)
        else:
            assert row[first : first + n] == [""] * n


def test_statuses_follow_the_truth_rules(students: District) -> None:
    d = students
    check_truth_rules(d)
    counts = Counter(d.status(r) for r in d.exp_rows)
    assert set(counts) <= set(STATUSES)
    s = d.summary
    assert s.counts_by_status == {st: counts.get(st, 0) for st in STATUSES}
    assert s.true_matches == counts[MATCH]
    assert s.app_records == len(d.app_rows)
    assert s.clever_records == sum(1 for u in d.users if holds_role(u, "student"))
    assert s.clever_records == pytest.approx(2000, rel=0.02)
    # Structure at noise=1: Clever-only ~10%, app-only ~6%, duplicates on both sides.
    people_app = set(d.app_truth.values())
    people_clever = set(d.clever_truth.values())
    assert 0.06 < len(people_clever - people_app) / len(people_clever) < 0.14
    assert 0.03 < len(people_app - people_clever) / len(people_app) < 0.09
    assert counts[APP_DUPLICATE] >= 4 and counts[CLEVER_DUPLICATE] >= 4
    # Duplicate groups are never matched.
    for truth in (d.app_truth, d.clever_truth):
        dup_people = {p for p, n in Counter(truth.values()).items() if n > 1}
        matched = {d.app_truth[r[0]] for r in d.matches()}
        assert not dup_people & matched


def test_files_are_crlf_utf8_without_bom(students: District) -> None:
    for name in ("app.csv", "expected.csv"):
        data = (students.out / name).read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf")
        assert data.endswith(b"\r\n")
        assert data.count(b"\n") == data.count(b"\r\n")
        data.decode("utf-8")


# --------------------------------------------------------------------------- Clever snapshot


def test_clever_snapshot_shape(students: District) -> None:
    d = students
    hex24 = re.compile(r"^[0-9a-f]{24}$")
    ids = [u["id"] for u in d.users]
    assert ids == sorted(ids)  # as the API pages them
    grades = {"Kindergarten", *(str(g) for g in range(1, 13))}
    school_ids = {s["id"] for s in d.schools}
    dob = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")
    missing_email = 0
    for u in d.users:
        assert hex24.match(u["id"]) and hex24.match(u["district"])
        assert set(u["name"]) >= {"first", "last"}
        st = u["roles"]["student"]
        assert st["sis_id"] and st["school"] in school_ids and st["school"] == st["schools"][0]
        assert set(st["schools"]) <= school_ids
        assert st.get("grade") in grades | {None, ""} or "grade" not in st
        if st.get("dob"):
            assert dob.match(st["dob"])
        if st.get("state_id"):
            assert re.fullmatch(r"\d{10}", st["state_id"])
        missing_email += not u.get("email")
    assert 0.15 < missing_email / len(d.users) < 0.6  # young students have no email
    assert len(d.schools) >= 2
    for s in d.schools:
        keys = {"id", "name", "sis_id", "school_number", "nces_id", "low_grade", "high_grade"}
        assert keys <= set(s)
        assert set(s["location"]) == {"address", "city", "state", "zip"}
        assert re.fullmatch(r"\d{12}", s["nces_id"])
    accented = [u for u in d.users if not (u["name"]["first"] + u["name"]["last"]).isascii()]
    assert accented


def test_school_count_grows_with_size(tmp_path: Path) -> None:
    small = generate("student", 300, 5, tmp_path / "s")
    big = generate("student", 3000, 5, tmp_path / "b")
    assert small.schools == 2
    assert 4 <= big.schools <= 8


# --------------------------------------------------------------------------- noise


def test_name_noise_occurs(students: District) -> None:
    d = students
    nick = initial = accents = typos = case = padded = short = 0
    for r in d.matches():
        af, al = d.app(r, "first_name"), d.app(r, "last_name")
        cf, cl = d.clever(r, "first_name"), d.clever(r, "last_name")
        pref = d.app(r, "preferred_first_name") if "preferred_first_name" in d.fields else ""
        if cf in sd.NICKNAME_OF.get(af, ()) or cf in sd.NICKNAME_OF.get(pref, ()):
            nick += 1
        if af.rstrip(".") == cf[:1] and len(cf) > 1:
            initial += 1
        if not (cf + cl).isascii() and (af + al) == strip_accents(cf + cl):
            accents += 1
        if edit1(fold(af), fold(cf)) or edit1(fold(al), fold(cl)):
            typos += 1
        if af == cf.upper() != cf or af == cf.lower() != cf:
            case += 1
        if af != af.strip() or al != al.strip():
            padded += 1
        if ("-" in cl or " " in cl) and al and al in re.split(r"[- ]", cl):
            short += 1
    n = len(d.matches())
    assert 0.025 < nick / n < 0.08
    assert accents > 10
    assert 0.01 < typos / n < 0.06
    assert 0.02 < case / n < 0.09
    assert padded > 0 and short > 0
    nc = d.summary.noise_counts
    used = nc["nickname"] + nc.get("preferred_name", 0) + nc.get("preferred_column", 0)
    assert used == pytest.approx(0.05 * len(d.app_rows), rel=0.35)


def test_date_grade_school_and_email_noise_occurs(students: District) -> None:
    d = students
    formats: Counter[str] = Counter()
    missing_dob = stale = variant = personal = 0
    names = {s["name"] for s in d.schools}
    sis = {s["sis_id"] for s in d.schools}
    for r in d.matches():
        dob = d.app(r, "dob")
        if not dob:
            missing_dob += 1
        for label, rx in DOB_FORMATS.items():
            if rx.match(dob):
                formats[label] += 1
        g, cg = d.app(r, "grade"), d.clever(r, "grade")
        if cg.isdigit() and g.lstrip("0").isdigit() and int(g) == int(cg) - 1:
            stale += 1
        school = d.app(r, "school")
        if school not in names and school not in sis:
            variant += 1
        email = d.app(r, "email")
        if email and email.lower() != d.clever(r, "email").lower():
            personal += 1
    n = len(d.matches())
    assert len(formats) == 3
    assert 0.01 < missing_dob / n < 0.06
    assert 0.02 < stale / n < 0.09
    assert variant / n > 0.2
    assert personal > 0
    emails = sum(1 for r in d.app_rows if r[d.app_header.index(d.fields["email"])])
    assert 0.35 < emails / len(d.app_rows) < 0.75


def test_twins_and_same_name_strangers(students: District) -> None:
    d = students
    by_key: defaultdict[tuple[str, str, str], set[str]] = defaultdict(set)
    names: defaultdict[tuple[str, str], set[int]] = defaultdict(set)
    for u in d.users:
        st = u["roles"]["student"]
        first, last = u["name"]["first"], u["name"]["last"]
        by_key[(last, st.get("dob") or "", st["school"])].add(first)
        names[(first, last)].add(d.clever_truth[u["id"]])
    twins = [k for k, firsts in by_key.items() if len(firsts) > 1 and k[1]]
    assert len(twins) >= 5
    strangers = [k for k, people in names.items() if len(people) > 1]
    assert strangers, "common names should repeat across different people"


def test_duplicates_on_both_sides_look_like_the_same_person(students: District) -> None:
    d = students
    by_person: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for u in d.users:
        by_person[d.clever_truth[u["id"]]].append(u)
    groups = [g for g in by_person.values() if len(g) > 1]
    assert groups
    for g in groups:
        assert len({u["id"] for u in g}) == len(g)
        assert len({u["name"]["last"] for u in g}) <= 2
    sis = [{u["roles"]["student"]["sis_id"] for u in g} for g in groups]
    new_sis = sum(1 for ids in sis if len(ids) > 1)
    assert new_sis >= 1


def test_stripped_leading_zeros_and_id_typos(tmp_path_factory: pytest.TempPathFactory) -> None:
    def zero_padded(d: District) -> bool:
        return not d.summary.excel_damaged and all(
            u["roles"]["student"]["sis_id"].startswith("0") for u in d.users
        )

    d = find_district(tmp_path_factory, "student", 2000, zero_padded)
    stripped = typo = missing = 0
    for r in d.matches():
        a, c = d.app(r, "sis_id"), d.clever(r, "sis_id")
        if a and a == c.lstrip("0") != c:
            stripped += 1
        elif a and a != c:
            typo += 1
        elif not a:
            missing += 1
    n = len(d.matches())
    assert 0.008 < stripped / n < 0.04
    assert typo > 0
    assert 0.01 < missing / n < 0.06


def test_excel_damaged_file(tmp_path_factory: pytest.TempPathFactory) -> None:
    d = find_district(tmp_path_factory, "student", 600, lambda d: d.summary.excel_damaged)
    dobs = [d.app(r, "dob") for r in d.app_rows if d.app(r, "dob")]
    assert all(DOB_FORMATS["M/D/YYYY"].match(v) for v in dobs)
    assert not any(re.fullmatch(r"0\d+", d.app(r, "sis_id")) for r in d.app_rows)
    assert not any(re.fullmatch(r"0\d+", r[0]) for r in d.app_rows)


def test_noise_zero_is_clean_and_noise_scales(tmp_path: Path) -> None:
    d = make(tmp_path / "clean", "student", 600, 4, noise=0.0)
    assert d.summary.counts_by_status[MATCH] == len(d.app_rows) == d.summary.clever_records
    assert d.summary.noise_counts.get("nickname", 0) == 0
    school_names = {s["sis_id"]: s["name"] for s in d.schools}
    for r in d.exp_rows:
        assert d.app(r, "first_name") == d.clever(r, "first_name")
        assert d.app(r, "last_name") == d.clever(r, "last_name")
        assert d.app(r, "sis_id") == d.clever(r, "sis_id")
        assert d.app(r, "email") == d.clever(r, "email")
        if d.clever(r, "dob"):
            assert as_date(d.app(r, "dob")) == as_date(d.clever(r, "dob"))
        school = d.app(r, "school")
        assert school_names.get(school, school) == d.clever(r, "school_name")
    one = generate("student", 1500, 4, tmp_path / "one", noise=1.0)
    two = generate("student", 1500, 4, tmp_path / "two", noise=2.0)
    for kind in ("typo", "nickname", "case_changed", "dob_missing"):
        assert two.noise_counts[kind] > one.noise_counts[kind] * 1.3, kind
    assert two.counts_by_status[MATCH] < one.counts_by_status[MATCH]


# --------------------------------------------------------------------------- with_ids=False


@pytest.mark.parametrize("role", ["student", "teacher", "staff"])
def test_without_ids_there_are_no_id_columns(tmp_path: Path, role: str) -> None:
    d = make(tmp_path, role, 400, 8, with_ids=False)
    mapped = set(map_headers(d.app_header, role).fields)
    assert not mapped & ID_FIELDS
    assert {"first_name", "last_name", "email"} <= mapped
    if role == "student":
        assert {"dob", "grade", "school"} <= mapped
        school_sis = {s["sis_id"] for s in d.schools}
        school_col = d.app_header.index(d.fields["school"])
        assert not any(r[school_col] in school_sis for r in d.app_rows)
    check_truth_rules(d)


# --------------------------------------------------------------------------- teachers, staff


def test_teachers(tmp_path: Path) -> None:
    d = make(tmp_path, "teacher", 900, 21)
    check_truth_rules(d)
    assert d.exp_header == output_header(d.app_header, "teacher", extras=False)
    names = {s["id"]: s["name"] for s in d.schools}
    by_id = {u["id"]: u for u in d.users}
    for r in d.exp_rows:
        if d.clever(r, "id"):
            assert r[d.col["clever.id"] : d.col[RESULT_COLUMN]] == project(
                by_id[d.clever(r, "id")], "teacher", names
            )
    assert all("teacher" in u["roles"] for u in d.users)
    assert any("staff" in u["roles"] for u in d.users)  # a few also hold a staff role
    emails = [u["email"] for u in d.users if u.get("email")]
    assert len(emails) / len(d.users) > 0.95
    same = sum(
        1 for r in d.matches() if d.app(r, "email") == d.clever(r, "email") and d.app(r, "email")
    )
    assert same / len(d.matches()) > 0.75
    assert d.summary.counts_by_status[MATCH] > 0.8 * len(d.app_rows)


def test_staff(tmp_path: Path) -> None:
    d = make(tmp_path, "admin", 900, 22)  # the alias works
    assert d.summary.role == "staff"
    check_truth_rules(d)
    names = {s["id"]: s["name"] for s in d.schools}
    by_id = {u["id"]: u for u in d.users}
    roles = Counter(d.clever(r, "roles") for r in d.exp_rows if d.clever(r, "id"))
    assert set(roles) == {"staff", "district_admin;staff", "district_admin"}
    assert roles["staff"] > roles["district_admin;staff"] > 0
    for r in d.exp_rows:
        if d.clever(r, "id"):
            assert r[d.col["clever.id"] : d.col[RESULT_COLUMN]] == project(
                by_id[d.clever(r, "id")], "staff", names
            )
    multi = [r for r in d.exp_rows if ";" in d.clever(r, "schools")]
    assert multi


# --------------------------------------------------------------------------- API


def test_bad_arguments() -> None:
    with pytest.raises(UsageError):
        generate("school", 0, 1, Path("/nonexistent"))
    with pytest.raises(UsageError):
        generate("student", 0, 1, Path("/nonexistent"))
    with pytest.raises(UsageError):
        generate("student", 10, 1, Path("/nonexistent"), noise=-1)
    with pytest.raises(UsageError):
        generate("wizard", 10, 1, Path("/nonexistent"))


def test_summary_to_dict_is_json(tmp_path: Path) -> None:
    s = generate("student", 120, 3, tmp_path)
    d = json.loads(json.dumps(s.to_dict()))
    assert d["role"] == "student" and d["records"] == 120 and d["seed"] == 3
    assert set(d["counts_by_status"]) == set(STATUSES)
    assert d["app_header"] == read_csv(tmp_path / "app.csv")[0]
    assert Path(d["files"]["expected"]).exists()


def test_name_lists() -> None:
    for a, b in sd.TWIN_PAIRS:
        assert a in sd.FIRST_BY_NAME and b in sd.FIRST_BY_NAME
    assert "Robert" in sd.NICKNAME_OF["Bob"] and "Guadalupe" in sd.NICKNAME_OF["Lupe"]
    assert "José" in sd.NICKNAME_OF["Pepe"] and "Jesús" in sd.NICKNAME_OF["Chuy"]
    assert "Francisco" in sd.NICKNAME_OF["Paco"]
    assert len({n.name for n in sd.LAST_NAMES}) == len(sd.LAST_NAMES) > 1000


@pytest.mark.parametrize("role", ["student", "school"])
@pytest.mark.parametrize(
    ("records", "noise", "message"),
    [(0, 1.0, "--records must be a positive whole number"), (5, -1.0, "--noise must be")],
)
def test_both_generators_refuse_bad_sizes_and_noise(
    tmp_path: Path, role: str, records: int, noise: float, message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        generate(role, records, 1, tmp_path / "d", noise=noise)
    assert not (tmp_path / "d").exists()
