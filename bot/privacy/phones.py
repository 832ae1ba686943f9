"""PHONE: phone numbers in phone-shaped text, judged by context and ``phonenumbers`` metadata.

Phones: candidates are phone-shaped strings (digit groups with spaces, dots, dashes or parentheses,
an optional ``+``/``00`` prefix, an extension). A candidate is a phone when a phone word is near
(call, phone, tel, mobile, fax, reach, "my number" ... before it; office, fax, mobile ... after
it), when it is international and *possible* for ``phonenumbers``, when it is formatted and
possible in one of ``_POSSIBLE_REGIONS``, or, for an unformatted run of 10+ digits, when
``PhoneNumberMatcher`` at ``Leniency.VALID`` over ``PHONE_REGIONS`` finds a valid number in it.
Candidates that look like dates, times, versions, IP addresses, prices or quantities, or that
follow an order/ticket/invoice/tracking word or ``#``, are kept. ``python -m bench.redaction``
compares this with the matcher alone at each leniency: POSSIBLE eats ordinary numbers, VALID and
stricter miss many real-world (or made-up) numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher

from bot.privacy.addresses import _starts_address

#: Regions whose numbering plans ``PhoneNumberMatcher`` is run with.
PHONE_REGIONS: Final[tuple[str, ...]] = ("US", "GB", "DE", "FR", "IN", "AU", "CA")
# Regions a phone-shaped candidate may be *possible* in (the fallback path).
_POSSIBLE_REGIONS: Final[tuple[str, ...]] = (*PHONE_REGIONS, "NL", "ES", "IT", "BR", "IE", "NZ")


_PHONE_CAND_RE: Final = re.compile(
    r"(?<![\w@#$€£¥%/+.:-])(?<!\d,)"
    r"(?P<num>(?:\+|\b00)?[ ]?(?:\(\d{1,5}\)[ .-]?)?\d{1,15}(?:[ ]?\(0\)[ ]?\d{1,12})?"
    r"(?:(?:[ .\-\u00a0]|[ ]?-[ ]?)\(?\d{1,12}\)?){0,6})"
    r"(?P<ext>[ ]?(?:x|ext\.?|extension|#)[ ]?\d{1,6})?"
    r"(?![\w%°]|[.,]\d)"
)
_TEL_URI_RE: Final = re.compile(r"(?i)\b(?:tel|sms|callto):(?P<num>\+?[\d\-.()]{5,24}\d)")
_PHONE_CTX_BEFORE_RE: Final = re.compile(
    r"(?i)(?:\b(?:call|called|calling|phone|ph|tel|telephone|mobile|mob|cell|cellphone|fax|"
    r"landline|whatsapp|sms|text|texted|reach|dial|ring|hotline|answering|direct|"
    r"(?:my|your|his|her|our|their|contact|new|best|callback|home|work|office)[ \t]+number)\b|"
    r"\btel\.|☎|📞)[^\n\d]{0,24}$"
)
_PHONE_CTX_AFTER_RE: Final = re.compile(
    r"(?i)^\W{0,3}(?:\(?\b(?:office|fax|mobile|mob|cell|home|work|tel|phone|landline|direct)\b)"
)
_PHONE_NEG_BEFORE_RE: Final = re.compile(
    r"(?i)(?:\b(?:order|orders|ticket|tickets|case|invoice|inv|ref|reference|tracking|"
    r"confirmation|transaction|txn|receipt|sku|model|serial|s/n|part|item|booking|reservation|"
    r"policy|claim|account|acct|customer|member|membership|id|pin|code|otp|version|v|build|"
    r"release|room|flight|batch|lot|imei|iccid|isbn|upc|ean|asin|zip|postcode|postal|"
    r"ssn|social|security|passport|license|licence|sin|cvv|cvc|iban)\b(?:\s*(?:number|no\.?|num|#|id|is|:))*"
    r"|#|\bno\.)[\s:#]*$"
)
_DATE_LIKE_RE: Final = re.compile(
    r"^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})|"
    r"(?:19|20)\d\d\s?[-–]\s?(?:19|20)?\d\d|\d{1,3}(?:\.\d{1,3}){3}|\d{1,2}\.\d{1,2}\.\d{1,2}|"
    r"\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+)$"
)
_MONEY_AFTER_RE: Final = re.compile(
    r"(?i)^\s?(?:usd|eur|gbp|inr|aud|cad|dollars?|euros?|pounds?|rupees?|cents?|€|£|\$|%|"
    r"kg|g|mg|lbs?|km|mi|miles|m|cm|mm|gb|mb|tb|kb|mah|hz|mhz|ghz|w|kw|v|items?|units?|pcs|"
    r"pieces|times|days?|hours?|hrs?|minutes?|mins?|seconds?|secs?|years?|months?|weeks?|pm|am)\b"
)


def _region_possible(number: str) -> bool:
    """Whether a phone-shaped string is a possible number in one of ``_POSSIBLE_REGIONS``."""
    for region in _POSSIBLE_REGIONS:
        try:
            if phonenumbers.is_possible_number(phonenumbers.parse(number, region)):
                return True
        except phonenumbers.NumberParseException:
            continue
    return False


def _phone_excluded(text: str, start: int, end: int, *, context: bool = False) -> bool:
    """An order/ticket number, date, time, version, IP address, price or quantity."""
    core = text[start:end].strip()
    if _DATE_LIKE_RE.match(core) and not context:
        return True
    glued = text[start - 1 : start]
    if glued and (glued.isalnum() or glued in "-#/$€£¥_."):
        return True  # part of "INV-1692367", "#4512", "SN/123456"
    line_start = text.rfind("\n", 0, start) + 1
    before = text[max(line_start, start - 30) : start]
    neg = _PHONE_NEG_BEFORE_RE.search(before)
    if neg is not None:
        pos = _PHONE_CTX_BEFORE_RE.search(before)
        # The nearer word wins: "call about order 123" is an order, "order: call 555 1234" a phone.
        if pos is None or pos.start() < neg.start():
            return True
    return _MONEY_AFTER_RE.match(text[end : end + 12]) is not None


def _phone_context(text: str, start: int, end: int) -> bool:
    """A phone word shortly before or right after the number."""
    line_start = text.rfind("\n", 0, start) + 1
    before = text[max(line_start, start - 40) : start]
    if _PHONE_CTX_BEFORE_RE.search(before):
        return True
    return _PHONE_CTX_AFTER_RE.match(text[end : end + 16]) is not None


def _matcher_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Numbers ``PhoneNumberMatcher`` finds, at ``Leniency.VALID``, in ``text[start:end]``."""
    window = text[start:end]
    found: list[tuple[int, int]] = []
    for region in PHONE_REGIONS:
        for match in PhoneNumberMatcher(window, region, leniency=Leniency.VALID):
            found.append((start + match.start, start + match.end))
        if found:
            break
    return found


def _phone_spans(text: str) -> Iterable[tuple[int, int]]:
    """Phone numbers in phone-shaped candidates (digit groups, ``+``/``00``, extensions).

    A candidate is a phone when a phone word is near, when it is international and possible, when
    it is formatted (separators, parentheses) and possible in one of ``_POSSIBLE_REGIONS``, or
    else when ``PhoneNumberMatcher`` (``Leniency.VALID``, ``PHONE_REGIONS``) finds a valid
    number in it (unformatted digit runs: "2813882583").
    """
    if sum(map(str.isdigit, text)) < 6:
        return
    for m in _TEL_URI_RE.finditer(text):
        yield m.start("num"), m.end("num")
    for m in _PHONE_CAND_RE.finditer(text):
        raw = m.group("num")
        while raw.endswith(")") and raw.count(")") > raw.count("("):
            raw = raw[:-1]  # "(call +1 415 555 0134)": the closing parenthesis isn't the number's
        start = m.start("num") + len(raw) - len(raw.lstrip())
        num_end = m.start("num") + len(raw)
        end = m.end() if m.group("ext") else num_end
        num = raw.strip()
        digits = re.sub(r"\D", "", num)
        n = len(digits)
        if n < 6 or n > 15:
            continue
        context = _phone_context(text, start, end)
        if _phone_excluded(text, start, num_end, context=context):
            continue
        if _starts_address(text, start):
            continue
        intl = num.startswith(("+", "00"))
        formatted = re.search(r"[ .\-()\u00a0]", num) is not None
        if context:
            yield start, end
        elif intl:
            if n >= 8 and _region_possible("+" + digits.removeprefix("00")):
                yield start, end
        elif (
            formatted
            and n >= 7
            and max(len(g) for g in re.findall(r"\d+", num)) >= 3
            and _region_possible(num)
        ):
            yield start, end
        elif n >= 10:
            yield from _matcher_spans(text, start, end)
