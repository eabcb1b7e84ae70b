"""Short Dutch explanations of the rule ids (DOMAIN.md 4, the README's input rules), for the
report's glossary: every rule id in the report links to one of these."""

from __future__ import annotations

RULES: dict[str, str] = {
    "F1": "Een registratie duurt 1 tot 720 minuten; identieke registraties (leerling, datum, "
    "begin, eind) tellen één keer, de latere telt.",
    "F2": "Telt mee voor 16 uur: afwezig of verwijderd, niet geoorloofd (N of leeg), niet LUXE, "
    "op een schooldag.",
    "F3": "Eenheid: lesuren (VO, VSO, MBO met mbo_telt_lesuren): een les tot 60 minuten weegt 60 "
    "eenheidsminuten, een langere les zijn minuten; klokuren (PO, SO, MBO): minuten. Drempel 960.",
    "F4": "Plicht: leerplicht, kwalificatieplicht, rmc of geen, uit geboortedatum en "
    "startkwalificatie. Op dagen zonder plicht telt niets.",
    "F5": "Een venster zijn de eerste 28 kalenderdagen vanaf een datum die niet in een vakantie "
    "liggen: vakanties rekken het venster op, weekends niet.",
    "F6": "Een afwezige dag: getelde afwezigheid en geen aanwezigheid (en, met hele_dag_minuten, "
    "genoeg minuten).",
    "F7": "Een reeks: afwezige dagen zonder andere schooldag ertussen; weekends en vakanties "
    "breken haar niet.",
    "F8": "Een melding moet binnen 5 werkdagen nadat de plicht ontstond bij DUO zijn.",
    "R-16U": "16 uur ongeoorloofd verzuim in een venster van 4 weken: V3 (onder 18) of V4 "
    "(18+, met melden_18plus); daarna telt de school opnieuw vanaf de volgende dag.",
    "R-HERHAAL": "Loopt het verzuim na de 16-uurmelding door, dan volgen wekelijkse "
    "herhaalmeldingen tot dag T van de reeks.",
    "R-LRV": "Langdurig relatief verzuim: een reeks die dag T haalt (28 dagen, vakanties niet "
    "meegeteld) bij leerplicht of kwalificatieplicht; open zolang de leerling weg is.",
    "R-RMC": "Als R-LRV, voor een leerling van 18 tot 23 zonder startkwalificatie.",
    "R-EINDE": "Een bekende open LRV- of RMC-melding krijgt haar einddatum zodra de reeks voorbij "
    "is.",
    "R-LUXE": "Ongeoorloofd verzuim met categorie LUXE op opeenvolgende schooldagen: één "
    "L-melding, ongeacht het aantal uren.",
    "R-SIGNAAL": "te_laat_signaal keer ongeoorloofd te laat in een venster: een O-melding.",
    "V01": "De leerling heeft een BSN of onderwijsnummer dat de elfproef doorstaat.",
    "V02": "Een 16-uurmelding heeft een einddatum.",
    "V03": "Begindatum niet na einddatum, en geen van beide na de peildatum.",
    "V04": "Ondernomen acties ingevuld, hoogstens 3000 tekens.",
    "V05": "Vermoedelijke reden ingevuld, hoogstens 200 tekens.",
    "V06": "Toelichting hoogstens 3000 tekens; geen stuurtekens.",
    "V07": "Naam en geldig e-mailadres van de melder.",
    "V08": "Een LRV-melding alleen na minstens 28 dagen doorlopend verzuim.",
    "V09": "Geen overlap met een actieve melding van dezelfde soort voor dezelfde leerling.",
    "V10": "De soort past bij de plicht van de leerling op de relevante datum.",
    "V11": "Geen actie gewenst vraagt een toelichting.",
    "V12": "Intrekken vraagt een reden en een melding die niet is afgesloten of ingetrokken.",
    "V13": "De BRIN is geldig en hoort bij de school.",
    "W-TE-LAAT": "De uiterste meldingsdatum (F8) ligt voor de peildatum: meld zo snel mogelijk.",
    "W-ONBEKEND": "Afwezigheid zonder vastgelegd geoorloofd/ongeoorloofd telt als ongeoorloofd; "
    "leg de reden vast in het SIS.",
    "W-PEILDATUM": "Registraties na de peildatum zijn genegeerd.",
    "W-REDENCODE": "Onbekende redencode: de registratie telt zonder categorie.",
    "W-TEKENSET": "Het bestand was geen UTF-8 en is als Windows-1252 gelezen.",
    "W-IDENTITEIT": "De identiteit in de registraties wijkt af van het leerlingenbestand; het "
    "leerlingenbestand geldt.",
    "W-ONVOLLEDIG": "Het aantal items in de export klopt niet met het opgegeven totaal: er kan een "
    "pagina ontbreken.",
    "I-KOP": "De kopregel mist een verplichte kolom.",
    "I-VELDEN": "Verkeerd aantal velden op de regel.",
    "I-TEKENSET": "Tekens die niet geldig zijn in de tekenset van het bestand.",
    "I-TEKEN": "Een NUL-teken in het bestand.",
    "I-VERPLICHT": "Een verplichte waarde ontbreekt.",
    "I-FORMAAT": "Een datum, tijd, status, J/N of lesuur heeft een onjuist formaat.",
    "I-DUBBEL": "Een leerlingnummer staat twee keer in het leerlingenbestand (de eerste geldt).",
    "I-LEERLING": "Registraties van een leerling die niet in het leerlingenbestand staat: zonder "
    "geboortedatum geen plicht (F4).",
    "I-TOEKOMST": "Een datum na vandaag.",
    "I-JSON": "Het bestand is geen JSON.",
    "I-VORM": "JSON met een andere vorm dan verwacht.",
    "I-LEEG": "Een leeg bestand, of alleen een kopregel.",
}


def rule_text(rule_id: str) -> str:
    """The explanation of ``rule_id``; unknown ids point to DOMAIN.md."""
    return RULES.get(rule_id, "Zie DOMAIN.md en de README voor deze regel.")
