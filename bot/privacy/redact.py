"""Masking personal data in free text before it is logged, analysed or shown beyond the conversation.

Candidates are found with patterns and confirmed with the number's own check (Luhn for personnummer
and samordningsnummer, mod-97 for IBAN, libphonenumber for phones), so ordinary numbers such as fees,
dates or case counts are left alone.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import phonenumbers
from stdnum import iban, luhn

KINDS = ("personnummer", "email", "iban", "bank_account", "passport", "phone")

# Not after a digit (a longer number) but after a letter is fine: "anna@ex.se811228-9874" must not leak.
_PERSONNUMMER = re.compile(r"(?<!\d)(\d{2})?(\d{2})(\d{2})(\d{2})\s?([-+])?\s?(\d{4})(?![\d\w])")
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,3})?\b", re.IGNORECASE)
# Swedish clearing number (4 digits, Swedbank 5 starting with 8) then the account: 7 to 10 digits.
_DATE = re.compile(r"(?:19|20)\d{2}-[01]\d-[0-3]\d")
_BANK_ACCOUNT = re.compile(r"(?<![\d\w])([1-9]\d{3}(?:-\d)?|8\d{4})[\s,-]\s?(\d(?:[\s-]?\d){6,9})(?![\d\w])")
_PASSPORT_WORD = re.compile(
    r"pass(?:port|nummer|nr|ie)?|паспорт\w*|паспорт|جواز|گذرنامه|پاسپورت|护照|護照|pasaporte|passaporte|"
    r"pasaport|paszport\w*|reisepass\w*|पासपोर्ट", re.IGNORECASE)
# Up to three letters, then 6 to 12 digits (a space allowed, as in Russian "4509 123456").
_PASSPORT = re.compile(r"(?<![\w])[A-Z]{0,3}\d[\d ]{4,10}\d(?![\w])", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int


def _valid_date(century: str | None, yy: str, mm: str, dd: str) -> bool:
    day = int(dd)
    if day > 60:  # samordningsnummer: the day of birth plus 60
        day -= 60
    year = int(century + yy) if century else 2000 + int(yy)
    try:
        dt.date(year if century else 2000, int(mm), day)  # 2000 is a leap year: 29 Feb passes for YY
    except ValueError:
        return False
    return True


def _personnummer(text: str) -> list[Finding]:
    found = []
    for m in _PERSONNUMMER.finditer(text):
        century, yy, mm, dd, _sep, tail = m.groups()
        if century and century not in ("18", "19", "20"):
            continue
        if _valid_date(century, yy, mm, dd) and luhn.is_valid(yy + mm + dd + tail):
            found.append(Finding("personnummer", m.start(), m.end()))
    return found


def _ibans(text: str) -> list[Finding]:
    found = []
    for m in _IBAN.finditer(text):
        candidate = m.group()
        # The pattern may run on into the next short word ("… 7466 and"): drop trailing groups until valid.
        while candidate and not iban.is_valid(candidate):
            head, _, _tail = candidate.rpartition(" ")
            candidate = head if head else ""
        if len(candidate.replace(" ", "")) >= 15:
            found.append(Finding("iban", m.start(), m.start() + len(candidate)))
    return found


def _bank_accounts(text: str) -> list[Finding]:
    found = []
    for m in _BANK_ACCOUNT.finditer(text):
        clearing = int(m.group(1)[:4])
        if 1100 <= clearing <= 9969 and not _DATE.search(m.group()):
            found.append(Finding("bank_account", m.start(), m.end()))
    return found


def _passports(text: str) -> list[Finding]:
    if not _PASSPORT_WORD.search(text):
        return []
    return [Finding("passport", m.start(), m.end()) for m in _PASSPORT.finditer(text)]


def _phones(text: str) -> list[Finding]:
    found = []
    for match in phonenumbers.PhoneNumberMatcher(text, "SE", leniency=phonenumbers.Leniency.VALID):
        found.append(Finding("phone", match.start, match.end))
    return found


# Arabic-Indic, Persian, Devanagari, Bengali and full-width digits count as the digits they are; each is
# one character, so positions in the text stay the same.
_DIGITS = {ord(c): str(i) for block in ("٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹", "०१२३४५६७८९", "০১২৩৪৫৬৭৮৯", "０１２３４５６７８９")
           for i, c in enumerate(block)}


def _candidates(text: str) -> list[Finding]:
    # In KINDS order: earlier kinds are the more certain.
    return (_personnummer(text) + [Finding("email", m.start(), m.end()) for m in _EMAIL.finditer(text)]
            + _ibans(text) + _bank_accounts(text) + _passports(text) + _phones(text))


def find(text: str) -> list[Finding]:
    """Personal data in `text`, as non-overlapping spans; stronger evidence wins an overlap, and the text
    left between the chosen spans is searched again, so a phone right after a personnummer is found too."""
    text = text.translate(_DIGITS)
    chosen: list[Finding] = []
    gaps = [(0, len(text))]
    for _round in range(4):
        new: list[Finding] = []
        for start, end in gaps:
            for f in _candidates(text[start:end]):
                finding = Finding(f.kind, f.start + start, f.end + start)
                if all(finding.end <= c.start or finding.start >= c.end for c in chosen + new):
                    new.append(finding)
        if not new:
            break
        chosen += new
        chosen.sort(key=lambda f: f.start)
        edges = [0] + [x for f in chosen for x in (f.start, f.end)] + [len(text)]
        gaps = [(edges[i], edges[i + 1]) for i in range(0, len(edges), 2) if edges[i + 1] - edges[i] > 5]
    return chosen


def redact(text: str) -> str:
    """`text` with each piece of personal data replaced by its kind, e.g. `[personnummer]`."""
    out, last = [], 0
    for finding in find(text):
        out.append(text[last:finding.start])
        out.append(f"[{finding.kind}]")
        last = finding.end
    out.append(text[last:])
    return "".join(out)


def contains_personal_data(text: str) -> bool:
    return bool(find(text))
