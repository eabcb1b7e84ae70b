"""The sync's schedule (interval or cron, with an injected clock), the loop of ``run_sync`` without
``--once``, and the ``[sync]`` settings."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
from sync_setup import VENDOR_OIN, closed_endpoint, make_sync_fixture

from gateway.errors import ConfigError
from gateway.pki import init_pki
from gateway.service.sync import StopFlag, SyncSummary, run_sync, school_entries
from gateway.service.sync_schedule import Schedule
from gateway.settings import SyncSettings, load_settings

UTC = dt.UTC


def test_interval_counts_from_the_start_of_the_previous_run() -> None:
    schedule = Schedule.from_settings(SyncSettings(interval_seconds=900))
    start = dt.datetime(2025, 1, 6, 7, 0, tzinfo=UTC)
    assert schedule.next_run(start) == dt.datetime(2025, 1, 6, 7, 15, tzinfo=UTC)
    assert Schedule.from_settings(SyncSettings()).next_run(start) == start + dt.timedelta(hours=1)


def test_cron_is_read_in_amsterdam_time_across_daylight_saving() -> None:
    """06:15 on weekdays: 05:15 UTC in winter, 04:15 UTC in summer; the weekend is skipped."""
    schedule = Schedule.from_settings(SyncSettings(cron="15 6 * * 1-5"))
    friday_evening = dt.datetime(2025, 3, 28, 18, 0, tzinfo=UTC)
    # Monday 31 March, after the switch to summer time on Sunday 30 March
    assert schedule.next_run(friday_evening) == dt.datetime(2025, 3, 31, 4, 15, tzinfo=UTC)
    winter = dt.datetime(2025, 1, 6, 5, 15, tzinfo=UTC)  # exactly 06:15 in Amsterdam
    assert schedule.next_run(winter) == dt.datetime(2025, 1, 7, 5, 15, tzinfo=UTC)
    assert schedule.next_run(winter - dt.timedelta(seconds=1)) == winter
    with pytest.raises(ValueError, match="naive"):
        schedule.next_run(dt.datetime(2025, 1, 6, 5, 15))


def test_a_wrong_cron_expression_or_both_schedules_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"sync\.cron"):
        Schedule.parse_cron("61 * * * *")
    config = tmp_path / "verzuim.toml"
    config.write_text('[sync]\ncron = "elke ochtend"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="geen geldige cron-expressie"):
        load_settings(config, env={})
    config.write_text('[sync]\ncron = "0 6 * * *"\ninterval_seconds = 60\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="niet allebei"):
        load_settings(config, env={})
    config.write_text("[sync]\ninterval_seconds = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"sync\.interval_seconds"):
        load_settings(config, env={})


def test_sync_settings_resolve_paths_relative_to_the_file(tmp_path: Path) -> None:
    config = tmp_path / "etc" / "verzuim.toml"
    config.parent.mkdir()
    config.write_text(
        "\n".join(
            [
                'school = "school.toml"',
                "[sync]",
                'summary_dir = "runs"',
                "[[sync.schools]]",
                'school = "scholen/99XX.toml"',
                "[[sync.schools.sources]]",
                'adapter = "magister"',
                'drop = "/srv/drop/99XX"',
                "[[sync.schools.sources]]",
                'adapter = "canonical"',
                'files = ["export/leerlingen.csv", "export/lesregistraties.csv"]',
            ]
        ),
        encoding="utf-8",
    )
    settings = load_settings(config, env={})
    base = config.parent
    assert settings.sync.summary_dir == base / "runs"
    assert settings.sync.data_dir == Path("sync-data")  # the default, not from the file
    (entry,) = school_entries(settings)
    assert entry.school == base / "scholen" / "99XX.toml"
    assert entry.sources[0].drop == Path("/srv/drop/99XX")
    assert entry.sources[1].files == [
        base / "export" / "leerlingen.csv",
        base / "export" / "lesregistraties.csv",
    ]


def test_without_a_school_list_the_top_level_school_is_synced(tmp_path: Path) -> None:
    config = tmp_path / "verzuim.toml"
    config.write_text(
        'school = "school.toml"\n[[sync.sources]]\nadapter = "somtoday"\ndrop = "drop"\n',
        encoding="utf-8",
    )
    (entry,) = school_entries(load_settings(config, env={}))
    assert entry.school == tmp_path / "school.toml"
    assert entry.sources[0].adapter == "somtoday" and entry.sources[0].drop == tmp_path / "drop"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[[sync.sources]]\nadapter = "magister"\n', "geef per bron drop"),
        ('[[sync.sources]]\nadapter = "parnassys"\ndrop = "d"\n', "sync.sources.0.adapter"),
        (
            '[[sync.sources]]\ndrop = "d"\n[[sync.schools]]\nschool = "s.toml"\n',
            "horen de bronnen bij elke school",
        ),
    ],
)
def test_bad_sources_are_named(tmp_path: Path, table: str, message: str) -> None:
    config = tmp_path / "verzuim.toml"
    config.write_text(table, encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        load_settings(config, env={})


def test_the_loop_runs_on_the_schedule_until_stopped(tmp_path: Path) -> None:
    """Without --once: a run, then a wait until the next start (from the injected clock), three
    times; the third wait is interrupted by a stop request."""
    pki = init_pki(tmp_path / "pki", VENDOR_OIN, overwrite=True)
    fixture = make_sync_fixture(tmp_path / "w", pki, closed_endpoint(), two_schools=False)
    now = [dt.datetime(2025, 1, 6, 7, 0, tzinfo=UTC)]
    waits: list[float] = []
    runs: list[SyncSummary] = []
    stop = StopFlag()

    def clock() -> dt.datetime:
        now[0] += dt.timedelta(seconds=1)  # every look at the clock takes a second
        return now[0]

    def wait(seconds: float) -> bool:
        waits.append(seconds)
        now[0] += dt.timedelta(seconds=seconds)
        if len(waits) == 3:
            stop.set()
            return True
        return False

    last = run_sync(fixture.settings(), clock, once=False, stop=stop, wait=wait, on_run=runs.append)

    assert len(runs) == 3 and last is runs[-1]
    starts = [dt.datetime.fromisoformat(run.begonnen) for run in runs]
    # interval 600 s from each start: the waits make up for the time the run itself took
    assert [later - earlier for earlier, later in itertools.pairwise(starts)] == [
        dt.timedelta(seconds=601)
    ] * 2  # + 1 s: run_sync reads the clock once before each run
    assert all(0 < seconds < 600 for seconds in waits)
    assert len({run.run for run in runs}) == 3


def test_a_stop_before_the_run_does_nothing(tmp_path: Path) -> None:
    pki = init_pki(tmp_path / "pki", VENDOR_OIN, overwrite=True)
    fixture = make_sync_fixture(tmp_path / "w", pki, closed_endpoint())
    fixture.drop_vo()
    stop = StopFlag()
    stop.set()
    summary = run_sync(fixture.settings(), lambda: dt.datetime.now(UTC), stop=stop)
    assert summary.gestopt
    assert [item.status for item in summary.scholen] == ["gestopt", "gestopt"]
    assert len(list(fixture.vo_drop.iterdir())) == 2  # untouched
