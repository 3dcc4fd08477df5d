"""Hypothesis on the parsers of outside input: knowledge articles, redaction of free text, Telegram updates.

Each parser either gives its result or refuses with its own one-sentence error; nothing else escapes.
(The webhook's own property test, tests/channels/telegram/test_webhook.py, posts garbled updates through
HTTP; here `parse_update` is called directly, so a few hundred examples cost a second or two.)
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from stdnum import luhn
from telegram import Bot, Update

from bot.channels.telegram.parse import BadUpdate, parse_update
from bot.knowledge.articles import Article, ArticleError, load_topics, parse_article
from bot.privacy import find, redact

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"
TOPICS = load_topics(KNOWLEDGE / "topics.yml")
ARTICLES = {f"knowledge/{p.parent.name}/en.md": p.read_text(encoding="utf-8")
            for p in sorted(KNOWLEDGE.glob("*/en.md"))}
FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

# test -> outcome -> number of examples, printed at the end of the module.
OUTCOMES: dict[str, Counter[str]] = {}


def _count(test: str, outcome: str) -> None:
    OUTCOMES.setdefault(test, Counter())[outcome] += 1


@pytest.fixture(scope="module", autouse=True)
def _report(pytestconfig: pytest.Config) -> Iterator[None]:
    yield
    lines = [f"  {sum(c.values()):5d}  {test}  {dict(sorted(c.items()))}" for test, c in OUTCOMES.items()]
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        print(f"\nhypothesis examples run: {sum(sum(c.values()) for c in OUTCOMES.values())}\n" + "\n".join(lines))


# Knowledge articles -----------------------------------------------------------------------------------

# Values an editor's typo, a bad merge or an encoding accident could leave in a field.
_NASTY_VALUES = [
    "", "~", "null", "[]", "{}", "[a, b]", "{title: x, url: y}", "- x", "yes", "1.5", "-1", "0x1F", ".nan",
    "2026-02-30", "2026-13-01", "0000-01-01", "2026-1-1", "2026-01-01 25:00:00", "2026-01-01T10:00:00+99:00",
    "2026-01-01T10:00:00Z", "9999-12-31", "27/11/2026", "'2026-01-01'", "2026-W01-1",
    "https://[::1", "https://[::1]:99999/x", "https://ex\uff03ample.se/", "https:///x", "https://a b", "http://a.se",
    "javascript:alert(1)", "https://", "//bostad.stockholm.se", "https://bostad.stockholm.se/\x00",
    "sv", "xx", "EN", "housing", "../../etc/passwd", "!!binary aGVq", "!!python/object/apply:os.system [ls]",
    "&a x", "*a", "*undefined", "|", ">-", "'unterminated", '"\\x"', "\t", "@x", "%YAML 1.1", "`x`", "? x",
    "[" * 3000, "{" * 3000, "- " * 400,
]
_FIELD_LINE = re.compile(r"^( *-? *)([A-Za-z_]+):( ?)(.*)$")


@st.composite
def _mutated_articles(draw: st.DrawFn) -> tuple[str, str]:
    """A real article (path, text) with one to three changes, most of them in the front matter."""
    path = draw(st.sampled_from(sorted(ARTICLES)))
    lines = ARTICLES[path].split("\n")
    end = lines.index("---", 1)  # the line closing the front matter
    for _ in range(draw(st.integers(1, 3))):
        end = min(end, len(lines) - 1)
        where = draw(st.integers(0, max(0, end)))
        kind = draw(st.sampled_from(["value", "value", "value", "drop", "duplicate", "dedent", "indent", "insert",
                                     "garble", "truncate", "swap", "body", "bom"]))
        if kind == "value" and (m := _FIELD_LINE.match(lines[where])):
            value = draw(st.sampled_from(_NASTY_VALUES) | st.text(max_size=20))
            lines[where] = f"{m.group(1)}{m.group(2)}:{m.group(3)}{value}"
        elif kind == "drop" and len(lines) > 1:
            del lines[where]
            end -= 1
        elif kind == "duplicate":
            lines.insert(where, lines[where])
        elif kind == "dedent":
            lines[where] = lines[where].lstrip()
        elif kind == "indent":
            lines[where] = " " * draw(st.integers(1, 5)) + lines[where]
        elif kind == "insert":
            lines.insert(where, draw(st.sampled_from(_NASTY_VALUES) | st.text(max_size=30)))
        elif kind == "garble":
            line = lines[where]
            at = draw(st.integers(0, len(line)))
            cut = draw(st.integers(0, 5))
            lines[where] = line[:at] + draw(st.text(max_size=5)) + line[at + cut:]
        elif kind == "swap" and where + 1 < len(lines):
            lines[where], lines[where + 1] = lines[where + 1], lines[where]
        elif kind == "body":
            lines[end + 1:] = [draw(st.sampled_from(["", " ", "\n\n", "---", "Text."]))]
        elif kind == "bom":
            lines[0] = "\ufeff" + lines[0]
    text = "\n".join(lines)
    if draw(st.integers(0, 9)) == 0:
        text = text[:draw(st.integers(0, len(text)))]
    return path, text


def _parse(test: str, text: str, path: str, topics: dict | None) -> Article | None:
    """The article, or None for an ArticleError that names the file; any other exception fails the test."""
    try:
        article = parse_article(text, path, topics)
    except ArticleError as exc:
        assert exc.path == path and str(exc).startswith(f"{path}: "), exc
        assert exc.field is None or f"field '{exc.field}'" in str(exc), exc
        _count(test, f"ArticleError({exc.field or '-'})" if exc.field in (None, "body", "topic", "lang") else
               "ArticleError(other field)")
        return None
    assert isinstance(article, Article)
    _count(test, "Article")
    return article


@settings(FAST, max_examples=400)
@given(article=_mutated_articles(), with_topics=st.booleans())
# Found by this test: impossible YAML dates and timestamps, malformed source URLs, deep nesting.
@example(article=("knowledge/housing/en.md", "---\ntopic: housing\nreviewed: 2026-02-30\n---\nx"), with_topics=True)
@example(article=("knowledge/housing/en.md", "---\nx: 2026-01-01T10:00:00+99:00\n---\nx"), with_topics=False)
@example(article=("knowledge/housing/en.md", "---\nx: " + "[" * 3000 + "\n---\nx"), with_topics=False)
@example(article=("knowledge/housing/en.md", ARTICLES["knowledge/housing/en.md"].replace(
    "url: https://", "url: https://[::1", 1)), with_topics=True)
def test_a_damaged_article_parses_or_names_the_file_and_field(article: tuple[str, str], with_topics: bool) -> None:
    path, text = article
    parsed = _parse("articles: mutated real articles", text, path, TOPICS if with_topics else None)
    if parsed is not None:
        assert parsed.topic == Path(path).parent.name and parsed.lang == "en"
        assert parsed.review_by >= parsed.reviewed
        assert all(s.url.startswith("https://") for s in parsed.sources)


_yamlish = st.lists(st.sampled_from(["topic", "lang", "title", "sources", "reviewed", "review_by", ":", " ", "\n",
                                     "-", "  - ", "url", "https://x.se", "2026-01-01", "en", "[", "]", "{", "}",
                                     "'", '"', "#", "---", "&a", "*a", "!!", "|"]) | st.text(max_size=5),
                    max_size=40).map("".join)


@settings(FAST, max_examples=300)
@given(front=_yamlish | st.text(), body=st.text(max_size=40), bom=st.booleans(),
       path=st.sampled_from(["knowledge/housing/en.md", "x.md", "knowledge/x/sv.txt", ""]))
def test_random_text_parses_or_names_the_file(front: str, body: str, bom: bool, path: str) -> None:
    _parse("articles: random front matter", ("\ufeff" if bom else "") + f"---\n{front}\n---\n{body}", path, TOPICS)


@settings(FAST, max_examples=200)
@given(text=st.text())
def test_any_text_parses_or_names_the_file(text: str) -> None:
    _parse("articles: any text", text, "knowledge/housing/en.md", None)


# Redaction --------------------------------------------------------------------------------------------
# tests/privacy/test_redact.py checks each kind and that random text never fails; these complement it.

@st.composite
def _valid_personnummer(draw: st.DrawFn) -> str:
    """A Luhn-valid personnummer or samordningsnummer, in one of the ways people write it."""
    date = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31)))
    day = date.day + (60 if draw(st.booleans()) else 0)
    body = f"{date:%y%m}{day:02d}{draw(st.integers(0, 999)):03d}"
    digits = body + luhn.calc_check_digit(body)
    century = f"{date:%Y}"[:2] if draw(st.booleans()) else ""
    return f"{century}{digits[:6]}{draw(st.sampled_from(['-', '+', '', ' ', ' - ']))}{digits[6:]}"


_digits_heavy = st.text(alphabet=st.sampled_from("0123456789 -+/.,:()"), max_size=40)
_any_text = st.text(st.characters(codec="utf-8"), max_size=60)
# Between two pieces of personal data: at least one word (see the xfail cases below for what happens without).
_between = st.sampled_from([" sedan ", ", också ", "; därför ", "\nefter det ", ". Tack, sedan ", " (och sedan) "])
_other = st.sampled_from(["anna.svensson@example.com", "+46 70 123 45 67", "070-123 45 67", "08-508 000 00",
                          "8327-9 123 456 789-0", "6000 123456789", "DE89370400440532013000", "1500 kr",
                          "2024-05-01", "27 360 SEK", "Ärendenummer 2024-123456"])


@settings(FAST, max_examples=300)
@given(text=st.one_of(_digits_heavy, _any_text, st.lists(_digits_heavy | _any_text | _valid_personnummer(),
                                                         max_size=6).map("".join)))
def test_redaction_never_fails_on_digit_heavy_and_any_unicode_text(text: str) -> None:
    masked = redact(text)
    assert isinstance(masked, str)
    _count("redact: digit-heavy/unicode never fails", "changed" if masked != text else "unchanged")


@settings(FAST, max_examples=300)
@given(pieces=st.lists(st.tuples(_valid_personnummer() | _other | _digits_heavy.filter(str.strip), _between),
                       min_size=1, max_size=6),
       person=_valid_personnummer(), where=st.integers(0, 6))
def test_a_personnummer_among_other_data_is_always_masked(pieces: list[tuple[str, str]], person: str,
                                                          where: int) -> None:
    pieces.insert(min(where, len(pieces)), (person, " och "))
    text = "Hej! " + "".join(a + b for a, b in pieces)
    masked = redact(text)
    assert person not in masked, (text, masked)
    assert not [f for f in find(masked) if f.kind == "personnummer"], (text, masked)
    _count("redact: personnummer among other data", "masked")


@settings(FAST, max_examples=300)
@given(pieces=st.lists(st.tuples(_valid_personnummer() | _other | st.text(st.characters(categories=["L"]),
                                                                           min_size=1, max_size=12)
                                 | st.integers(0, 10**12).map(str), _between), max_size=8))
def test_redaction_is_idempotent_when_personal_data_are_separated_by_words(pieces: list[tuple[str, str]]) -> None:
    text = "".join(a + b for a, b in pieces)
    once = redact(text)
    assert redact(once) == once, (text, once)
    _count("redact: idempotent (word-separated)", "changed once" if once != text else "unchanged")


@settings(FAST, max_examples=300)
@given(text=st.text(st.characters(exclude_categories=["Nd", "Cs"], exclude_characters="@"), max_size=200)
       | st.sampled_from(["Jag har passport och pass, паспорт, گذرنامه", "IBAN SE kontonummer", "telefon: +46 (ett)"]))
def test_text_without_digits_or_at_sign_is_unchanged(text: str) -> None:
    assert redact(text) == text
    _count("redact: no digits, no @ -> unchanged", "unchanged")


# What the properties above found and bot/privacy does not handle yet: the masked text still shows personal
# data, or an ordinary date is masked. strict: when one is fixed, its case passes and the marker goes.

@pytest.mark.parametrize(("text", "leaked"), [
    # The IBAN pattern takes the next short word as the IBAN's end; the IBAN is then not valid and not masked.
    ("My IBAN is SE45 5000 0000 0583 9825 7466 and my name is Eva", "9825 7466"),
    # A phone or bank account right after a personnummer: the longer candidate overlaps it and is dropped,
    # and the phone or account inside it is never tried.
    ("Mitt personnummer är 811228-9874 070-123 45 67", "070-123 45 67"),
    ("811228-9874 8327-9 123 456 789-0", "123 456 789-0"),
    ("pnr 811228-9874 – 08-508 000 00 – 08-508 000 00", "08-508 000 00"),
    # An e-mail address glued to a personnummer: masking the address frees the personnummer.
    ("mejl anna@ex.se811228-9874", "811228-9874"),
    # Persian, Arabic-Indic and Devanagari digits: phones written so are masked, a personnummer is not.
    ("شماره من ۸۱۱۲۲۸-۹۸۷۴", "۸۱۱۲۲۸-۹۸۷۴"),
    ("رقمي ٨١١٢٢٨-٩٨٧٤", "٨١١٢٢٨-٩٨٧٤"),
    ("मेरा नंबर ८११२२८-९८७४", "८११२२८-९८७४"),
])
def test_known_leaks_next_to_other_data(text: str, leaked: str) -> None:
    masked = redact(text)
    assert leaked not in masked and redact(masked) == masked, masked



def test_known_false_positive_two_dates() -> None:
    assert redact("Jag kom 2024-05-01 2024-05-03") == "Jag kom 2024-05-01 2024-05-03"


# Telegram updates -------------------------------------------------------------------------------------

_BOT = Bot("123456:offline-token-for-parsing")
_garbage = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                    max_size=3),
                        max_leaves=8)


def _mostly(valid: st.SearchStrategy) -> st.SearchStrategy:
    """`valid` nine times in ten, garbage otherwise."""
    return st.sampled_from(range(10)).flatmap(lambda n: _garbage if n == 9 else valid)


_realistic_id = st.integers(min_value=1, max_value=2**40)
_id = _mostly(st.one_of(_realistic_id, _realistic_id, _realistic_id, _realistic_id,
                        st.integers(min_value=-(2**63), max_value=2**63 - 1), st.sampled_from([2**63, -(2**63) - 1])))
_user = _mostly(st.fixed_dictionaries({"id": _id, "is_bot": _mostly(st.booleans()),
                                       "first_name": _mostly(st.text(max_size=10))},
                                      optional={"language_code": _mostly(st.sampled_from(["en", "sv", "pt-br"]))}))
_chat = _mostly(st.fixed_dictionaries({"id": _id, "type": _mostly(st.sampled_from(["private", "group", "channel"]))}))
_message = _mostly(st.fixed_dictionaries(
    {"message_id": _id, "date": _mostly(st.integers(1_500_000_000, 1_900_000_000) | st.integers()), "chat": _chat},
    optional={"from": _user, "text": _mostly(st.text(max_size=30)), "entities": _garbage, "photo": _garbage,
              "reply_to_message": _garbage, "caption": _garbage}))
_query = _mostly(st.fixed_dictionaries(
    {"id": _mostly(st.text(min_size=1, max_size=10)), "from": _user, "chat_instance": _mostly(st.text(max_size=5))},
    optional={"data": _mostly(st.text(max_size=70)), "message": _message}))
_update = st.fixed_dictionaries({"update_id": _id}, optional={
    "message": _message, "edited_message": _message, "callback_query": _query, "channel_post": _garbage,
    "my_chat_member": _garbage})
_json = st.sampled_from(range(5)).flatmap(lambda n: _garbage if n == 4 else _update).map(json.dumps)
# Mostly what Telegram sends, with any field garbled now and then; sometimes not JSON at all.
_bodies = st.sampled_from(range(10)).flatmap(lambda n: [
    _json.map(lambda s: s.encode("utf-16")), _json.map(lambda s: s[: len(s) // 2].encode()), st.binary(max_size=60),
][n - 7] if n >= 7 else _json.map(str.encode))


@settings(FAST, max_examples=500)
@given(body=_bodies)
@example(body=b'{"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": 5}}}')
@example(body=b'{"update_id": 1, "callback_query": {"id": "1", "from": {"id": 1, "is_bot": false, '
              b'"first_name": "a"}, "chat_instance": "x", "message": 5}}')
def test_a_telegram_update_parses_or_is_refused_in_one_sentence(body: bytes) -> None:
    try:
        update = parse_update(body, _BOT)
    except BadUpdate as exc:
        assert str(exc).endswith(".") and "\n" not in str(exc), exc
        _count("telegram: parse_update", "BadUpdate: " + str(exc).split(",")[0].split(":")[0][:40])
        return
    assert isinstance(update, Update)
    # What the handlers rely on, as the parser promises.
    for who in (update.effective_chat, update.effective_user):
        if who is not None:
            assert isinstance(who.id, int) and -(2**63) <= who.id < 2**63
    if update.effective_chat is not None:
        assert isinstance(update.effective_chat.type, str)
    if update.message is not None and update.message.text is not None:
        assert isinstance(update.message.text, str)
    if update.callback_query is not None and update.callback_query.data is not None:
        assert isinstance(update.callback_query.data, str)
    _count("telegram: parse_update", "Update")
