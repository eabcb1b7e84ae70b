"""The report (issue 8, ``gateway.report``): the sample school's HTML and Markdown, anchors,
privacy (no BSN, onderwijsnummer or birth date), the outbox state, and Chromium rendering."""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from store_builders import T0, new_item, store_at
from typer.testing import CliRunner

from gateway.cli import app
from gateway.model import WireCode
from gateway.pipeline import PrecheckInputs, PrecheckRun, assess, read_inputs
from gateway.report import OutboxEntry, write_report
from gateway.rules.explain import MAANDEN
from gateway.sample.generate import SampleFiles, write_sample_school


class _Page(HTMLParser):
    """Ids, in-page links, sections, SVG charts and external references of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.links: list[str] = []
        self.sections: list[str] = []
        self.charts: list[str] = []
        self.external: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        self.tags.add(tag)
        if "id" in values:
            self.ids.append(values["id"])
        if tag == "a" and values.get("href", "").startswith("#"):
            self.links.append(values["href"][1:])
        if tag == "section" and "leerling" in values.get("class", ""):
            self.sections.append(values["id"])
        if tag == "svg" and "tijdlijn" in values.get("class", ""):
            self.charts.append(values["id"])
        for key in ("src", "href"):
            if key in values and not values[key].startswith("#"):
                self.external.append(values[key])


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[SampleFiles, PrecheckInputs]:
    files = write_sample_school(Path(tmp_path_factory.mktemp("sample")))
    inputs = read_inputs(
        files.school, files.leerlingen, [files.lesregistraties], None, files.meldingen
    )
    return files, inputs


@pytest.fixture(scope="module")
def run(sample: tuple[SampleFiles, PrecheckInputs]) -> PrecheckRun:
    return assess(sample[1])


@pytest.fixture(scope="module")
def html_file(
    sample: tuple[SampleFiles, PrecheckInputs],
    run: PrecheckRun,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    return write_report(sample[1], run, tmp_path_factory.mktemp("rapport") / "r.html", "html")


@pytest.fixture(scope="module")
def md_file(
    sample: tuple[SampleFiles, PrecheckInputs],
    run: PrecheckRun,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    return write_report(sample[1], run, tmp_path_factory.mktemp("rapport") / "r.md", "md")


def _page(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _pupils_with_melding(run: PrecheckRun) -> set[str]:
    return {m.leerlingnummer for m in run.result.meldingen} | {
        c.leerlingnummer for c in run.result.wijzigingen
    }


def test_every_pupil_with_a_melding_has_a_section_and_a_chart(
    html_file: Path, run: PrecheckRun
) -> None:
    page = _page(html_file)
    expected = _pupils_with_melding(run)
    assert len(expected) >= 10
    assert {s.removeprefix("leerling-") for s in page.sections} >= expected
    assert {c.removeprefix("grafiek-") for c in page.charts} == {
        s.removeprefix("leerling-") for s in page.sections
    }
    assert {f"uitleg-{p}" for p in expected} <= set(page.ids)


def test_every_in_page_link_resolves_and_rule_ids_are_linked(html_file: Path) -> None:
    page = _page(html_file)
    assert len(page.ids) == len(set(page.ids)), "duplicate ids"
    missing = sorted(set(page.links) - set(page.ids))
    assert not missing
    for rule in (
        "R-16U",
        "R-HERHAAL",
        "R-LRV",
        "R-RMC",
        "R-LUXE",
        "R-SIGNAAL",
        "R-EINDE",
        "F4",
        "F8",
        "V01",
        "W-TE-LAAT",
    ):
        assert f"regel-{rule}" in page.links and f"regel-{rule}" in page.ids


def test_self_contained_no_scripts_or_network(html_file: Path) -> None:
    page = _page(html_file)
    text = html_file.read_text(encoding="utf-8")
    assert "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
    assert page.external == []
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", text))
    assert urls <= {"http://www.w3.org/2000/svg"}
    assert "@import" not in text and "@font-face" not in text


def test_rejected_rows_are_listed_with_their_reasons(
    html_file: Path, md_file: Path, run: PrecheckRun
) -> None:
    text = html_file.read_text(encoding="utf-8")
    md = md_file.read_text(encoding="utf-8")
    section = text[text.index('id="afwijzingen"') : text.index("<h3>Waarschuwingen")]
    assert section.count("<tr>") == len(run.result.afwijzingen) + 1
    assert len(run.result.afwijzingen) >= 4
    for rejection in run.result.afwijzingen:
        assert f'href="#regel-{rejection.regel}"' in section
        if rejection.regelnummer is not None:
            assert f'<td class="getal">{rejection.regelnummer}</td>' in section
        assert f"| {rejection.regel} |" in md


def _identities(files: SampleFiles) -> tuple[set[str], set[dt.date]]:
    numbers: set[str] = set()
    births: set[dt.date] = set()
    with files.leerlingen.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            numbers |= {row["bsn"], row["onderwijsnummer"]}
            births.add(dt.date.fromisoformat(row["geboortedatum"]))
    with files.lesregistraties.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            numbers |= {row["bsn"], row["onderwijsnummer"]}
    return {n for n in numbers if n}, births


def test_no_bsn_onderwijsnummer_or_birth_date_in_html_or_md(
    sample: tuple[SampleFiles, PrecheckInputs], html_file: Path, md_file: Path
) -> None:
    numbers, births = _identities(sample[0])
    assert len(numbers) > 250 and len(births) > 100
    for path in (html_file, md_file):
        text = path.read_text(encoding="utf-8")
        digits = set(re.findall(r"\d{9}", re.sub(r"[ .\-]", "", text)))
        assert not digits & numbers, path
        for born in births:
            for form in (
                born.isoformat(),
                f"{born.day} {MAANDEN[born.month - 1]} {born.year}",
                born.strftime("%d-%m-%Y"),
                f"{born.day}-{born.month}-{born.year}",
            ):
                assert form not in text, (path, form)


def test_markdown_summary(md_file: Path, run: PrecheckRun) -> None:
    text = md_file.read_text(encoding="utf-8")
    assert text.startswith("# Verzuimrapport Proefschool (99XX00)")
    assert "| code | voorgesteld | bekend | afgewezen |" in text
    for pupil in _pupils_with_melding(run):
        assert f"**{pupil}**" in text
    assert "<svg" not in text and "<details" not in text


def test_outbox_state_per_code_and_duo_status(
    sample: tuple[SampleFiles, PrecheckInputs], run: PrecheckRun, tmp_path: Path
) -> None:
    entries = [
        OutboxEntry(
            "100001",
            "melden",
            "V3",
            dt.date(2024, 9, 2),
            dt.date(2024, 9, 4),
            "accepted",
            "B",
            "VM1",
        ),
        OutboxEntry("100001", "melden", "LRV", dt.date(2024, 9, 2), None, "queued", None, None),
    ]
    out = write_report(sample[1], run, tmp_path / "r.html", "html", entries)
    text = out.read_text(encoding="utf-8")
    assert "Outbox: toestand per code" in text and "Outbox: DUO-status per code" in text
    assert "2 rij(en) in de outbox" in text


def test_report_cli_html_md_and_config(
    sample: tuple[SampleFiles, PrecheckInputs], tmp_path: Path
) -> None:
    files, _ = sample
    store = store_at(tmp_path)
    for begin in (dt.date(2024, 9, 2), dt.date(2024, 9, 5)):
        store.enqueue(new_item("100001", code=WireCode.V3, begindatum=begin), T0, "test")
    store.close()
    config = tmp_path / "verzuim.toml"
    config.write_text(
        f'school = "{files.school}"\nstore_url = "sqlite:///{tmp_path / "verzuim.db"}"\n',
        encoding="utf-8",
    )
    args = [
        "--school",
        str(files.school),
        "--students",
        str(files.leerlingen),
        "--registrations",
        str(files.lesregistraties),
        "--history",
        str(files.meldingen),
    ]
    runner = CliRunner()
    result = runner.invoke(
        app, ["report", "--out", str(tmp_path / "r.html"), *args, "--config", str(config)]
    )
    assert result.exit_code == 0, result.output
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "2 rij(en) in de outbox" in html
    row = re.search(r"<tr><td>V3</td>(.*?)</tr>", html[html.index("Outbox: toestand") :])
    assert row is not None and '<td class="getal">2</td>' in row.group(1)
    result = runner.invoke(
        app, ["report", "--out", str(tmp_path / "r.md"), "--format", "md", *args]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r.md").read_text(encoding="utf-8").startswith("# Verzuimrapport")
    bad = runner.invoke(app, ["report", "--out", str(tmp_path / "r.pdf"), "--format", "pdf", *args])
    assert bad.exit_code == 2 and "kies html of md" in bad.output


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Chromium's own background calls (clock, account and search services), not the page's.
_BROWSER_OWN = re.compile(r"https?://([a-z0-9-]+\.)*google\.com/")


def _chromium(page: Path, profile: Path) -> tuple[str, list[str], list[str]]:
    """Render ``page`` headless: the DOM after load, the console lines and the URLs requested
    other than ``file:`` ones (Chromium logs both at ``--v=1``)."""
    assert CHROMIUM is not None
    completed = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=1",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-2000:]
    lines = completed.stderr.splitlines()
    console = [line for line in lines if ":CONSOLE" in line]
    requests = [
        url
        for line in lines
        if "NotifyBeforeURLRequest" in line
        and not (url := line.rsplit(": ", 1)[-1]).startswith("file://")
        and not _BROWSER_OWN.match(url)
    ]
    return completed.stdout, console, requests


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt package 'chromium')")
def test_html_renders_in_headless_chromium_without_errors(
    html_file: Path, run: PrecheckRun, tmp_path: Path
) -> None:
    # The detector sees errors and requests on a page that has them ...
    bad = tmp_path / "fout.html"
    bad.write_text(
        '<html><body><script>missing();</script><img src="http://127.0.0.1:9/x.png"></body></html>',
        encoding="utf-8",
    )
    _, console, requests = _chromium(bad, tmp_path / "profiel-fout")
    assert any("missing is not defined" in line for line in console)
    assert "http://127.0.0.1:9/x.png" in requests
    # ... and the report has none.
    dom, console, requests = _chromium(html_file, tmp_path / "profiel")
    assert console == []
    assert requests == []
    page = _Page()
    page.feed(dom)
    expected = _pupils_with_melding(run)
    assert {s.removeprefix("leerling-") for s in page.sections} >= expected
    assert {c.removeprefix("grafiek-") for c in page.charts} >= expected
    assert "regels" in page.ids and "afwijzingen" in page.ids
