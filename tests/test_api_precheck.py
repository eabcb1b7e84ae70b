"""POST /v1/precheck: the same rule book and JSON as ``verzuim precheck``, bad items refused by
their JSON path, nothing stored (issue 6)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from api_harness import BSN, Harness, make_harness, pki  # noqa: F401  (fixture)

from gateway.pipeline import run_precheck
from gateway.pki import PkiFiles
from gateway.render import precheck_json

LESSONS = [
    ("08:30", "09:20"),
    ("09:20", "10:10"),
    ("10:30", "11:20"),
    ("11:20", "12:10"),
    ("12:40", "13:30"),
    ("13:30", "14:20"),
]
DAYS = [dt.date(2024, 10, 28) + dt.timedelta(days=n) for n in range(4)]  # Mon-Thu


@pytest.fixture
def h(tmp_path: Path, pki: PkiFiles) -> Harness:  # noqa: F811
    return make_harness(tmp_path, pki=pki, max_body_bytes=256 * 1024)


def registrations() -> list[dict[str, Any]]:
    """Pupil 231045 misses every lesson Mon-Wed and is back on Thursday; pupil 231046 misses
    two lessons with a luxe reason code."""
    rows = []
    for day in DAYS:
        for number, (begin, end) in enumerate(LESSONS, start=1):
            status = "AANWEZIG" if day == DAYS[-1] else "AFWEZIG"
            rows.append(
                {
                    "leerlingnummer": "231045",
                    "datum": day.isoformat(),
                    "lesuur": number,
                    "begintijd": begin,
                    "eindtijd": end,
                    "status": status,
                    "geoorloofd": None if status == "AFWEZIG" else True,
                    "bron_id": f"{day}-{number}",
                }
            )
    for number in (1, 2):
        rows.append(
            {
                "leerlingnummer": "231046",
                "datum": "2024-10-29",
                "lesuur": number,
                "begintijd": LESSONS[number - 1][0],
                "eindtijd": LESSONS[number - 1][1],
                "status": "AFWEZIG",
                "geoorloofd": False,
                "redencode": "VZV",
            }
        )
    return rows


def body(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "brin": "99XX",
        "leerlingen": [
            {"leerlingnummer": "231045", "geboortedatum": "2010-03-15", "bsn": BSN},
            {"leerlingnummer": "231046", "geboortedatum": "2010-05-01", "bsn": BSN},
            {"leerlingnummer": "231047", "geboortedatum": "2010-05-01", "bsn": "123456789"},
        ],
        "registraties": registrations(),
    }
    document.update(changes)
    return document


def write_csv(tmp_path: Path) -> tuple[Path, Path]:
    students = tmp_path / "leerlingen.csv"
    students.write_text(
        "leerlingnummer;bsn;onderwijsnummer;geboortedatum;startkwalificatie\n"
        f"231045;{BSN};;2010-03-15;N\n231046;{BSN};;2010-05-01;N\n",
        encoding="utf-8",
    )
    lines = [
        "brin;vestiging;leerlingnummer;bsn;onderwijsnummer;datum;lesuur;begintijd;eindtijd;"
        "status;redencode;reden;geoorloofd;bron_id"
    ]
    for row in registrations():
        geoorloofd = {None: "", True: "J", False: "N"}[row["geoorloofd"]]
        lines.append(
            f"99XX;00;{row['leerlingnummer']};;;{row['datum']};{row['lesuur']};"
            f"{row['begintijd']};{row['eindtijd']};{row['status']};"
            f"{row.get('redencode', '')};;{geoorloofd};{row.get('bron_id', '')}"
        )
    registrations_csv = tmp_path / "lesregistraties.csv"
    registrations_csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return students, registrations_csv


def test_the_answer_is_the_json_of_verzuim_precheck(h: Harness) -> None:
    response = h.client.post("/v1/precheck", json=body(), headers=h.headers())
    assert response.status_code == 200, response.text
    answer = response.json()
    students, registrations_csv = write_csv(h.tmp_path)
    cli = precheck_json(
        run_precheck(h.tmp_path / "school-99XX.toml", students, [registrations_csv]).result
    )
    assert answer["peildatum"] == cli["peildatum"] == "2024-10-31"
    assert answer["meldingen"] == cli["meldingen"]
    assert [
        (m["leerlingnummer"], m["code"], m["begindatum"], m["uren"]) for m in answer["meldingen"]
    ] == [("231045", "V3", "2024-10-28", 18.0), ("231046", "L", "2024-10-29", 2.0)]
    assert {w["regel"] for w in answer["waarschuwingen"]} == {"W-ONBEKEND"}
    assert answer["bestanden"][0]["gelezen"] == len(registrations())
    assert h.store.counts() == {state: 0 for state in h.store.counts()}  # nothing stored


def test_bad_items_are_rejections_with_their_json_path(h: Harness) -> None:
    rows = registrations()
    rows[3] = {**rows[3], "eindtijd": "08:00"}  # ends before it begins: F1
    rows.append({**rows[0], "leerlingnummer": "999999"})  # unknown pupil: I-LEERLING
    answer = h.client.post("/v1/precheck", json=body(registraties=rows), headers=h.headers())
    assert answer.status_code == 200
    rejected = {(r["regel"], r["leerlingnummer"]): r for r in answer.json()["afwijzingen"]}
    assert rejected[("V01", "231047")]["reden"].startswith("$.leerlingen[2]")
    assert rejected[("F1", "231045")]["reden"].startswith("$.registraties[3]")
    assert ("I-LEERLING", "999999") in rejected
    assert "123456789" not in answer.text


def test_history_and_known_meldingen_are_not_proposed_again(h: Harness) -> None:
    known = [
        {
            "leerlingnummer": "231045",
            "code": "V3",
            "begindatum": "2024-10-28",
            "einddatum": "2024-10-30",
        }
    ]
    answer = h.client.post("/v1/precheck", json=body(historie=known), headers=h.headers()).json()
    assert [m["leerlingnummer"] for m in answer["meldingen"]] == ["231046"]


def test_peildatum_after_registrations_and_before(h: Harness) -> None:
    answer = h.client.post(
        "/v1/precheck", json=body(peildatum="2024-10-29"), headers=h.headers()
    ).json()
    assert answer["peildatum"] == "2024-10-29"
    assert any(w["regel"] == "W-PEILDATUM" for w in answer["waarschuwingen"])


def test_precheck_is_scoped_to_the_key(h: Harness) -> None:
    assert h.client.post("/v1/precheck", json=body(), headers=h.headers(h.key_b)).status_code == 403
    response = h.client.post("/v1/precheck", json=body(brin="9"), headers=h.headers())
    assert response.status_code == 422 and response.json()["fouten"][0]["regel"] == "V13"


def test_schema_problems_name_the_item(h: Harness) -> None:
    rows = registrations()
    rows[5] = {**rows[5], "status": "WEG", "begintijd": "8:30"}
    response = h.client.post("/v1/precheck", json=body(registraties=rows), headers=h.headers())
    assert response.status_code == 422
    paths = {fout["pad"] for fout in response.json()["fouten"]}
    assert paths == {"body.registraties[5].status", "body.registraties[5].begintijd"}


def test_empty_input_gives_an_empty_result(h: Harness) -> None:
    answer = h.client.post(
        "/v1/precheck", json=body(leerlingen=[], registraties=[]), headers=h.headers()
    )
    assert answer.status_code == 200
    assert answer.json()["peildatum"] is None and answer.json()["meldingen"] == []
