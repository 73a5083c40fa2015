"""Which policy an account starts under: its segment's, or a band's for a large first invoice (seed 000: large debts
go to strict collection sooner)."""

from decimal import Decimal
from pathlib import Path

import pytest

from domain.policy import DEFAULT_POLICY_DIR
from domain.policy_book import PolicyBook
from edge.ingest import Line, policy_for, validate
from tests.factories import overdue, overdue_line

BOOK = PolicyBook()


def test_the_standard_segments_large_debts_start_under_the_accelerated_policy() -> None:
    assert [BOOK.for_invoice("standard", "CNY", Decimal(a)).name for a in ("12000", "499999.99", "500000", "9e9")] == [
        "standard", "standard", "accelerated", "accelerated"
    ]  # fmt: skip
    assert BOOK.for_invoice("standard", "USD", Decimal(70000)).name == "accelerated"
    assert BOOK.for_invoice("standard", "JPY", Decimal(10**9)).name == "standard"  # no band in yen
    assert BOOK.for_invoice("vip", "CNY", Decimal(10**9)).name == "gentle"  # no band for the segment


def test_the_highest_band_reached_wins_and_two_claims_of_one_band_are_refused(tmp_path: Path) -> None:
    for name in ("standard", "accelerated", "gentle"):
        (tmp_path / f"{name}.toml").write_text((DEFAULT_POLICY_DIR / f"{name}.toml").read_text(encoding="utf-8"))
    gentle = (tmp_path / "gentle.toml").read_text()

    def with_band(segment: str, amount: str) -> str:
        band = f'bands = [{{ segment = "{segment}", currency = "CNY", from_amount = "{amount}" }}]'
        return gentle.replace('segments = ["important", "vip"]', f'segments = ["important", "vip"]\n{band}')

    higher = with_band("standard", "2000000")
    (tmp_path / "gentle.toml").write_text(higher)
    book = PolicyBook(tmp_path)
    assert [book.for_invoice("standard", "CNY", Decimal(a)).name for a in ("600000", "2000000")] == [
        "accelerated", "gentle"
    ]  # fmt: skip
    (tmp_path / "gentle.toml").write_text(with_band("standard", "500000"))
    with pytest.raises(ValueError, match=r"two policies .* claim segment 'standard' from 500000 CNY"):
        PolicyBook(tmp_path)
    (tmp_path / "gentle.toml").write_text(with_band("nobody", "1"))
    with pytest.raises(ValueError, match=r"bands name segment\(s\) no policy serves below them: nobody"):
        PolicyBook(tmp_path)


def test_ingest_starts_a_large_standard_debt_under_the_accelerated_policy() -> None:
    large, small = overdue(amount="800000.00"), overdue(amount="12000.00")
    assert (policy_for(BOOK, large).name, policy_for(BOOK, small).name) == ("accelerated", "standard")
    line = Line(1, overdue_line(amount="800000.00", segment="unknown"))
    validate(line, BOOK)
    assert line.result is not None and "unknown segment 'unknown'" in line.result
