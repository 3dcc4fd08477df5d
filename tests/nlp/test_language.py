"""Language identification for the conversation's language."""
from __future__ import annotations

import pytest

from bot.nlp.language import detect


@pytest.mark.parametrize(("text", "lang"), [
    ("How do I get a personal identity number?", "en"),
    ("Hur lång tid tar det att få ett personnummer?", "sv"),
    ("¿Cómo abro una cuenta bancaria en Suecia?", "es"),
    ("Wie lange dauert die Anmeldung beim Skatteverket?", "de"),
    ("Comment obtenir une carte d'identité suédoise ?", "fr"),
    ("Como faço para registrar minha família na Suécia?", "pt"),
    ("Jak mogę otworzyć konto w banku bez personnummer?", "pl"),
    ("İsveç'te çalışma izni nasıl alınır?", "tr"),
    ("Как получить шведский персональный номер?", "ru"),
    ("Як отримати шведську ID-картку?", "uk"),
    ("मुझे स्वीडन में बैंक खाता कैसे खोलना चाहिए?", "hi"),
    ("我怎么申请瑞典的身份证？", "zh"),
    ("كيف أفتح حساباً مصرفياً في السويد؟", "ar"),
    ("چطور می‌توانم در سوئد حساب بانکی باز کنم؟", "fa"),
])
def test_each_language_is_recognised(text: str, lang: str) -> None:
    assert detect(text, None) == lang


def test_a_short_message_keeps_the_conversation_language() -> None:
    assert detect("ok", "sv") == "sv"
    assert detect("BankID?", "de") == "de"


@pytest.mark.parametrize(("text", "lang"), [
    ("Hej hej!", "sv"), ("tchau", "pt"), ("Спасибо большое!", "ru"), ("bahut bahut dhanyavaad", "hi"),
    ("SFI class join karne ka process kya hai?", "hi"),
])
def test_short_phrases_and_romanised_hindi_open_a_conversation_in_the_right_language(text: str, lang: str) -> None:
    assert detect(text, None) == lang
