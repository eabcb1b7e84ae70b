"""``verzuim demo`` (issue 8): the whole chain through ``verzuim sync`` on the embedded defaults;
the printed summary agrees with the files of the output folder, a second run starts afresh, and
no identity number leaves the files meant for people (report, summary, outbox, logs)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from test_report import CHROMIUM, _chromium, _Page

from gateway.sample.vendor import write_demo_schools

PEOPLE_FILES = ("outbox.json", "samenvatting.json", "verzuim.log")


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("demo") / "demo-output"
    command = [str(Path(sys.executable).parent / "verzuim"), "demo", "--out", str(out)]
    first = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert first.returncode == 0, first.stderr[-3000:]
    again = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 0, again.stderr[-3000:]  # can be run again, from scratch
    return out, again.stdout


def _summary(out: Path) -> dict[str, object]:
    return json.loads((out / "samenvatting.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_the_summary_agrees_with_the_outbox_and_the_documents(demo_run: tuple[Path, str]) -> None:
    out, stdout = demo_run
    summary = _summary(out)
    outbox = json.loads((out / "outbox.json").read_text(encoding="utf-8"))
    scholen = summary["scholen"]
    assert isinstance(scholen, list) and [s["brin"] for s in scholen] == ["99XX", "98YY"]
    assert sum(s["in_outbox"] for s in scholen) == len(outbox)
    per_state = Counter(row["toestand"] for row in outbox)
    assert sum((Counter(s["per_toestand"]) for s in scholen), Counter()) == per_state
    per_status = Counter(row["duo_status"] for row in outbox if row["duo_status"])
    assert sum((Counter(s["per_duo_status"]) for s in scholen), Counter()) == per_status
    sent = [row for row in outbox if row["pogingen"] > 0]
    assert summary["xml_documenten"] == len(sent) == len(list((out / "xml").glob("*.xml")))
    assert summary["eerste_run_nieuw"] == len(outbox)  # a fresh start every time
    assert summary["tweede_run_nieuw"] == 0  # running sync again queues nothing new
    accepted = summary["verzonden"]["accepted"]  # type: ignore[index]
    assert accepted == per_state["accepted"] == len(outbox)  # nothing rejected, nothing lost
    # DUO's register: what the gateway sent plus the VO school's earlier meldingen (history)
    history = json.loads(
        (out / "scholen" / "vo-proefschool" / "meldingen.json").read_text(encoding="utf-8")
    )
    numbered = [melding for melding in history if melding.get("nummer")]
    new_meldingen = [row for row in outbox if row["actie"] == "melden"]
    assert summary["bij_simulator"] == len(new_meldingen) + len(numbered)
    assert any(row["actie"] == "mutatie" for row in outbox)  # R-EINDE of an earlier melding
    assert any(status in per_status for status in ("B", "G", "K"))  # the municipality acted
    for school in scholen:
        assert school["rijen_gelezen"] == school["rijen_geaccepteerd"] + school["rijen_afgewezen"]
        assert school["rijen_afgewezen"] > 0  # the bad rows are shown, with their reasons
        assert (out / school["rapport"]).is_file()
        assert (out / school["rapport"].replace(".html", ".md")).is_file()
    # the printed table carries the same numbers
    printed = {
        label: line.split("│")[-2].strip()
        for line in stdout.splitlines()
        for label in ("nieuw in de outbox, eerste sync", "verstuurde XML-documenten")
        if label in line
    }
    assert printed == {
        "nieuw in de outbox, eerste sync": str(len(outbox)),
        "verstuurde XML-documenten": str(len(sent)),
    }
    assert "rapport-99XX.html" in stdout and "rapport-98YY.html" in stdout


def test_every_rule_of_the_rule_book_occurs(demo_run: tuple[Path, str]) -> None:
    out, _ = demo_run
    rules: Counter[str] = Counter()
    for school in _summary(out)["scholen"]:  # type: ignore[attr-defined]
        rules.update(school["per_regel"])
    for rule in ("R-16U", "R-HERHAAL", "R-LRV", "R-RMC", "R-LUXE", "R-SIGNAAL", "R-EINDE"):
        assert rules[rule] > 0, rule


def test_no_identity_in_the_files_meant_for_people(
    demo_run: tuple[Path, str], tmp_path: Path
) -> None:
    out, stdout = demo_run
    schools = write_demo_schools(tmp_path / "same-seed")  # the demo's seed: the same pupils
    numbers = schools.bsns | schools.onderwijsnummers
    texts = {name: (out / name).read_text(encoding="utf-8") for name in PEOPLE_FILES}
    texts |= {p.name: p.read_text(encoding="utf-8") for p in out.glob("rapport-*")}
    texts |= {p.name: p.read_text(encoding="utf-8") for p in (out / "sync-runs").glob("*.json")}
    texts["stdout"] = stdout
    assert len(texts) >= 10
    for name, text in texts.items():
        leaked = sorted(number for number in numbers if number in text)
        assert leaked == [], f"{name}: {len(leaked)} identity numbers"
    # the documents for DUO do carry them: the check above can find them
    assert any(number in p.read_text() for p in (out / "xml").glob("*.xml") for number in numbers)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt package 'chromium')")
def test_the_demo_reports_open_in_headless_chromium(
    demo_run: tuple[Path, str], tmp_path: Path
) -> None:
    """Each school's report of the demo renders without console errors or requests, with a
    section and a chart for every pupil the demo sent a melding for."""
    out, _ = demo_run
    outbox = json.loads((out / "outbox.json").read_text(encoding="utf-8"))
    summary = _summary(out)
    for school in summary["scholen"]:  # type: ignore[attr-defined]
        dom, console, requests = _chromium(out / school["rapport"], tmp_path / school["brin"])
        assert console == [] and requests == [], school["rapport"]
        page = _Page()
        page.feed(dom)
        sections = {s.removeprefix("leerling-") for s in page.sections}
        charts = {c.removeprefix("grafiek-") for c in page.charts}
        pupils = {
            row["leerlingnummer"]
            for row in outbox
            if row["actie"] == "melden" and row["id"] in _ids_of(out, school["brin"])
        }
        assert pupils and pupils <= sections and pupils <= charts, school["brin"]


def _ids_of(out: Path, brin: str) -> set[int]:
    """The outbox ids of one school's rows (outbox.json has no BRIN; the documents' names do)."""
    return {int(p.name.split("-")[0]) for p in (out / "xml").glob(f"*-{brin}-*.xml")}
