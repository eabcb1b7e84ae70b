"""The simulator plays the municipality (DOMAIN.md 3.2): a registered melding (R) goes to
``B`` (in behandeling), then to ``G`` (afgesloten, with a closing reason) or ``K`` (ter
kennisgeving aangenomen).

The plan of each melding is fixed when it is registered and stored with it, so it survives a
restart: the delays are the configured ones stretched by a factor between 0.5 and 1.5, and the
outcome (G or K, and the reason) is drawn from a ``random.Random`` seeded with the simulator's
seed and the melding number, so the same seed gives the same plan whatever the request order.
"""

from __future__ import annotations

import random

from gateway.messages import RedenAfsluiting
from gateway.model import DuoStatus
from gateway.simulator.store import Schedule

AFGESLOTEN_SHARE = 0.75
"""Share of meldingen the municipality closes with a reason (G); the rest becomes K."""
_REDENEN = tuple(RedenAfsluiting)


def plan(
    seed: int | None,
    nummer: str,
    registered: int,
    behandeling_after: float | None,
    afsluiting_after: float | None,
) -> Schedule:
    """The municipality's plan for melding ``nummer`` registered at ``registered`` (microseconds);
    a delay of ``None`` means that step never happens by itself."""
    rng = random.Random(f"{seed}/{nummer}")
    stretch_b, stretch_g = 0.5 + rng.random(), 0.5 + rng.random()
    closed = rng.random() < AFGESLOTEN_SHARE
    reden = rng.choice(_REDENEN)
    behandeling_op = (
        None if behandeling_after is None else registered + _micros(behandeling_after * stretch_b)
    )
    afsluiting_op = (
        None
        if behandeling_op is None or afsluiting_after is None
        else behandeling_op + _micros(afsluiting_after * stretch_g)
    )
    return Schedule(
        behandeling_op=behandeling_op,
        afsluiting_op=afsluiting_op,
        afsluiting_status=DuoStatus.AFGESLOTEN if closed else DuoStatus.TER_KENNISGEVING,
        afsluiting_reden=reden.value if closed else None,
    )


def _micros(seconds: float) -> int:
    return max(0, round(seconds * 1_000_000))
