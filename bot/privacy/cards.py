"""CARD and IBAN: Luhn-checked card numbers, mod-97-checked IBANs, domestic bank details."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from stdnum import iban as _stdnum_iban
from stdnum import luhn as _stdnum_luhn

_CARD_RE: Final = re.compile(r"(?<![\w-])\d(?:[ -]?\d){11,18}(?![\w-])")
_CARD_CTX_RE: Final = re.compile(
    r"(?i)\b(?:card|cc|visa|mastercard|amex|maestro|debit|credit|jcb|discover|block|payment|paid|"
    r"charged)\b[^\n]{0,30}$"
)


def _card_spans(text: str) -> Iterable[tuple[int, int]]:
    """12-19 digit numbers (spaces or dashes allowed) that pass Luhn and look like a card.

    13-19 digits must start like a card (2-6, or JCB's 1800/2131); 12 digits (Maestro) need a
    card word shortly before.
    """
    for m in _CARD_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if not _stdnum_luhn.is_valid(digits):
            continue
        if len(digits) == 12:
            ok = _CARD_CTX_RE.search(text, max(0, m.start() - 40), m.start()) is not None
        else:
            ok = digits[0] in "23456" or digits.startswith(("1800", "2131"))
        if ok:
            yield m.start(), m.end()


_IBAN_RE: Final = re.compile(r"(?i)(?<![a-z0-9])[a-z]{2}\d{2}(?:[ -]?[a-z0-9]){10,32}")
_IBAN_CTX_RE: Final = re.compile(r"(?i)\biban\b")


def _iban_spans(text: str) -> Iterable[tuple[int, int]]:
    """IBANs, compact or grouped, validated with mod-97 and the country's BBAN format."""
    for m in _IBAN_RE.finditer(text):
        cand = m.group(0)
        # Candidate ends: every alphanumeric position that ends a token, longest first.
        ends = [
            i + 1
            for i in range(len(cand) - 1, 13, -1)
            if cand[i].isalnum() and (i + 1 == len(cand) or not cand[i + 1].isalnum())
        ]
        # A grouped IBAN may end mid-candidate when the next word is glued by a space.
        ends += [
            i
            for i in range(len(cand) - 1, 13, -1)
            if cand[i] in " -" and i not in ends and cand[i - 1].isalnum()
        ]
        ends.sort(reverse=True)
        context = _IBAN_CTX_RE.search(text, max(0, m.start() - 40), m.start()) is not None
        for end in ends:
            compact = re.sub(r"[ -]", "", cand[:end]).upper()
            if _stdnum_iban.is_valid(compact):
                yield m.start(), m.start() + end
                break
        else:
            if context:
                # Said to be an IBAN: redact the IBAN-shaped part even if the checksum fails.
                tail = re.match(r"[A-Za-z]{2}\d{2}(?:[ -]?[A-Za-z0-9]{1,4})+", cand)
                if tail and 15 <= len(re.sub(r"[ -]", "", tail.group(0))) <= 34:
                    yield m.start(), m.start() + tail.end()


# Domestic bank details: said to be a bank account, sort code or routing number.
_BANK_RE: Final = re.compile(
    r"(?i)\b(?:bank\s+account(?:\s+(?:number|no\.?|num|#))?|sort\s*code|"
    r"routing\s+(?:number|no\.?|#)|aba\s+(?:number|routing\s+number)|bsb(?:\s+number)?)"
    r"[\s:#]*(?:(?:is|was|=)\s+)?(?P<num>\d[\d -]{4,30}\d)(?!\d)"
)
# "account number 12345678" when a bank cue (bank, sort code, routing, BSB) is in the sentence.
_BANK_ACCOUNT_RE: Final = re.compile(
    r"(?i)\b(?:bank|sort\s*code|routing|bsb)\b[^.\n]{0,60}?\b(?:account|acct)\.?"
    r"(?:\s+(?:number|no\.?|num|#))?[\s:#]*(?:(?:is|was|=)\s+)?(?P<num>\d[\d -]{4,20}\d)(?!\d)"
)


def _bank_spans(text: str) -> Iterable[tuple[int, int]]:
    """Domestic bank details said to be such: account numbers, sort codes, routing numbers."""
    for rx in (_BANK_RE, _BANK_ACCOUNT_RE):
        for m in rx.finditer(text):
            yield m.start("num"), m.end("num")
