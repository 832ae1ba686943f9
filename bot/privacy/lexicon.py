"""Word lists shipped in ``bot/privacy/data``, word folding, and the regex pieces detectors share.

``lexicon.txt`` holds given names, surnames, common English words and place names; ``names.txt``
frequent names of 105 countries (from names-dataset); ``streets.txt`` street types of two dozen
languages (from libpostal, read by :mod:`bot.privacy.streets`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from importlib import resources
from typing import Final


def _words(text: str) -> frozenset[str]:
    """The whitespace-separated words of a literal, as a set."""
    return frozenset(text.split())


def _fold(word: str) -> str:
    """Casefold and strip accents."""
    if word.isascii():
        return word.casefold()
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _load_lexicon(name: str, *, folded: bool = True) -> dict[str, frozenset[str]]:
    """Read the ``[section]`` word sets of a file shipped in ``bot/privacy/data``."""
    sections: dict[str, set[str]] = {}
    current: set[str] | None = None
    text = resources.files("bot.privacy").joinpath(f"data/{name}").read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], set())
            continue
        if current is not None:
            current.add(line)
            if folded:
                current.add(_fold(line))
    return {name: frozenset(words) for name, words in sections.items()}


_Trie = dict[str, "_Trie"]


def _alternation(words: Iterable[str]) -> str:
    """A regex group matching any of ``words``, factored as a trie so a long list stays fast."""
    trie: _Trie = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: _Trie) -> str:
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if "" in node:
            return (body if len(alts) > 1 else f"(?:{body})") + "?"
        return body

    return "(?:" + build(trie) + ")"


_LEXICON: Final = _load_lexicon("lexicon.txt")
_COMMON: Final = _LEXICON["common"]
# names-dataset's frequent names (bot/privacy/data/names.txt) widen the lexicon's, but only for
# capitalised words: its lists also hold words that are no names in English text ("bots",
# "than"), so neither a common word nor a word in lower case is taken for a name on its word.
_NAMES: Final = _load_lexicon("names.txt")
_FIRST_LOWER: Final = _LEXICON["first"]
_LAST_LOWER: Final = _LEXICON["last"]
_FIRST: Final = _FIRST_LOWER | (_NAMES["first"] - _COMMON)
_LAST: Final = _LAST_LOWER | (_NAMES["last"] - _COMMON)
_PLACES: Final = _LEXICON["place"]

# Brands and products: a capitalised word after one is a product name ("Fitbit Versa").
_BRANDS: Final[frozenset[str]] = _words(
    """
    apple samsung google amazon microsoft sony dell lenovo canon nikon fitbit bose philips
    nintendo xbox playstation iphone ipad ipod macbook imac kindle galaxy pixel surface thinkpad
    gopro garmin jabra roku alexa siri echo nest ring slack zendesk intercom freshdesk gmail
    outlook hotmail yahoo chrome firefox safari windows android linux ios macos visa mastercard
    amex paypal stripe shopify tesla ford toyota honda netflix spotify hulu disney uber lyft
    whatsapp telegram signal zoom teams skype facebook instagram twitter tiktok youtube linkedin
    reddit github jira excel word powerpoint onedrive dropbox icloud airpods bluetooth wifi
    usb hdmi asus acer hp lg motorola nokia huawei xiaomi oneplus oppo vivo realme dyson adobe
    autodesk oracle sap cisco intel amd nvidia logitech razer sonos kodak polaroid peloton mac
    """
)
# Words that are never taken for person names on their own.
_NOT_NAMES: Final[frozenset[str]] = _BRANDS | _words(
    """
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun
    edit delete update submit cancel remove back next done login logout sign reply forward
    english french german spanish italian dutch portuguese chinese japanese korean russian
    polish swedish danish norwegian finnish greek turkish arabic hindi hebrew irish scottish
    welsh british american canadian australian indian mexican brazilian european african asian
    thai vietnamese filipino indonesian malay swiss austrian belgian czech hungarian romanian
    ukrainian persian pakistani nigerian kenyan egyptian israeli argentinian chilean peruvian
    colombian latin catalan basque flemish
    christmas easter halloween thanksgiving god lord jesus allah
    customer agent support team admin manager sir madam mister miss mrs ms mr dr
    i me my mine you your yours we our us he his him she her they them their it its this that
    these those there here all everyone everybody guys folks again can will may did do does
    shall should could would might must is are was were am be been have has had and or but nor
    the a an if so then thanks thank please hi hello hey dear yes no ok okay add click press
    tap select open close save go see read play start stop check call ask let get set try use
    make new note order product account service iban bic swift ssn pin sms otp
    """
)

_HONORIFICS: Final[frozenset[str]] = _words(
    "mr mrs ms miss mx dr prof sir madam dame lady lord mme mlle herr frau sr sra srta dott dhr "
    "mevr mw sig sigra dona"
)

# Uppercase letters (Latin, Greek, Cyrillic) as a regex character class.
_UPPER_CHARS = "".join(c for c in map(chr, range(0x41, 0x530)) if c.isupper() and c.isalpha())
_UP: Final[str] = "[" + "".join(re.escape(c) for c in _UPPER_CHARS) + "]"
_L: Final[str] = r"[^\W\d_]"  # any letter
