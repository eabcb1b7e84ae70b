"""What a request says, apart from when and under which document id it was made.

Two requests built from the same melding at different moments differ only in their
``IdentificatiecodeBedrijfsdocument`` and ``DatumTijdBedrijfsdocument``. ``content_fingerprint``
hashes the canonical form (C14N) of the document with those two left empty, so the outbox can
tell "the same request again" from "a corrected request" (DESIGN.md 4: a business rejection is
final and never retried; a corrected request under the same natural key is queued).
"""

from __future__ import annotations

import hashlib

from gateway.xml import canonical, parse_bytes

VOLATILE = ("IdentificatiecodeBedrijfsdocument", "DatumTijdBedrijfsdocument")


def content_fingerprint(document: bytes) -> str:
    """SHA-256 (hex) of ``document``'s C14N form with the volatile header fields emptied."""
    root = parse_bytes(document)
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.rsplit("}", 1)[-1] in VOLATILE:
            element.text = ""
    return hashlib.sha256(canonical(root)).hexdigest()
