"""Shared set-up of the sync tests: a VO school (the sample school, canonical files) and a primary
school (dagverzuim, day grain) with their drop folders, and a ``verzuim.toml`` with ``[sync]``
pointing at a running simulator (or at a closed port when a test does not need DUO)."""

from __future__ import annotations

import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

from gateway.pki import PkiFiles
from gateway.sample.generate import SampleFiles, sample_school_texts, write_sample_school
from gateway.settings import Settings, load_settings

#: An OIN without a BRIN in it (prefix 00000001): one certificate may send for both schools,
#: as a vendor's does (the simulator checks the BRIN only for OINs of prefix 00000007).
VENDOR_OIN = "00000001800000099000"
PO_BRIN = "98YY"

PO_STUDENTS = (
    "leerlingnummer;bsn;onderwijsnummer;geboortedatum;startkwalificatie\n"
    "500001;111222333;;2016-03-15;N\n"
    "500002;;100000004;2016-06-01;N\n"
)
PO_HEADER = (
    "brin;vestiging;leerlingnummer;bsn;onderwijsnummer;datum;dagdeel;uren;redencode;reden;"
    "geoorloofd;opmerking;groep\n"
)
#: 500001 is away three whole days without excuse (16 klokuren on the third: R-16U, V3);
#: 500002 is ill (excused: nothing).
PO_ROWS = (
    "98YY;00;500001;;;2024-09-02;D;6;;;N;;groep 3\n"
    "98YY;00;500001;;;2024-09-03;D;5,5;;;N;;groep 3\n"
    "98YY;00;500001;;;2024-09-04;D;6;;;N;;groep 3\n"
    "98YY;00;500002;;;2024-09-02;D;6;Z;ziek;J;;groep 4\n"
)


@dataclass(frozen=True, slots=True)
class SyncFixture:
    """The files of one sync test."""

    root: Path
    config: Path
    sample: SampleFiles
    vo_drop: Path
    po_school: Path
    po_drop: Path

    def settings(self) -> Settings:
        return load_settings(self.config, env={})

    def drop_vo(self) -> list[Path]:
        """Copy the sample school's export into the VO drop folder (as the SIS would)."""
        return [
            Path(shutil.copy2(path, self.vo_drop / path.name))
            for path in (self.sample.leerlingen, self.sample.lesregistraties)
        ]

    def drop_po(self, rows: str = PO_ROWS) -> list[Path]:
        (self.po_drop / "leerlingen.csv").write_text(PO_STUDENTS, encoding="utf-8")
        (self.po_drop / "dagverzuim.csv").write_text(PO_HEADER + rows, encoding="utf-8")
        return [self.po_drop / "leerlingen.csv", self.po_drop / "dagverzuim.csv"]


def closed_endpoint() -> str:
    """An https endpoint on a loopback port nobody listens on (sending fails, transiently)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"https://127.0.0.1:{port}/verzuim/v1"


def po_school_toml(sample: SampleFiles) -> str:
    """The primary school: the sample's texts with another BRIN, sector PO, whole days of 300
    minutes (dagverzuim shows no presence, F6)."""
    text = sample_school_texts().school
    return (
        text.replace('brin = "99XX"', f'brin = "{PO_BRIN}"')
        .replace('naam = "Proefschool"', 'naam = "Basisschool De Proef"')
        .replace('sector = "vo"', 'sector = "po"')
        .replace("te_laat_signaal = 5", "te_laat_signaal = 0")
    )


def make_sync_fixture(
    root: Path,
    pki: PkiFiles,
    endpoint: str,
    *,
    two_schools: bool = True,
    concurrency: int = 4,
    lease_seconds: float = 60.0,
    sync_lease_seconds: float = 60.0,
    extra_sync: str = "",
) -> SyncFixture:
    sample = write_sample_school(root / "school")
    vo_drop = root / "drop" / "99XX"
    po_drop = root / "drop" / PO_BRIN
    vo_drop.mkdir(parents=True)
    po_drop.mkdir(parents=True)
    po_school = root / "po" / "school.toml"
    po_school.parent.mkdir()
    po_school.write_text(po_school_toml(sample), encoding="utf-8")
    lines = [
        f'school = "{sample.school}"',
        f'store_url = "sqlite:///{root / "verzuim.db"}"',
        "[duo]",
        f'endpoint = "{endpoint}"',
        f'client_cert = "{pki.client_cert}"',
        f'client_key = "{pki.client_key}"',
        f'trust_bundle = "{pki.ca_cert}"',
        f'oin = "{pki.oin}"',
        "timeout_seconds = 5",
        "connect_timeout_seconds = 2",
        f"concurrency = {concurrency}",
        "max_attempts = 1",
        "retry_backoff_seconds = 30",
        "retry_backoff_max_seconds = 60",
        f"lease_seconds = {lease_seconds}",
        "[sync]",
        "interval_seconds = 600",
        f"lease_seconds = {sync_lease_seconds}",
        'summary_dir = "runs"',
        'data_dir = "data"',
        "settle_seconds = 0",
        extra_sync,
    ]
    if two_schools:
        lines += [
            "[[sync.schools]]",
            f'school = "{sample.school}"',
            "[[sync.schools.sources]]",
            'adapter = "canonical"',
            'drop = "drop/99XX"',
            "[[sync.schools]]",
            'school = "po/school.toml"',
            "[[sync.schools.sources]]",
            'adapter = "auto"',
            f'drop = "drop/{PO_BRIN}"',
        ]
    else:
        lines += ["[[sync.sources]]", 'adapter = "canonical"', 'drop = "drop/99XX"']
    config = root / "verzuim.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return SyncFixture(root, config, sample, vo_drop, po_school, po_drop)
