"""The school configuration file (DOMAIN.md 4.1): ``load_school`` and ``parse_school``.

Each mistake must give a ConfigError that names the key to fix; several mistakes are reported
together so that an administrator can fix the file in one go.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from gateway.errors import ConfigError
from gateway.model import Categorie, DateRange, Eenheid, Melder, Sector
from gateway.sample.generate import render_school_toml
from gateway.school import load_school

EXAMPLE = """\
# school.toml as in DOMAIN.md 4.1
[school]
brin = "99XX"
vestiging = "01"
naam = "Proefschool"
sector = "vo"
mbo_telt_lesuren = false
melden_18plus = true
te_laat_signaal = 5
hele_dag_minuten = 300

[melder]
naam = "J. Jansen"
functie = "verzuimcoordinator"
email = "verzuim@proefschool.example"
telefoon = "+31 30-1234567"

[redencodes]
Z = "ZIEK"
VZV = "luxe"
SCH = "SCHORSING"

[[vakanties]]
naam = "kerstvakantie"
van = 2024-12-21
tot = 2025-01-05

[[vakanties]]
naam = "herfstvakantie"
van = "2024-10-19"
tot = "2024-10-27"
"""

MINIMAL = """\
[school]
brin = "12AB"
naam = "Basisschool De Linde"
sector = "po"

[melder]
naam = "A. de Vries"
email = "a.devries@linde.example"
"""


def write(tmp_path: Path, text: str, name: str = "school.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> str:
    """The message of the ConfigError that loading ``text`` raises."""
    with pytest.raises(ConfigError) as caught:
        load_school(write(tmp_path, text))
    return str(caught.value)


def replace_line(text: str, key_line: str, new_line: str | None) -> str:
    """``text`` with the line starting with ``key_line`` replaced (or removed when None)."""
    lines = text.splitlines()
    matches = [n for n, line in enumerate(lines) if line.startswith(key_line)]
    assert len(matches) == 1, (key_line, matches)
    if new_line is None:
        del lines[matches[0]]
    else:
        lines[matches[0]] = new_line
    return "\n".join(lines) + "\n"


def test_the_example_loads_with_every_key(tmp_path: Path) -> None:
    config = load_school(write(tmp_path, EXAMPLE))

    assert (config.brin, config.vestiging, config.naam) == ("99XX", "01", "Proefschool")
    assert config.sector is Sector.VO and config.eenheid is Eenheid.LESUREN
    assert config.mbo_telt_lesuren is False and config.melden_18plus is True
    assert config.te_laat_signaal == 5 and config.hele_dag_minuten == 300
    assert config.melder == Melder(
        naam="J. Jansen",
        email="verzuim@proefschool.example",
        functie="verzuimcoordinator",
        telefoon="+31 30-1234567",
    )
    assert config.redencodes == (
        ("SCH", Categorie.SCHORSING),
        ("VZV", Categorie.LUXE),
        ("Z", Categorie.ZIEK),
    )
    assert config.vakanties == (
        DateRange(dt.date(2024, 10, 19), dt.date(2024, 10, 27), "herfstvakantie"),
        DateRange(dt.date(2024, 12, 21), dt.date(2025, 1, 5), "kerstvakantie"),
    )


def test_the_sample_school_file_loads(tmp_path: Path) -> None:
    config = load_school(write(tmp_path, render_school_toml()))

    assert config.brin == "99XX" and config.sector is Sector.VO
    assert config.categorie("VZV") is Categorie.LUXE


def test_defaults_of_optional_keys(tmp_path: Path) -> None:
    config = load_school(write(tmp_path, MINIMAL))

    assert config.vestiging == "00"
    assert config.sector is Sector.PO and config.eenheid is Eenheid.KLOKUREN
    assert config.mbo_telt_lesuren is False
    assert config.melden_18plus is True
    assert config.te_laat_signaal == 0
    assert config.hele_dag_minuten is None
    assert config.redencodes == () and config.vakanties == ()
    assert config.melder.functie == "" and config.melder.telefoon == ""


def test_a_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "school.toml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())

    assert load_school(path).brin == "12AB"


@pytest.mark.parametrize(
    ("sector", "mbo_telt_lesuren", "eenheid"),
    [
        ("po", False, Eenheid.KLOKUREN),
        ("so", False, Eenheid.KLOKUREN),
        ("vo", False, Eenheid.LESUREN),
        ("vso", False, Eenheid.LESUREN),
        ("mbo", False, Eenheid.KLOKUREN),
        ("mbo", True, Eenheid.LESUREN),
        ("MBO", True, Eenheid.LESUREN),
    ],
)
def test_every_sector_loads_with_its_unit(
    tmp_path: Path, sector: str, mbo_telt_lesuren: bool, eenheid: Eenheid
) -> None:
    text = replace_line(MINIMAL, "sector", f'sector = "{sector}"')
    text = text.replace("[melder]", f"mbo_telt_lesuren = {str(mbo_telt_lesuren).lower()}\n[melder]")

    assert load_school(write(tmp_path, text)).eenheid is eenheid


@pytest.mark.parametrize(
    ("key_line", "new_line", "named"),
    [
        ("brin", 'brin = "99xx"', "school.brin"),
        ("brin", 'brin = "9XX9"', "school.brin"),
        ("brin", 'brin = "99XXX"', "school.brin"),
        ("brin", None, "school.brin"),
        ("vestiging", 'vestiging = "1"', "school.vestiging"),
        ('naam = "Proef', 'naam = "  "', "school.naam"),
        ("sector", 'sector = "hbo"', "school.sector"),
        ("sector", None, "school.sector"),
        ("mbo_telt_lesuren", 'mbo_telt_lesuren = "ja"', "school.mbo_telt_lesuren"),
        ("melden_18plus", "melden_18plus = 1", "school.melden_18plus"),
        ("te_laat_signaal", "te_laat_signaal = -1", "school.te_laat_signaal"),
        ("te_laat_signaal", "te_laat_signaal = 2.5", "school.te_laat_signaal"),
        ("te_laat_signaal", "te_laat_signaal = true", "school.te_laat_signaal"),
        ("hele_dag_minuten", "hele_dag_minuten = 0", "school.hele_dag_minuten"),
        ("hele_dag_minuten", "hele_dag_minuten = 721", "school.hele_dag_minuten"),
        ("hele_dag_minuten", 'hele_dag_minuten = "300"', "school.hele_dag_minuten"),
        ("email", 'email = "verzuim.proefschool.example"', "melder.email"),
        ("email", 'email = "verzuim@proefschool"', "melder.email"),
        ("email", 'email = "ver zuim@proefschool.example"', "melder.email"),
        ("email", None, "melder.email"),
        ('naam = "J. Jansen', None, "melder.naam"),
        ('naam = "J. Jansen', f'naam = "{"x" * 101}"', "melder.naam"),
        ("functie", f'functie = "{"x" * 61}"', "melder.functie"),
        ("telefoon", 'telefoon = "bel me"', "melder.telefoon"),
        ("VZV", 'VZV = "VAKANTIE"', "redencodes.VZV"),
        ("tot = 2025", "tot = 2024-12-20", "vakanties[1]"),
        ('van = "2024', 'van = "19-10-2024"', "vakanties[2]"),
        ('tot = "2024', None, "vakanties[2]"),
        ("van = 2024", "van = 2024-12-21T08:00:00", "vakanties[1]"),
        ('van = "2024', 'van = "20241019"', "vakanties[2]"),
        ('van = "2024', 'van = "2024-W42-6"', "vakanties[2]"),
        ('van = "2024', "van = 20241019", "vakanties[2]"),
    ],
)
def test_each_mistake_is_a_config_error_naming_the_key(
    tmp_path: Path, key_line: str, new_line: str | None, named: str
) -> None:
    message = problems(tmp_path, replace_line(EXAMPLE, key_line, new_line))

    assert message.startswith(str(tmp_path / "school.toml") + ": ")
    assert f"{named}:" in message
    assert message.count("; ") == 0, "exactly one problem expected"


@pytest.mark.parametrize(
    ("key_line", "new_line", "rule"),
    [
        ("brin", 'brin = "ABCD"', "V13"),
        ("vestiging", 'vestiging = "x"', "V13"),
        ("email", 'email = "nee"', "V07"),
        ('naam = "J. Jansen', 'naam = ""', "V07"),
    ],
)
def test_identity_and_melder_mistakes_cite_their_rule(
    tmp_path: Path, key_line: str, new_line: str, rule: str
) -> None:
    message = problems(tmp_path, replace_line(EXAMPLE, key_line, new_line))

    assert f"({rule})" in message


def test_vakantie_tot_before_van_shows_both_dates(tmp_path: Path) -> None:
    message = problems(tmp_path, replace_line(EXAMPLE, "tot = 2025", "tot = 2024-12-20"))

    assert "vakanties[1]: tot (2024-12-20) ligt voor van (2024-12-21)" in message


def test_a_one_day_vakantie_is_allowed(tmp_path: Path) -> None:
    config = load_school(write(tmp_path, replace_line(EXAMPLE, "tot = 2025", "tot = 2024-12-21")))

    assert DateRange(dt.date(2024, 12, 21), dt.date(2024, 12, 21), "kerstvakantie") in (
        config.vakanties
    )


def test_an_unknown_categorie_lists_the_allowed_ones(tmp_path: Path) -> None:
    message = problems(tmp_path, replace_line(EXAMPLE, "VZV", 'VZV = "VAKANTIE"'))

    assert "redencodes.VZV: onbekende categorie" in message
    for categorie in Categorie:
        assert categorie.value in message


@pytest.mark.parametrize(
    ("addition", "named"),
    [
        ("[school]\nbrinn = 1\n", "school.brinn"),
        ("[melder]\nmail = 1\n", "melder.mail"),
        ("[schol]\nbrin = 1\n", "schol"),
    ],
)
def test_an_unknown_key_is_named_with_the_allowed_keys(
    tmp_path: Path, addition: str, named: str
) -> None:
    table = addition.split("\n")[0]
    text = EXAMPLE.replace(table + "\n", addition, 1) if table in EXAMPLE else EXAMPLE + addition

    message = problems(tmp_path, text)

    assert f"{named}: onbekende sleutel" in message
    assert "toegestaan" in message


@pytest.mark.parametrize("table", ["school", "melder"])
def test_a_missing_table_is_named(tmp_path: Path, table: str) -> None:
    text = EXAMPLE.replace(f"[{table}]", "[ander]")

    message = problems(tmp_path, text)

    assert f"[{table}]: tabel ontbreekt" in message


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("redencodes = 1\n" + MINIMAL, "[redencodes]"),
        ('vakanties = "zomer"\n' + MINIMAL, "[[vakanties]]"),
        (MINIMAL.replace("[school]", 'vakanties = ["zomer"]\n[school]'), "vakanties[1]"),
    ],
    ids=["redencodes-not-a-table", "vakanties-not-a-list", "vakantie-not-a-table"],
)
def test_tables_of_the_wrong_shape_are_named(tmp_path: Path, text: str, named: str) -> None:
    assert f"{named}:" in problems(tmp_path, text)


def test_several_problems_are_reported_at_once(tmp_path: Path) -> None:
    text = EXAMPLE
    text = replace_line(text, "brin", 'brin = "XX99"')
    text = replace_line(text, "sector", 'sector = "hbo"')
    text = replace_line(text, "te_laat_signaal", "te_laat_signaal = -3")
    text = replace_line(text, "hele_dag_minuten", "hele_dag_minuten = 1000")
    text = replace_line(text, "email", 'email = "geen-adres"')
    text = replace_line(text, "VZV", 'VZV = "VAKANTIE"')
    text = replace_line(text, "tot = 2025", "tot = 2024-01-01")
    text = text.replace("[melder]\n", "[melder]\nfax = 1\n")

    message = problems(tmp_path, text)

    for key in (
        "school.brin",
        "school.sector",
        "school.te_laat_signaal",
        "school.hele_dag_minuten",
        "melder.email",
        "melder.fax",
        "redencodes.VZV",
        "vakanties[1]",
    ):
        assert f"{key}:" in message, key
    assert len(message.split("; ")) == 8, message


def test_invalid_toml_is_a_config_error_with_the_position(tmp_path: Path) -> None:
    message = problems(tmp_path, MINIMAL.replace('sector = "po"', "sector = po"))

    assert "geen geldige TOML" in message
    assert "line 4" in message


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="schoolbestand niet gevonden"):
        load_school(tmp_path / "ontbreekt.toml")


def test_a_file_that_is_not_utf8_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "school.toml"
    path.write_bytes(MINIMAL.replace("Linde", "Lindé").encode("cp1252"))

    with pytest.raises(ConfigError, match="niet leesbaar"):
        load_school(path)
