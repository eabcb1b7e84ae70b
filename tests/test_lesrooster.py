"""The school's timetable, ``[lesrooster]`` (issue 5; DOMAIN.md 5): loading and checking it, and
the Eduarte adapter cutting interval reports into the lesson slots of each day.

Every mistake in the timetable must give one ConfigError problem that names the key to fix, e.g.
``lesrooster.woensdag[2].tot``; without a ``[lesrooster]`` every weekday is ``DEFAULT_LESSONS``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest
from builders import school

from adapters.base import AdapterOutput, assemble
from adapters.eduarte import EduarteAdapter
from adapters.lessons import DEFAULT_LESSONS
from gateway.errors import ConfigError
from gateway.model import Lesrooster, LessonSlot, Registration, SchoolConfig, Sector, Status
from gateway.rules.dayfacts import day_facts, last_date
from gateway.rules.precheck import precheck
from gateway.school import load_school

D = dt.date
T = dt.time
MON, TUE, WED, SAT = D(2024, 9, 2), D(2024, 9, 3), D(2024, 9, 4), D(2024, 9, 7)

BASE = """\
[school]
brin = "99XX"
naam = "Proefschool"
sector = "mbo"

[melder]
naam = "J. Jansen"
email = "verzuim@proefschool.example"
"""

# Wednesday: four lessons of 60 minutes with a break after the second.
WEDNESDAY = """
[lesrooster]
woensdag = [
  {lesuur = 1, van = "08:30", tot = "09:30"},
  {lesuur = 2, van = "09:30", tot = "10:30"},
  {lesuur = 3, van = "10:45", tot = "11:45"},
  {lesuur = 4, van = "11:45", tot = "12:45"},
]
"""
WEDNESDAY_SLOTS: tuple[LessonSlot, ...] = (
    (1, T(8, 30), T(9, 30)),
    (2, T(9, 30), T(10, 30)),
    (3, T(10, 45), T(11, 45)),
    (4, T(11, 45), T(12, 45)),
)
STUDENTS = (
    "leerlingnummer;bsn;onderwijsnummer;geboortedatum;startkwalificatie\n"
    "231045;111222333;;2008-03-15;N\n"
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, lesrooster: str) -> SchoolConfig:
    return load_school(write(tmp_path, "school.toml", BASE + lesrooster))


def problems(tmp_path: Path, lesrooster: str) -> str:
    """The message of the ConfigError that loading the school file with ``lesrooster`` raises."""
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, lesrooster)
    return str(caught.value)


# -- loading ------------------------------------------------------------------------------------


def test_without_lesrooster_every_weekday_is_the_default_day(tmp_path: Path) -> None:
    config = load(tmp_path, "")

    assert config.lesrooster == Lesrooster()
    for offset in range(5):
        assert config.lessons_on(MON + dt.timedelta(days=offset)) == DEFAULT_LESSONS
    assert config.lessons_on(SAT) == ()
    assert config.lessons_on(SAT + dt.timedelta(days=1)) == ()


def test_a_weekday_overrides_the_default_day(tmp_path: Path) -> None:
    config = load(tmp_path, WEDNESDAY)

    assert config.lessons_on(WED) == WEDNESDAY_SLOTS
    assert config.lessons_on(WED + dt.timedelta(days=7)) == WEDNESDAY_SLOTS
    assert config.lessons_on(MON) == config.lessons_on(TUE) == DEFAULT_LESSONS


def test_standaard_replaces_the_default_day_and_weekdays_override_it(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """
[lesrooster]
standaard = [{lesuur = 1, van = "08:00", tot = "09:00"}, {lesuur = 3, van = "10:00", tot = "11:00"}]
vrijdag = []

[[lesrooster.woensdag]]
lesuur = 2
van = 09:00:00
tot = 10:00:00
""",
    )

    standaard = ((1, T(8), T(9)), (3, T(10), T(11)))
    assert config.lessons_on(MON) == config.lessons_on(TUE) == standaard
    assert config.lessons_on(WED) == ((2, T(9), T(10)),)  # TOML times, array of tables
    assert config.lessons_on(D(2024, 9, 5)) == standaard
    assert config.lessons_on(D(2024, 9, 6)) == ()  # [] : no lessons on Friday


LES = '{lesuur = 1, van = "08:30", tot = "09:20"}'


def q(text: str) -> str:
    """``text`` as a TOML string."""
    return f'"{text}"'


def les(
    lesuur: str = "1", van: str = q("08:30"), tot: str | None = q("09:20"), more: str = ""
) -> str:
    """One inline lesson table, values as TOML text; ``None`` leaves ``tot`` out."""
    fields = [f"lesuur = {lesuur}" if lesuur else "", f"van = {van}"]
    fields += [f"tot = {tot}"] if tot is not None else []
    return "{" + ", ".join(field for field in fields if field) + more + "}"


def day(prefix: str, *lessons: object) -> str:
    """``prefix`` and a TOML list of ``lessons``."""
    return prefix + "[" + ", ".join(str(lesson) for lesson in lessons) + "]"


MA = "[lesrooster]\nmaandag = "
WO = "[lesrooster]\nwoensdag = "


@pytest.mark.parametrize(
    ("lesrooster", "named"),
    [
        ('lesrooster = "08:30-14:20"', "[lesrooster]"),
        ("[lesrooster]\nzaterdag = []", "lesrooster.zaterdag"),
        ("[lesrooster]\nstandaard = []", "lesrooster.standaard"),
        (WO + LES, "lesrooster.woensdag"),
        (day(WO, LES, 2), "lesrooster.woensdag[2]"),
        (day(WO, les("")), "lesrooster.woensdag[1].lesuur"),
        (day(MA, les("0")), "lesrooster.maandag[1].lesuur"),
        (day(MA, les("13")), "lesrooster.maandag[1].lesuur"),
        (day(MA, les(q("1"))), "lesrooster.maandag[1].lesuur"),
        (day(MA, les("true")), "lesrooster.maandag[1].lesuur"),
        (day(MA, les(van=q("8:30"))), "lesrooster.maandag[1].van"),
        (day(MA, les(van=q("08.30"))), "lesrooster.maandag[1].van"),
        (day(MA, les(van=q("24:00"))), "lesrooster.maandag[1].van"),
        (day(MA, les(tot=q("09:60"))), "lesrooster.maandag[1].tot"),
        (day(MA, les(van="08:30:15")), "lesrooster.maandag[1].van"),
        (day(MA, les(van="830")), "lesrooster.maandag[1].van"),
        (day(MA, les(tot=None)), "lesrooster.maandag[1].tot"),
        (day(MA, les(van=q("09:20"))), "lesrooster.maandag[1].tot"),
        (day(MA, les(more=', lokaal = "A1"')), "lesrooster.maandag[1].lokaal"),
        (day(WO, LES, les("1", q("09:20"), q("10:10"))), "lesrooster.woensdag[2].lesuur"),
        (day(WO, les("2", q("08:00"), q("08:30")), LES), "lesrooster.woensdag[2].lesuur"),
        (day(WO, LES, les("2", q("09:10"), q("10:00"))), "lesrooster.woensdag[2].van"),
        (day(WO, LES, les("2", q("08:00"), q("08:30"))), "lesrooster.woensdag[2].van"),
    ],
)
def test_each_timetable_mistake_is_one_problem_naming_the_key(
    tmp_path: Path, lesrooster: str, named: str
) -> None:
    if lesrooster.startswith("["):
        message = problems(tmp_path, "\n" + lesrooster + "\n")
    else:  # a top-level key goes before the first table
        with pytest.raises(ConfigError) as caught:
            load_school(write(tmp_path, "school.toml", lesrooster + "\n" + BASE))
        message = str(caught.value)

    assert message.startswith(str(tmp_path / "school.toml") + ": ")
    assert f"{named}:" in message
    assert message.count("; ") == 0, message


def test_messages_say_what_is_wrong(tmp_path: Path) -> None:
    message = problems(
        tmp_path,
        f'\n[lesrooster]\nwoensdag = [{LES}, {{lesuur = 2, van = "10:10", tot = "09:20"}}]\n',
    )
    assert "lesrooster.woensdag[2].tot: 09:20 ligt niet na van (10:10)" in message

    message = problems(
        tmp_path,
        f'\n[lesrooster]\nwoensdag = [{LES}, {{lesuur = 2, van = "09:10", tot = "10:00"}}]\n',
    )
    assert "ligt voor het einde van lesuur 1 (09:20)" in message


def test_every_problem_is_reported_at_once_with_the_rest_of_the_file(tmp_path: Path) -> None:
    text = BASE.replace('sector = "mbo"', 'sector = "hbo"') + (
        "\n[lesrooster]\n"
        'standaard = [{lesuur = 1, van = "08:30", tot = "08:00"}]\n'
        "zondag = []\n"
        'woensdag = [{lesuur = 1, van = "08:30", tot = "09:30"}, '
        '{lesuur = 2, van = "9:30", tot = "10:30"}]\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_school(write(tmp_path, "school.toml", text))
    message = str(caught.value)

    for named in (
        "school.sector:",
        "lesrooster.zondag:",
        "lesrooster.standaard[1].tot:",
        "lesrooster.woensdag[2].van:",
    ):
        assert named in message
    assert message.count("; ") == 3


# -- the Eduarte adapter cuts interval reports with the school's timetable ----------------------


def mbo_school(tmp_path: Path, lesuren: bool = True) -> SchoolConfig:
    config = load(tmp_path, WEDNESDAY)
    return replace(config, mbo_telt_lesuren=lesuren, redencodes=school().redencodes)


def read(config: SchoolConfig, tmp_path: Path, **files: str) -> AdapterOutput:
    paths = [write(tmp_path, "leerlingen.csv", STUDENTS)]
    paths += [write(tmp_path, name, text) for name, text in files.items()]
    output = EduarteAdapter().read(config, paths)
    for stats in output.stats:
        assert stats.read == stats.accepted + stats.rejected, stats
    return output


def slots(output: AdapterOutput) -> list[tuple[dt.date, int | None, dt.time, dt.time]]:
    regs: list[Registration] = [registration for registration, _ in output.registrations]
    return [(r.datum, r.lesuur, r.begintijd, r.eindtijd) for r in regs]


def test_whole_day_reports_take_the_lessons_of_each_day(tmp_path: Path) -> None:
    output = read(
        mbo_school(tmp_path), tmp_path, **{"meldingen.csv": "231045;20240903;;20240904;;;;;\n"}
    )

    assert not output.rejections
    assert slots(output) == [(TUE, n, b, e) for n, b, e in DEFAULT_LESSONS] + [
        (WED, n, b, e) for n, b, e in WEDNESDAY_SLOTS
    ]
    assert all(
        r.status is Status.AFWEZIG and r.geoorloofd is False for r, _ in output.registrations
    )


def test_reports_by_time_and_by_lesson_number_use_the_wednesday_slots(tmp_path: Path) -> None:
    meldingen = (
        "231045;20240904;09:00;20240904;11:00;;;VZV;\n"  # overlaps lessons 1, 2 and 3
        "231045;20240911;;20240911;;3;4;Z;\n"  # lessons 3-4 of the next Wednesday
        "231045;20240905;09:00;20240905;11:00;;;;\n"  # Thursday: the default day
    )
    output = read(mbo_school(tmp_path), tmp_path, **{"meldingen.csv": meldingen})

    later = D(2024, 9, 11)
    assert slots(output) == [
        (WED, 1, T(8, 30), T(9, 30)),
        (WED, 2, T(9, 30), T(10, 30)),
        (WED, 3, T(10, 45), T(11, 45)),
        (later, 3, T(10, 45), T(11, 45)),
        (later, 4, T(11, 45), T(12, 45)),
        (D(2024, 9, 5), 1, T(8, 30), T(9, 20)),
        (D(2024, 9, 5), 2, T(9, 20), T(10, 10)),
        (D(2024, 9, 5), 3, T(10, 30), T(11, 20)),
    ]


def test_waarnemingen_take_lesson_times_from_the_days_timetable(tmp_path: Path) -> None:
    waarnemingen = (
        "231045;20240904;;;4;;;;Afwezig;N\n"  # Wednesday lesson 4: 11:45-12:45
        "231045;20240903;;;6;;;;Afwezig;N\n"  # Tuesday lesson 6: 13:30-14:20
        "231045;20240904;;;6;;;;Afwezig;N\n"  # Wednesday has no lesson 6: refused
    )
    output = read(mbo_school(tmp_path), tmp_path, **{"waarnemingen.csv": waarnemingen})

    assert slots(output) == [(WED, 4, T(11, 45), T(12, 45)), (TUE, 6, T(13, 30), T(14, 20))]
    assert [(r.regelnummer, r.regel, r.veld) for r in output.rejections] == [
        (3, "I-VERPLICHT", "begintijd")
    ]
    assert "lesrooster" in output.rejections[0].reden


def test_a_waarneming_covers_its_wednesday_slot_of_a_report(tmp_path: Path) -> None:
    output = read(
        mbo_school(tmp_path),
        tmp_path,
        **{
            "meldingen.csv": "231045;20240904;;;;;;Z;\n",
            "waarnemingen.csv": "231045;20240904;10:45;11:45;3;;;;Afwezig;J\n",
        },
    )

    assert [(r.lesuur, r.geoorloofd, where.bestand) for r, where in output.registrations] == [
        (3, True, "waarnemingen.csv"),  # the waarneming, excused by the report
        (1, True, "meldingen.csv"),
        (2, True, "meldingen.csv"),
        (4, True, "meldingen.csv"),
    ]


@pytest.mark.parametrize(("lesuren", "uren"), [(True, 16.0), (False, 14.0)])
def test_three_days_with_a_short_wednesday_count_its_four_lessons(
    tmp_path: Path, lesuren: bool, uren: float
) -> None:
    """Mon-Wed whole days unexcused: 6 + 6 + 4 = 16 lessons (18 with the default day), a V3 when
    lessons count; 5 + 5 + 4 = 14 clock hours otherwise, below 16 (F3)."""
    config = mbo_school(tmp_path, lesuren)
    output = read(config, tmp_path, **{"meldingen.csv": "231045;20240902;;20240904;;;;;\n"})
    export = assemble(output)
    peildatum = last_date(export.registrations)
    assert peildatum == WED

    facts = day_facts(export.registrations, config.eenheid, peildatum)
    result = precheck(config, export.students, facts.per_pupil, [], peildatum)

    absent = {fact.datum: fact.absent_minutes for fact in facts.per_pupil["231045"]}
    assert absent == {MON: 300, TUE: 300, WED: 240}
    assert config.sector is Sector.MBO
    if lesuren:
        assert [(m.code.value, m.uren) for m in result.meldingen] == [("V3", uren)]
    else:
        assert result.meldingen == ()
