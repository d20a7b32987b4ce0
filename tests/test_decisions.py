"""Reviewed decisions: both file forms, every check, and that they flip exactly what they say."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_resolve_properties import RULES, _pairs, scenarios
from typer.testing import CliRunner

from matchengine import matchmaker as mm
from matchengine.cli import app
from matchengine.csvfile import CsvTable, read_table
from matchengine.decisions import load_decisions
from matchengine.errors import InvalidDataError
from matchengine.pipeline import match
from matchengine.resolve import resolve
from matchengine.synth import generate

ROOT = Path(__file__).parents[1]
FIXTURE = ROOT / "fixtures" / "district"
C = "6a00000000000000000000"  # fixture Clever ids: C + two hex digits


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def rows_by_app(table: CsvTable, id_col: str = "app.id") -> dict[str, dict[str, str]]:
    out = {}
    for row in table.rows():
        rec = dict(zip(table.header, row, strict=True))
        if rec[id_col]:
            out[rec[id_col]] = rec
    return out


def clever_only(table: CsvTable, id_col: str = "app.id") -> dict[str, dict[str, str]]:
    out = {}
    for row in table.rows():
        rec = dict(zip(table.header, row, strict=True))
        if not rec[id_col]:
            out[rec["clever.id"]] = rec
    return out


# ------------------------------------------------------------------ reading the file


def test_two_column_form_with_no_match_words(tmp_path: Path) -> None:
    f = write(tmp_path / "d.csv", f"app_id,clever_id\n001,{C}01\n009,No Match\n011, no_match \n")
    d = load_decisions(f)
    assert [(x.app_id, x.clever_id, x.line) for x in d.items] == [
        ("001", f"{C}01", 2),
        ("009", None, 3),
        ("011", None, 4),
    ]


def test_output_form_takes_app_rows_and_skips_clever_only_and_duplicate_rows(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out.csv"
    match(FIXTURE / "app.csv", FIXTURE / "clever", "student", out)
    d = load_decisions(out, id_column="id")
    table = read_table(out)
    by_app = rows_by_app(table)
    want = {
        a: (r["clever.id"] or None)
        for a, r in by_app.items()
        if r[mm.RESULT_COLUMN] in (mm.MATCH, mm.APP_NO_MATCH)
    }
    assert {x.app_id: x.clever_id for x in d.items} == want
    assert "007" not in want and "008" not in want  # duplicates decide nothing


def test_two_app_ids_for_one_clever_id_is_an_error_naming_both_lines(tmp_path: Path) -> None:
    f = write(tmp_path / "d.csv", f"app_id,clever_id\n001,{C}01\n002,{C}02\n003,{C}01\n")
    with pytest.raises(InvalidDataError) as err:
        load_decisions(f)
    msg = str(err.value)
    assert "lines 2 and 4" in msg and "'001'" in msg and "'003'" in msg and str(f) in msg


def test_one_app_id_decided_two_ways_is_an_error_naming_both_lines(tmp_path: Path) -> None:
    f = write(tmp_path / "d.csv", f"app_id,clever_id\n001,{C}01\n002,x\n001,no match\n")
    with pytest.raises(InvalidDataError, match=r"lines 2 and 4 decide app id '001' two ways"):
        load_decisions(f)


def test_the_same_decision_twice_is_fine(tmp_path: Path) -> None:
    f = write(tmp_path / "d.csv", f"app_id,clever_id\n001,{C}01\n001,{C}01\n")
    assert len(load_decisions(f)) == 1


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "app_id,clever_id\n001,\n",
            ":2: column 2 (clever_id): the Clever id for app id '001' is empty",
        ),
        ("app_id,clever_id\n,x\n", ":2: column 1 (app_id): the app id is empty"),
        ("id,who\n001,x\n", ":1: a decisions file is either a Matchmaker-format CSV"),
        (
            "app.id,clever.id,matchmaker_results\n001,,match\n",
            ":2: column 3 (matchmaker_results): app id '001' says match but clever.id is empty",
        ),
        (
            f'app.id,clever.id,matchmaker_results\n001,{C}01,"from app, no match"\n',
            "says 'from app, no match' but clever.id is",
        ),
        (
            "app.id,clever.id,matchmaker_results\n001,,maybe\n",
            "'maybe' is not a status for an app row",
        ),
        ("app.key,clever.id,matchmaker_results\n001,,match\n", "has no column 'app.id'"),
    ],
)
def test_malformed_decisions_name_file_and_line(tmp_path: Path, text: str, fragment: str) -> None:
    f = write(tmp_path / "d.csv", text)
    with pytest.raises(InvalidDataError) as err:
        load_decisions(f, id_column="id")
    assert str(f) in str(err.value)
    assert fragment in str(err.value)


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        (f"999,{C}01", ":3: app id '999' is not in the app CSV"),
        (
            "001,6a00ffffffffffffffffffff",
            ":3: Clever id '6a00ffffffffffffffffffff' (for app id '001')",
        ),
    ],
)
def test_unknown_ids_are_errors_naming_file_and_line(
    tmp_path: Path, line: str, fragment: str
) -> None:
    f = write(tmp_path / "d.csv", f"app_id,clever_id\n002,{C}02\n{line}\n")
    with pytest.raises(InvalidDataError) as err:
        match(FIXTURE / "app.csv", FIXTURE / "clever", "student", tmp_path / "o.csv", decisions=f)
    assert f"{f}{fragment}" in str(err.value)
    assert not (tmp_path / "o.csv").exists()


# ------------------------------------------------------------- applying decisions


def test_decisions_win_over_scores_vetoes_and_duplicate_groups(tmp_path: Path) -> None:
    """Fixture: 011 (names only, vetoed) forced to Ann Lee's Clever record, which 002 had;
    002 decided no match; 007 of the Olivia Chen duplicate pair forced to her Clever record;
    006 forced to one of the two Clever Emma Wilsons."""
    f = write(
        tmp_path / "d.csv",
        f"app_id,clever_id\n011,{C}02\n002,no match\n007,{C}0a\n006,{C}07\n",
    )
    out = tmp_path / "o.csv"
    result = match(FIXTURE / "app.csv", FIXTURE / "clever", "student", out, decisions=f)
    assert result.decisions_applied == 4
    table = read_table(out)
    rows = rows_by_app(table)
    assert (rows["011"][mm.RESULT_COLUMN], rows["011"]["clever.id"]) == (mm.MATCH, f"{C}02")
    assert "decision: match" in rows["011"]["match.evidence"]
    assert (rows["002"][mm.RESULT_COLUMN], rows["002"]["clever.id"]) == (mm.APP_NO_MATCH, "")
    assert rows["002"]["match.evidence"].endswith("decision: no match")
    assert (rows["007"][mm.RESULT_COLUMN], rows["007"]["clever.id"]) == (mm.MATCH, f"{C}0a")
    # The undecided member of a duplicate group stays a duplicate of the decided one.
    assert (rows["008"][mm.RESULT_COLUMN], rows["008"]["match.duplicate_of"]) == (
        mm.APP_DUPLICATE,
        "007",
    )
    assert (rows["006"][mm.RESULT_COLUMN], rows["006"]["clever.id"]) == (mm.MATCH, f"{C}07")
    only = clever_only(table)
    assert only[f"{C}08"][mm.RESULT_COLUMN] == mm.CLEVER_DUPLICATE
    assert only[f"{C}08"]["match.duplicate_of"] == f"{C}07"
    # Every record still appears exactly once.
    clever_ids = [v for v in table.column("clever.id") if v]
    assert len(clever_ids) == len(set(clever_ids)) == 11


def test_review_band_marks_exactly_the_rows_in_the_band(tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    band = (0.5, 0.9999)
    match(FIXTURE / "app.csv", FIXTURE / "clever", "student", out, review_band=band)
    table = read_table(out)
    assert table.header[-1] == "match.review"
    for p, flag in zip(
        table.column("match.probability"), table.column("match.review"), strict=True
    ):
        inside = bool(p) and band[0] <= float(p) <= band[1]
        assert flag == ("yes" if inside else "")


def test_review_band_without_extras_still_adds_the_column(tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    match(FIXTURE / "app.csv", FIXTURE / "clever", "student", out, review_band=(0, 1), extras=False)
    header = read_table(out).header
    assert header[-2:] == [mm.RESULT_COLUMN, "match.review"]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.data())
def test_forced_resolution_invariants(scenario: tuple[int, int, list], data: st.DataObject) -> None:
    """Decisions are honoured exactly; every record keeps one status; no Clever record is
    matched twice; nothing but a decision pairs a decided record."""
    n_app, n_clever, rows = scenario
    apps = data.draw(st.lists(st.integers(0, n_app - 1), unique=True, max_size=n_app))
    targets = data.draw(st.permutations([*range(n_clever), *([None] * len(apps))]))
    forced = dict(zip(apps, targets, strict=False))
    res = resolve(_pairs(rows), RULES, n_app, n_clever, {}, {}, forced=forced)
    for a, c in forced.items():
        assert res.app[a].decided
        if c is None:
            assert (res.app[a].status, res.app[a].partner) == (mm.APP_NO_MATCH, None)
        else:
            assert (res.app[a].status, res.app[a].partner) == (mm.MATCH, c)
            assert (res.clever[c].status, res.clever[c].partner) == (mm.MATCH, a)
    matched = [o.partner for o in res.app if o.status == mm.MATCH]
    assert len(matched) == len(set(matched))
    for i, o in enumerate(res.app):
        if o.status == mm.MATCH:
            assert o.partner is not None and res.clever[o.partner].partner == i
            assert o.decided == (i in forced)
    for c, o in enumerate(res.clever):
        if o.status == mm.MATCH:
            assert o.partner is not None and res.app[o.partner].partner == c
    counts = res.counts()
    assert counts[mm.MATCH] + counts[mm.APP_NO_MATCH] + counts[mm.APP_DUPLICATE] == n_app


def test_two_app_rows_forced_to_one_clever_row_is_refused() -> None:
    with pytest.raises(ValueError, match="two app records"):
        resolve(_pairs([]), RULES, 2, 1, {}, {}, forced={0: 0, 1: 0})


# ------------------------------------------------ a generated district, end to end

KEYS = ("matchmaker_results", "clever.id", "match.candidate", "match.duplicate_of", "match.weight")


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("district")
    generate("student", 2000, 11, d)
    out = d / "base.csv"
    match(d / "app.csv", d / "clever", "student", out)
    return d, out


def _pick(rows: dict[str, dict[str, str]], status: str, n: int) -> list[str]:
    """App ids of clean rows of one status (no duplicate group, no tie involved)."""
    ok = [
        a
        for a, r in sorted(rows.items())
        if r[mm.RESULT_COLUMN] == status
        and not r["match.duplicate_of"]
        and "tie" not in r["match.evidence"]
    ]
    assert len(ok) >= n, status
    step = len(ok) // n
    return [ok[i * step] for i in range(n)]


def test_applying_decisions_flips_exactly_the_decided_records(
    district: tuple[Path, Path], tmp_path: Path
) -> None:
    d, base_out = district
    base = read_table(base_out)
    rows = rows_by_app(base)
    only = clever_only(base)
    a1, a2, a3, a4, a5 = _pick(rows, mm.MATCH, 5)
    n1, n2, n3 = _pick(rows, mm.APP_NO_MATCH, 3)
    free = sorted(
        c
        for c, r in only.items()
        if r[mm.RESULT_COLUMN] == mm.CLEVER_NO_MATCH and "tie" not in r["match.evidence"]
    )
    y1 = free[len(free) // 2]
    x = {a: rows[a]["clever.id"] for a in (a1, a2, a3, a4, a5)}
    decided = {
        a1: x[a2],  # two matches swap partners
        a2: x[a1],
        a3: y1,  # a match moves to a Clever record nobody had ...
        n1: x[a3],  # ... and a no-match takes its old partner
        a4: "no match",  # a match is rejected ...
        n2: x[a4],  # ... and its Clever record goes to a no-match
        n3: "no match",  # confirmations change nothing
        a5: x[a5],
    }
    f = tmp_path / "decisions.csv"
    f.write_text(
        "app_id,clever_id\n" + "".join(f"{a},{c}\n" for a, c in decided.items()), encoding="utf-8"
    )
    out = tmp_path / "after.csv"
    result = match(d / "app.csv", d / "clever", "student", out, decisions=f)
    assert result.decisions_applied == len(decided)
    after = read_table(out)
    new_rows = rows_by_app(after)
    assert list(new_rows) == list(rows)  # same app rows, same order
    changed = {a for a in rows if any(rows[a][k] != new_rows[a][k] for k in KEYS)}
    assert changed == {a1, a2, a3, n1, a4, n2}
    for a, c in decided.items():
        if c == "no match":
            assert (new_rows[a][mm.RESULT_COLUMN], new_rows[a]["clever.id"]) == (
                mm.APP_NO_MATCH,
                "",
            )
        else:
            assert (new_rows[a][mm.RESULT_COLUMN], new_rows[a]["clever.id"]) == (mm.MATCH, c)
    # Clever side: only y1 left the Clever-only rows; nothing else moved.
    new_only = clever_only(after)
    assert set(only) - set(new_only) == {y1}
    assert set(new_only) - set(only) == set()
    for c, r in new_only.items():
        assert all(r[k] == only[c][k] for k in KEYS if k != "match.candidate"), c


def test_rerun_with_the_reviewed_output_reproduces_every_decision(
    district: tuple[Path, Path], tmp_path: Path
) -> None:
    """Next term: more app records and Clever records; last term's reviewed output as the
    decisions file.  Every decided record keeps its decision; new records are decided anew."""
    d, _ = district
    term1 = tmp_path / "term1"
    (term1 / "clever").mkdir(parents=True)
    app_lines = (d / "app.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    keep = len(app_lines) * 3 // 4
    (term1 / "app.csv").write_text("".join(app_lines[:keep]), encoding="utf-8")
    users = (d / "clever" / "users.ndjson").read_text(encoding="utf-8").splitlines(keepends=True)
    (term1 / "clever" / "users.ndjson").write_text(
        "".join(u for i, u in enumerate(users) if i % 10 != 3), encoding="utf-8"
    )
    shutil.copy(d / "clever" / "schools.ndjson", term1 / "clever" / "schools.ndjson")
    reviewed = tmp_path / "reviewed.csv"
    match(term1 / "app.csv", term1 / "clever", "student", reviewed)
    # The reviewer rejects one match (edits the status and clears clever.id).
    table = read_table(reviewed)
    status, cid = table.column(mm.RESULT_COLUMN), table.column("clever.id")
    ids = table.column("app.id")
    k = next(i for i, s in enumerate(status) if s == mm.MATCH and ids[i])
    status[k], cid[k] = mm.APP_NO_MATCH, ""
    from matchengine.csvfile import write_table

    write_table(reviewed, table.header, table.rows())
    term1_rows = rows_by_app(read_table(reviewed))

    out = tmp_path / "term2.csv"
    match(d / "app.csv", d / "clever", "student", out, decisions=reviewed)
    term2 = rows_by_app(read_table(out))
    decided = 0
    for a, r in term1_rows.items():
        if r[mm.RESULT_COLUMN] in (mm.MATCH, mm.APP_NO_MATCH):
            decided += 1
            assert (term2[a][mm.RESULT_COLUMN], term2[a]["clever.id"]) == (
                r[mm.RESULT_COLUMN],
                r["clever.id"],
            ), a
    assert decided > 1000
    assert term2[ids[k]][mm.RESULT_COLUMN] == mm.APP_NO_MATCH
    new = [a for a in term2 if a not in term1_rows]
    assert new and any(term2[a][mm.RESULT_COLUMN] == mm.MATCH for a in new)


# ------------------------------------------------------------------------------ CLI

runner = CliRunner()


def test_cli_match_with_decisions_and_review_band(tmp_path: Path) -> None:
    f = write(tmp_path / "d.csv", f"app_id,clever_id\n011,{C}09\n")
    out = tmp_path / "o.csv"
    args = ["match", str(FIXTURE / "app.csv"), "--clever", str(FIXTURE / "clever"), "-r", "student"]
    args += ["-o", str(out), "--decisions", str(f), "--review-band", "0.5,0.99", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["decisions_applied"] == 1
    assert rows_by_app(read_table(out))["011"]["clever.id"] == f"{C}09"


def test_cli_conflicting_decisions_exit_1_naming_both_lines(tmp_path: Path) -> None:
    f = write(tmp_path / "d.csv", f"app_id,clever_id\n001,{C}01\n002,{C}01\n")
    args = ["match", str(FIXTURE / "app.csv"), "--clever", str(FIXTURE / "clever"), "-r", "student"]
    result = runner.invoke(app, [*args, "-o", str(tmp_path / "o.csv"), "--decisions", str(f)])
    assert result.exit_code == 1
    assert "lines 2 and 3 both match Clever id" in result.stderr
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize("band", ["0.9", "0.9,0.5", "a,b", "0.5,1.5"])
def test_cli_bad_review_band_exit_2(tmp_path: Path, band: str) -> None:
    args = ["match", str(FIXTURE / "app.csv"), "--clever", str(FIXTURE / "clever"), "-r", "student"]
    result = runner.invoke(app, [*args, "-o", str(tmp_path / "o.csv"), "--review-band", band])
    assert result.exit_code == 2
    assert "--review-band" in result.stderr
