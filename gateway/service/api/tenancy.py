"""Tenant isolation: a key reports only for its own BRINs (V13).

A well-formed BRIN that is not the key's is refused with 403 (the same answer whether or not the
gateway serves that school); a malformed BRIN, or one of the key's BRINs that this gateway has no
school file for, is a broken rule V13 (422).
"""

from __future__ import annotations

from gateway.model import SchoolConfig
from gateway.numbers import is_brin
from gateway.rules.validation import Violation, check_brin
from gateway.service.api.context import ApiContext
from gateway.service.api.problems import ProblemError, violations_json
from gateway.store.api_keys import ApiKey


def forbid_foreign_brin(key: ApiKey, brin: str) -> None:
    """403 for a well-formed BRIN that is not one of the key's."""
    if is_brin(brin) and brin not in key.brins:
        violation = Violation("V13", "brin", "deze BRIN hoort niet bij uw API-sleutel")
        raise ProblemError(
            403,
            "deze API-sleutel mag niet melden voor deze BRIN",
            fouten=violations_json([violation]),
        )


def school_for(
    context: ApiContext, key: ApiKey, brin: str, vestiging: str | None
) -> tuple[SchoolConfig | None, list[Violation]]:
    """The school the request is for, or the V13 violations that say why there is none."""
    forbid_foreign_brin(key, brin)
    school = context.schools.get(brin)
    served = [item for item in key.brins if item in context.schools]
    shown_vestiging = vestiging if vestiging is not None else (school.vestiging if school else "00")
    violations = check_brin(brin, shown_vestiging, served)
    if violations:
        if is_brin(brin) and brin in key.brins and school is None:
            violations = [Violation("V13", "brin", "deze gateway heeft geen school met deze BRIN")]
        return None, violations
    assert school is not None
    if vestiging is not None and vestiging != school.vestiging:
        return None, [
            Violation("V13", "vestiging", f"de school meldt als vestiging {school.vestiging}")
        ]
    return school, []
