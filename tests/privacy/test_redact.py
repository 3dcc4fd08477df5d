"""Masking personal data: real identifiers are hidden, ordinary numbers are left alone."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn

from bot.privacy import find, redact


@pytest.mark.parametrize("text, kind", [
    ("Mitt personnummer är 811228-9874", "personnummer"),
    ("pnr 198112289874 tack", "personnummer"),
    ("19811228-9874", "personnummer"),
    ("född 811228+9874 alltså över hundra", "personnummer"),
    ("samordningsnummer 701063-2391", "personnummer"),
    ("write to anna.svensson@example.com please", "email"),
    ("IBAN SE45 5000 0000 0583 9825 7466", "iban"),
    ("DE89370400440532013000 is my German account", "iban"),
    ("clearing och konto 8327-9 123 456 789-0", "bank_account"),
    ("kontonummer 6000 123456789", "bank_account"),
    ("my passport number is AB1234567", "passport"),
    ("номер паспорта 4509123456", "passport"),
    ("ring mig på 070-123 45 67", "phone"),
    ("call +46 8 508 000 00", "phone"),
])
def test_personal_data_is_masked_by_kind(text: str, kind: str) -> None:
    masked = redact(text)
    assert f"[{kind}]" in masked, masked
    assert not any(ch.isdigit() for ch in masked.split(f"[{kind}]")[0][-3:])


@pytest.mark.parametrize("text", [
    "The fee is 1500 kronor and it takes 2-4 weeks",
    "Jag kom 2024-05-01 med 3 barn",
    "Ärendenummer 2024-123456",
    "811228-9875 has a wrong check digit",
    "Salary threshold 27 360 SEK per month as of 2025",
    "Bus 4 to Odenplan, then 10 minutes",
    "I have passport questions for my 2 kids",
])
def test_ordinary_numbers_and_words_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_several_findings_in_one_message_are_all_masked() -> None:
    masked = redact("Jag heter Eva, pnr 811228-9874, mejl eva@example.se, tel 0701234567")
    assert "811228-9874" not in masked and "eva@example.se" not in masked and "0701234567" not in masked


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_redaction_never_fails_and_never_grows_personal_data(text: str) -> None:
    masked = redact(text)
    assert isinstance(masked, str)
    assert find(masked) == [] or all(f.kind == "phone" for f in find(masked))


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31)), st.integers(0, 999),
       st.booleans(), st.sampled_from(["-", "+", ""]), st.booleans())
def test_every_valid_personnummer_is_masked_and_a_wrong_check_digit_is_not(
        born: dt.date, serial: int, coordination: bool, separator: str, long_form: bool) -> None:
    day = born.day + (60 if coordination else 0)
    body = f"{born:%y%m}{day:02d}{serial:03d}"
    check = luhn.calc_check_digit(body)
    wrong = str((int(check) + 1) % 10)
    prefix = f"{born:%Y}"[:2] if long_form else ""
    valid = f"{prefix}{body[:6]}{separator}{body[6:]}{check}"
    invalid = f"{prefix}{body[:6]}{separator}{body[6:]}{wrong}"
    assert redact(f"nr {valid} ok") == "nr [personnummer] ok"
    assert "[personnummer]" not in redact(f"nr {invalid} ok")
