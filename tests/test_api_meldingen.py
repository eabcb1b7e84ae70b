"""POST/GET /v1/meldingen, wijziging and intrekking: V01-V13, 202/409/422, the audit history,
paging, and that nothing is sent by the API itself (issue 6)."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_harness import (
    BSN,
    NOW,
    Harness,
    make_harness,
    melding,
    pki,  # noqa: F401  (fixture)
)

from gateway.pki import PkiFiles
from gateway.store import Operation, State


@pytest.fixture
def h(tmp_path: Path, pki: PkiFiles) -> Harness:  # noqa: F811
    return make_harness(tmp_path, pki=pki)


def rules(response_json: dict[str, object]) -> list[tuple[str, str]]:
    fouten = response_json["fouten"]
    assert isinstance(fouten, list)
    return [(item["regel"], item["veld"]) for item in fouten]


def test_a_valid_melding_is_queued_with_202_location_and_history(h: Harness) -> None:
    response = h.client.post("/v1/meldingen", json=melding(), headers=h.headers())
    assert response.status_code == 202
    body = response.json()
    assert response.headers["location"] == f"/v1/meldingen/{body['id']}" == body["href"]
    assert body["toestand"] == "queued"
    row = h.store.get(body["id"])
    assert row is not None and row.state is State.QUEUED and row.operation is Operation.MELDEN
    assert row.document_id == body["document_id"] and b"<" in row.xml  # the validated document
    shown = h.client.get(response.headers["location"], headers=h.headers())
    assert shown.status_code == 200
    detail = shown.json()
    assert (detail["code"], detail["begindatum"], detail["toestand"]) == (
        "V3",
        "2024-10-28",
        "queued",
    )
    assert detail["duo_nummer"] is None
    assert [event["gebeurtenis"] for event in detail["geschiedenis"]] == ["enqueued"]
    assert detail["geschiedenis"][0]["door"].startswith("api:")
    assert BSN not in shown.text  # never the BSN


def test_duo_number_and_status_show_after_acceptance(h: Harness) -> None:
    outbox_id = h.client.post("/v1/meldingen", json=melding(), headers=h.headers()).json()["id"]
    h.accept(outbox_id, "VM000123", "B")
    detail = h.client.get(f"/v1/meldingen/{outbox_id}", headers=h.headers()).json()
    assert (detail["toestand"], detail["duo_nummer"], detail["duo_status"]) == (
        "accepted",
        "VM000123",
        "B",
    )
    assert [e["gebeurtenis"] for e in detail["geschiedenis"]] == ["enqueued", "claimed", "accepted"]


def test_every_broken_rule_is_listed_with_field_and_text(h: Harness) -> None:
    body = melding(
        bsn="123456789",  # fails the 11-check: V01
        einddatum="2024-11-08",  # after today: V03
        vermoedelijke_reden="",  # V05
        ondernomen_acties="x" * 3001,  # V04
        toelichting="bel\x07",  # control character: V06
        actie_gewenst=False,  # without explanation: V11
        melder={"naam": "", "email": "geen-adres"},  # V07 twice
    )
    response = h.client.post("/v1/meldingen", json=body, headers=h.headers())
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    found = rules(response.json())
    for expected in [
        ("V01", "bsn"),
        ("V03", "einddatum"),
        ("V04", "ondernomen_acties"),
        ("V05", "vermoedelijke_reden"),
        ("V06", "toelichting"),
        ("V07", "melder.naam"),
        ("V07", "melder.email"),
        ("V11", "toelichting_actie"),
    ]:
        assert expected in found
    assert all(item["reden"] for item in response.json()["fouten"])
    assert "123456789" not in response.text
    assert h.store.counts()[State.QUEUED] == 0  # nothing written


def test_v02_a_16_uur_melding_needs_an_einddatum(h: Harness) -> None:
    response = h.client.post("/v1/meldingen", json=melding(einddatum=None), headers=h.headers())
    assert response.status_code == 422
    assert ("V02", "einddatum") in rules(response.json())


def test_v08_an_lrv_without_28_days_of_absence_is_refused(h: Harness) -> None:
    short = melding(code="LRV", begindatum="2024-10-07", einddatum="2024-10-31", dagen=[])
    response = h.client.post("/v1/meldingen", json=short, headers=h.headers())
    assert response.status_code == 422
    assert rules(response.json()) == [("V08", "begindatum")]
    # 2 Sep - 11 Oct reaches day T (29 Sep): accepted
    long = melding(code="LRV", begindatum="2024-09-02", einddatum="2024-10-11", dagen=[])
    assert h.client.post("/v1/meldingen", json=long, headers=h.headers()).status_code == 202


def test_v08_counts_adjoining_earlier_meldingen(h: Harness) -> None:
    first = melding(code="LRV", begindatum="2024-09-02", einddatum="2024-10-11", dagen=[])
    assert h.client.post("/v1/meldingen", json=first, headers=h.headers()).status_code == 202
    follow = melding(code="LRV", begindatum="2024-10-14", einddatum="2024-10-18", dagen=[])
    response = h.client.post("/v1/meldingen", json=follow, headers=h.headers())
    assert response.status_code == 202, response.text


def test_v09_overlap_and_v10_obligation(h: Harness) -> None:
    assert h.client.post("/v1/meldingen", json=melding(), headers=h.headers()).status_code == 202
    overlapping = melding(begindatum="2024-10-29", einddatum="2024-10-31")
    response = h.client.post("/v1/meldingen", json=overlapping, headers=h.headers())
    assert ("V09", "begindatum") in rules(response.json())
    adult = melding(leerlingnummer="999", geboortedatum="2005-01-01")  # 19: V3 does not fit
    response = h.client.post("/v1/meldingen", json=adult, headers=h.headers())
    assert response.status_code == 422 and ("V10", "code") in rules(response.json())
    mismatch = melding(leerlingnummer="998", soort="LRV")
    assert ("V10", "soort") in rules(
        h.client.post("/v1/meldingen", json=mismatch, headers=h.headers()).json()
    )


def test_the_same_melding_twice_is_409_with_the_first(h: Harness) -> None:
    first = h.client.post("/v1/meldingen", json=melding(), headers=h.headers())
    again = h.client.post("/v1/meldingen", json=melding(toelichting="ander"), headers=h.headers())
    assert again.status_code == 409
    assert again.headers["location"] == first.headers["location"]
    assert again.json()["id"] == first.json()["id"]


def test_v13_a_malformed_brin_or_one_without_school_is_422(h: Harness) -> None:
    response = h.client.post("/v1/meldingen", json=melding(brin="9X"), headers=h.headers())
    assert response.status_code == 422 and rules(response.json()) == [("V13", "brin")]
    wrong_vestiging = melding(vestiging="07")
    response = h.client.post("/v1/meldingen", json=wrong_vestiging, headers=h.headers())
    assert response.status_code == 422 and rules(response.json()) == [("V13", "vestiging")]
    keys = h.store.engine
    from gateway.store.api_keys import ApiKeyStore

    _, both = ApiKeyStore(keys).create(["99XX", "97ZZ"], "", NOW)  # 97ZZ: not served here
    response = h.client.post("/v1/meldingen", json=melding(brin="97ZZ"), headers=h.headers(both))
    assert response.status_code == 422 and rules(response.json()) == [("V13", "brin")]


def test_v13_a_brin_of_another_school_is_403(h: Harness) -> None:
    response = h.client.post("/v1/meldingen", json=melding(brin="98YY"), headers=h.headers())
    assert response.status_code == 403
    assert rules(response.json()) == [("V13", "brin")]
    unknown = h.client.post("/v1/meldingen", json=melding(brin="11AA"), headers=h.headers())
    assert unknown.status_code == 403  # the same answer whether the school exists or not
    assert unknown.json()["detail"] == response.json()["detail"]


def test_tenant_isolation_on_get_and_list(h: Harness) -> None:
    outbox_id = h.client.post("/v1/meldingen", json=melding(), headers=h.headers()).json()["id"]
    theirs = h.client.get(f"/v1/meldingen/{outbox_id}", headers=h.headers(h.key_b))
    missing = h.client.get("/v1/meldingen/999999", headers=h.headers(h.key_b))
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["detail"].replace(str(outbox_id), "N") == missing.json()["detail"].replace(
        "999999", "N"
    )
    assert h.client.get("/v1/meldingen", headers=h.headers(h.key_b)).json()["items"] == []
    mine = h.client.get("/v1/meldingen", headers=h.headers()).json()["items"]
    assert [item["id"] for item in mine] == [outbox_id]
    foreign = h.client.get("/v1/meldingen", params={"brin": "99XX"}, headers=h.headers(h.key_b))
    assert foreign.status_code == 403
    for path in (f"/v1/meldingen/{outbox_id}/wijziging", f"/v1/meldingen/{outbox_id}/intrekking"):
        body = {"einddatum": "2024-10-30"} if path.endswith("wijziging") else {"reden": "DUBBEL"}
        assert h.client.post(path, json=body, headers=h.headers(h.key_b)).status_code == 404


def test_list_is_paged_with_a_next_link_and_filters(h: Harness) -> None:
    ids = []
    for number in range(7):
        body = melding(leerlingnummer=f"10{number}")
        ids.append(h.client.post("/v1/meldingen", json=body, headers=h.headers()).json()["id"])
    h.accept(ids[0], "VM1", "G")
    seen: list[int] = []
    url: str | None = "/v1/meldingen"
    pages = 0
    while url:
        page = h.client.get(url, headers=h.headers())
        assert page.status_code == 200
        seen += [item["id"] for item in page.json()["items"]]
        url = page.json()["volgende"]
        if url:
            assert page.headers["link"] == f'<{url}>; rel="next"'
        pages += 1
    assert seen == ids and pages == 3  # page size 3
    accepted = h.client.get("/v1/meldingen", params={"status": "accepted"}, headers=h.headers())
    assert [item["id"] for item in accepted.json()["items"]] == [ids[0]]
    closed = h.client.get("/v1/meldingen", params={"duo_status": "G"}, headers=h.headers())
    assert [item["id"] for item in closed.json()["items"]] == [ids[0]]
    later = h.client.get(
        "/v1/meldingen", params={"since": "2024-11-05T00:00:00Z"}, headers=h.headers()
    )
    assert later.json()["items"] == []
    naive = h.client.get(
        "/v1/meldingen", params={"since": "2024-11-04T08:00:00"}, headers=h.headers()
    )
    assert len(naive.json()["items"]) == 3
    bad = h.client.get("/v1/meldingen", params={"status": "verzonden"}, headers=h.headers())
    assert bad.status_code == 422 and bad.json()["fouten"][0]["pad"] == "query.status"


def test_wijziging_is_queued_like_verzuim_change(h: Harness) -> None:
    lrv = melding(code="LRV", begindatum="2024-09-02", einddatum=None, dagen=[])
    outbox_id = h.client.post("/v1/meldingen", json=lrv, headers=h.headers()).json()["id"]
    path = f"/v1/meldingen/{outbox_id}/wijziging"
    early = h.client.post(path, json={"einddatum": "2024-10-11"}, headers=h.headers())
    assert early.status_code == 409  # DUO has no number for it yet
    h.accept(outbox_id, "VM000200")
    empty = h.client.post(path, json={}, headers=h.headers())
    assert empty.status_code == 422 and rules(empty.json()) == [("I-VERPLICHT", "wijziging")]
    wrong = h.client.post(
        path,
        json={"einddatum": "2024-08-01", "vermoedelijke_reden": "x" * 201},
        headers=h.headers(),
    )
    assert set(rules(wrong.json())) == {("V03", "einddatum"), ("V05", "vermoedelijke_reden")}
    change = {"einddatum": "2024-10-11", "ondernomen_acties": "Huisbezoek", "toelichting": "terug"}
    response = h.client.post(path, json=change, headers=h.headers())
    assert response.status_code == 202, response.text
    row = h.store.get(response.json()["id"])
    assert row is not None and row.operation is Operation.MUTATIE
    assert row.target_outbox_id == outbox_id and row.target_nummer == "VM000200"
    assert str(row.einddatum) == "2024-10-11"
    detail = h.client.get(f"/v1/meldingen/{outbox_id}", headers=h.headers()).json()
    assert [item["id"] for item in detail["verzoeken"]] == [row.id]


@pytest.mark.parametrize("status", ["G", "I"])
def test_v12_an_afgesloten_or_withdrawn_melding_cannot_be_withdrawn(
    h: Harness, status: str
) -> None:
    outbox_id = h.client.post("/v1/meldingen", json=melding(), headers=h.headers()).json()["id"]
    h.accept(outbox_id, "VM000300", status)
    response = h.client.post(
        f"/v1/meldingen/{outbox_id}/intrekking", json={"reden": "DUBBEL"}, headers=h.headers()
    )
    assert response.status_code == 422
    assert rules(response.json()) == [("V12", "melding")]


def test_intrekking_of_a_registered_melding_is_queued(h: Harness) -> None:
    outbox_id = h.client.post("/v1/meldingen", json=melding(), headers=h.headers()).json()["id"]
    path = f"/v1/meldingen/{outbox_id}/intrekking"
    assert h.client.post(path, json={"reden": "DUBBEL"}, headers=h.headers()).status_code == 409
    h.accept(outbox_id, "VM000400")
    bad = h.client.post(path, json={"reden": "GEEN_ZIN"}, headers=h.headers())
    assert bad.status_code == 422 and bad.json()["fouten"][0]["pad"] == "body.reden"
    response = h.client.post(
        path, json={"reden": "DUBBEL", "toelichting": "al gemeld"}, headers=h.headers()
    )
    assert response.status_code == 202
    row = h.store.get(response.json()["id"])
    assert row is not None and row.operation is Operation.INTREKKEN
    assert row.payload["reden"] == "DUBBEL" and row.state is State.QUEUED
    # a change request is not a melding: it cannot be withdrawn itself
    again = h.client.post(
        f"/v1/meldingen/{row.id}/intrekking", json={"reden": "DUBBEL"}, headers=h.headers()
    )
    assert again.status_code == 409


def test_the_api_never_sends(h: Harness) -> None:
    for number in range(3):
        body = melding(leerlingnummer=f"20{number}")
        assert h.client.post("/v1/meldingen", json=body, headers=h.headers()).status_code == 202
    counts = h.store.counts()
    assert counts[State.QUEUED] == 3 and sum(counts.values()) == 3
    assert all(row.attempts == 0 for row in h.store.list())
