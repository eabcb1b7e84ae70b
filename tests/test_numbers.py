"""The identity checks (V01) agree with python-stdnum on nine-digit numbers."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from stdnum.nl import bsn as stdnum_bsn
from stdnum.nl import onderwijsnummer as stdnum_onderwijsnummer

from gateway.numbers import identity_problem, is_brin, is_bsn, is_onderwijsnummer

nine_digits = st.from_regex(r"\A[0-9]{9}\Z")
onderwijsnummer_like = st.from_regex(r"\A10[0-9]{7}\Z")


@given(nine_digits)
def test_bsn_check_agrees_with_stdnum(value: str) -> None:
    assert is_bsn(value) == bool(stdnum_bsn.is_valid(value))


@given(st.one_of(nine_digits, onderwijsnummer_like))
def test_onderwijsnummer_check_agrees_with_stdnum(value: str) -> None:
    assert is_onderwijsnummer(value) == bool(stdnum_onderwijsnummer.is_valid(value))


def test_only_exactly_nine_digits() -> None:
    assert is_bsn("111222333")
    for value in ("11122233", "1112223330", "111-222-333", " 111222333", "000000000", "١١١٢٢٢٣٣٣"):
        assert not is_bsn(value), value


def test_identity_problem_never_quotes_the_number() -> None:
    problem = identity_problem("123456789", "")
    assert problem is not None and "123456789" not in problem
    assert identity_problem("", "101222331") is None


def test_brin_form() -> None:
    assert is_brin("99XX") and is_brin("01AB") and is_brin("1234")
    assert not is_brin("99xx") and not is_brin("9XXX") and not is_brin("99XX00")
