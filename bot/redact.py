"""Redaction of private customer information (SPEC §8).

Every text that leaves for a model or lands in the database goes through :func:`redact` first.
Each private span becomes its type in brackets: ``[EMAIL]``, ``[PHONE]``, ``[CARD]``, ``[IBAN]``,
``[ID]``, ``[NAME]``, ``[ADDRESS]``. :func:`find_spans` returns the spans so callers and tests can
look at what would be redacted.

Everything here is offline and deterministic: regular expressions, checksums (Luhn, mod-97, the
national-id checks of ``python-stdnum``), the phone metadata of ``phonenumbers`` and a lexicon of
given names, surnames, common English words and place names shipped in
``bot/redact_data/lexicon.txt``, frequent names of 105 countries (``names.txt``, from
names-dataset) and street types of two dozen languages (``streets.txt``, from libpostal), with
USPS Publication 28's street suffixes and a few Dutch and Indian street words kept in the code.
No span crosses a blank line. The module keeps no mutable state: its tables are built, and the
libraries' lazily loaded metadata (phone regions, IBAN registry) is loaded, at import.

Addresses: a street (house number and type in either order, a glued type, a unit or building
number before it, on one line or two), its inline and following lines (unit, town, region,
postcode, country; a form's next field ends it), PO boxes, UK/CA postcodes, US city-state-ZIP;
a postcode beside its town on its own line, and as the voucher of the street line before it;
and the rest of a phrase after an address cue (``lives at``, ``ship it to``, ``Street:``).

Precedence when detections overlap: EMAIL, IBAN, CARD, ID, PHONE, ADDRESS, NAME. A lower kind
keeps only the parts no higher kind took. Text already redacted (``[EMAIL]`` and the other labels)
is never redacted again and reads like a capitalised word to the name rules, so
``redact(redact(t)) == redact(t)``.

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

Names: honorifics (``Mr. X``), phrases (``my name is``, ``this is``, ``Hi X,``, sign-offs such as
``Thanks,\nX``), a name alone on a line, ``Name <email>``, and words from the name lexicon: a
given name that is not also an English word (``Priya``), one that is (``Mark``) only with a
surname or mid-sentence, a known surname mid-sentence, and names listed with a name. Capitalised
words at the start of a sentence are not names by themselves.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Final, Literal

import phonenumbers
from phonenumbers import Leniency, PhoneMetadata, PhoneNumberMatcher
from stdnum import iban as _stdnum_iban
from stdnum import luhn as _stdnum_luhn
from stdnum.br import cpf as _stdnum_cpf
from stdnum.es import dni as _stdnum_dni
from stdnum.es import nie as _stdnum_nie
from stdnum.fi import hetu as _stdnum_hetu
from stdnum.fr import nir as _stdnum_nir
from stdnum.in_ import aadhaar as _stdnum_aadhaar
from stdnum.in_ import pan as _stdnum_pan
from stdnum.it import codicefiscale as _stdnum_cf
from stdnum.se import personnummer as _stdnum_pnr

__all__ = [
    "KINDS",
    "PHONE_REGIONS",
    "Kind",
    "Span",
    "find_spans",
    "label",
    "redact",
    "redact_spans",
]

Kind = Literal["EMAIL", "PHONE", "CARD", "IBAN", "ID", "NAME", "ADDRESS"]

#: All kinds, highest precedence first.
KINDS: Final[tuple[Kind, ...]] = ("EMAIL", "IBAN", "CARD", "ID", "PHONE", "ADDRESS", "NAME")
_RANK: Final[dict[str, int]] = {k: i for i, k in enumerate(KINDS)}

#: Regions whose numbering plans ``PhoneNumberMatcher`` is run with.
PHONE_REGIONS: Final[tuple[str, ...]] = ("US", "GB", "DE", "FR", "IN", "AU", "CA")
# Regions a phone-shaped candidate may be *possible* in (the fallback path).
_POSSIBLE_REGIONS: Final[tuple[str, ...]] = (*PHONE_REGIONS, "NL", "ES", "IT", "BR", "IE", "NZ")


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A private span of text: ``text[start:end]`` is replaced by ``[kind]``."""

    start: int
    end: int
    kind: Kind


def _words(text: str) -> frozenset[str]:
    """The whitespace-separated words of a literal, as a set."""
    return frozenset(text.split())


def label(kind: Kind) -> str:
    """Return the replacement text for a kind, e.g. ``[EMAIL]``."""
    return f"[{kind}]"


# --------------------------------------------------------------------------------------------
# Lexicon and character classes
# --------------------------------------------------------------------------------------------


def _fold(word: str) -> str:
    """Casefold and strip accents."""
    if word.isascii():
        return word.casefold()
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _load_lexicon(name: str, *, folded: bool = True) -> dict[str, frozenset[str]]:
    """Read the ``[section]`` word sets of a file shipped in ``bot/redact_data``."""
    sections: dict[str, set[str]] = {}
    current: set[str] | None = None
    text = resources.files("bot").joinpath(f"redact_data/{name}").read_text(encoding="utf-8")
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
# names-dataset's frequent names (bot/redact_data/names.txt) widen the lexicon's, but only for
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

# Existing labels are protected: never re-redacted, never part of a new span.
_LABEL_RE: Final = re.compile(r"\[(?:EMAIL|PHONE|CARD|IBAN|ID|NAME|ADDRESS)\]")
# A blank line (only whitespace between two newlines) ends a paragraph or a transcript turn: no
# span crosses one.
_BLANK_LINE_RE: Final = re.compile(r"\n[^\S\n]*\n")
# Whitespace holding at most one newline (a wrapped line, not a blank line).
_ONE_LINE_GAP: Final = r"(?:[^\S\n]+\n?[^\S\n]*|\n[^\S\n]*)"

# --------------------------------------------------------------------------------------------
# EMAIL
# --------------------------------------------------------------------------------------------

_EMAIL_RE: Final = re.compile(r"(?<![\w.+-])[\w.+-]*\w@(?:[\w-]+\.)+[^\W\d_]{2,}(?![\w-])")
_DOT = r"(?:[ \t]*\.[ \t]*|[ \t]+dot[ \t]+|[ \t]*[\[({<][ \t]*dot[ \t]*[\])}>][ \t]*)"
_AT = r"(?:[ \t]*[\[({<][ \t]*at[ \t]*[\])}>][ \t]*|[ \t]*\(@\)[ \t]*|[ \t]+at[ \t]+)"
_TLDS = (
    r"(?:com|net|org|edu|gov|io|co|uk|de|fr|nl|es|it|ca|au|in|us|info|biz|me|eu|be|ch|at|se|no|"
    r"dk|fi|ie|nz|pl|pt|br|mx|jp|cn|ru|app|dev|ai)"
)
_OBF_EMAIL_RE: Final = re.compile(
    rf"(?i)(?<![\w.])(?P<local>[\w+-]+(?:{_DOT}[\w+-]+)*){_AT}[\w-]+(?:{_DOT}[\w-]+)*{_DOT}{_TLDS}\b"
)
_OBF_STOP: Final[frozenset[str]] = _words(
    "me us him her them you it is are was be look looked arrive arrived stay here there online"
    " site store page available found posted listed"
)


def _email_spans(text: str) -> Iterable[tuple[int, int]]:
    """Plain e-mail addresses and spelled-out ones (``jane at example dot com``)."""
    for m in _EMAIL_RE.finditer(text):
        yield m.start(), m.end()
    low = text.lower()
    if " dot " in low or "(@)" in low or re.search(r"[\[({<]\s*(?:at|dot)\s*[\])}>]", low):
        for m in _OBF_EMAIL_RE.finditer(text):
            s = m.group(0).lower()
            marked = re.search(r"[\[({<]\s*(?:at|dot)\s*[\])}>]|\(@\)", s) is not None
            # "john at example dot com" needs a spoken "dot" and a local part that isn't an
            # ordinary word, as in "looked at example.com".
            if not marked and (" dot " not in s or m.group("local").lower() in _OBF_STOP):
                continue
            yield m.start(), m.end()


# --------------------------------------------------------------------------------------------
# CARD, IBAN
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# ID (national identifiers)
# --------------------------------------------------------------------------------------------

_SSN_RE: Final = re.compile(r"(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])")
_SSN_CTX_RE: Final = re.compile(
    r"(?i)\b(?:ssn|ss#|ss\s+(?:number|no)|social\s+security(?:\s+(?:number|no\.?|#|num))?|"
    r"soc\.?\s*sec\.?(?:\s+(?:number|no\.?|#))?|itin|tin|ein)\b[^\d\n]{0,25}?"
    r"(?P<num>(?<!\d)\d{3}[ .-]?\d{2}[ .-]?\d{4}(?!\d))"
)
_NINO_RE: Final = re.compile(
    r"(?i)(?<![\w])(?!bg|gb|kn|nk|nt|tn|zz)[a-ceghj-pr-tw-z][a-ceghj-npr-tw-z]"
    r"\s?\d{2}\s?\d{2}\s?\d{2}\s?[a-d](?!\w)"
)
_ID_CTX_RE: Final = re.compile(
    r"(?i)\b(?:passport|driver'?s?\s+licen[cs]e|driving\s+licen[cs]e|licen[cs]e\s+(?:number|no\b)|"
    r"national\s+(?:id|identity|identification|insurance)|id\s+card|identity\s+(?:card|number|document)|"
    r"tax\s+(?:id|identification|file|number|code)|social\s+insurance|sin|ni\s+number|nino|dni|nie|nif|"
    r"aadhaa?r|pan\s+(?:card|number|no)|bsn|personnummer|cpf|curp|steuer-?id|codice\s+fiscale|"
    r"medicare\s+(?:number|card)|nhs\s+(?:number|no)|health\s+(?:card|insurance)\s+(?:number|no))\b"
    r"(?:[\s:#.=-]|\b(?:number|no|num|is|was|card|id)\b)*"
    r"(?P<num>(?=[A-Za-z0-9-]*\d)[A-Za-z0-9](?:[A-Za-z0-9-]|\s(?=\d)){3,22}[A-Za-z0-9])(?![\w])"
)
# Formats that are distinctive enough with a checksum (python-stdnum).
_STDNUM_RE: Final = re.compile(
    r"(?<![\w-])(?:"
    r"(?P<cf>[A-Za-z]{6}\d{2}[A-Za-z]\d{2}[A-Za-z]\d{3}[A-Za-z])|"
    r"(?P<dni>\d{8}-?[A-Z])|"
    r"(?P<nie>[XYZ]-?\d{7}-?[A-Z])|"
    r"(?P<cpf>\d{3}\.\d{3}\.\d{3}-\d{2})|"
    r"(?P<pan>[A-Z]{3}[ABCFGHLJPT][A-Z]\d{4}[A-Z])|"
    r"(?P<aadhaar>[2-9]\d{3}[ -]\d{4}[ -]\d{4})|"
    r"(?P<nir>[12][ ]?\d{2}[ ]?(?:0[1-9]|1[0-2]|[2-9]\d)[ ]?(?:\d{2}|2[AB])[ ]?\d{3}[ ]?\d{3}[ ]?\d{2})|"
    r"(?P<pnr>(?:19|20)?\d{6}[-+]\d{4})|"
    r"(?P<hetu>\d{6}[-+A]\d{3}[0-9A-Y])"
    r")(?![\w-])"
)
_STDNUM_CHECKS: Final = {
    "cf": _stdnum_cf.is_valid,
    "dni": _stdnum_dni.is_valid,
    "nie": _stdnum_nie.is_valid,
    "cpf": _stdnum_cpf.is_valid,
    "pan": _stdnum_pan.is_valid,
    "aadhaar": _stdnum_aadhaar.is_valid,
    "nir": _stdnum_nir.is_valid,
    "pnr": _stdnum_pnr.is_valid,
    "hetu": _stdnum_hetu.is_valid,
}


def _id_spans(text: str) -> Iterable[tuple[int, int]]:
    """SSNs, UK NI numbers, numbers said to be ids, and checksummed national ids."""
    for m in _SSN_RE.finditer(text):
        yield m.start(), m.end()
    for m in _SSN_CTX_RE.finditer(text):
        yield m.start("num"), m.end("num")
    for m in _NINO_RE.finditer(text):
        yield m.start(), m.end()
    for m in _ID_CTX_RE.finditer(text):
        yield m.start("num"), m.end("num")
    for m in _STDNUM_RE.finditer(text):
        kind = m.lastgroup
        if kind is not None and _STDNUM_CHECKS[kind](m.group(0)):
            yield m.start(), m.end()


# --------------------------------------------------------------------------------------------
# PHONE
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# ADDRESS
# --------------------------------------------------------------------------------------------

_NUM = r"\d{1,5}[A-Za-z]?(?:[-/]\d{1,4}[A-Za-z]?)?"
_CAPWORD = rf"(?:{_UP}[\w'’.\-]*|\d{{1,4}}(?:st|nd|rd|th))"
_ANYWORD = rf"{_L}[\w'’.\-]*"
# Street types: a short list kept by hand, and libpostal's dictionaries (bot/redact_data/
# streets.txt). A type that is also a common English word ("Edge", "View") is weak: the address
# needs more around it (see _WEAK_SUFFIXES).
_STREETS: Final = _load_lexicon("streets.txt", folded=False)
# The primary street suffix names of USPS Publication 28 (Postal Addressing Standards), Appendix
# C1, that the lists above lack; most are English words too, so they are weak (see below).
_USPS_SUFFIXES: Final[frozenset[str]] = _words(
    """
    annex arcade bayou beach bend bluff bluffs bottom branch bridge brook brooks burg burgs bypass
    camp canyon cape center centers circles cliff cliffs club common commons corner corners course
    courts cove coves creek crest crossroad crossroads curve dale dam divide drives estate estates
    extension extensions fall falls ferry field fields flat flats ford fords forest forge forges
    fork forks fort garden gateway glen glens greens groves harbor harbors haven hills hollow inlet
    island islands isle junctions key keys knoll knolls lake lakes land light lights loaf lock locks
    lodge mall manor manors meadow meadows mill mills mission motorway mount mountain mountains
    neck orchard oval overpass parks parkways pass passage pine pines plain plains points port ports
    prairie radial ramp ranch rapid rapids rest ridges river roads route run shoal shoals shore
    shores skyway spring springs spur spurs squares station stravenue stream streets summit
    throughway trace track trafficway trailer tunnel underpass union unions valley valleys viaduct
    view views village villages vista walks wall ways well wells
    """
)
_KEPT_SUFFIXES: Final[frozenset[str]] = _words(
    """
    street st road rd avenue ave av lane ln drive dr boulevard blvd way court ct place pl square sq
    terrace ter close crescent cres parkway pkwy highway hwy circle cir trail trl row mews gardens
    gdns grove hill walk alley plaza path pike loop causeway expressway freeway turnpike crossing
    heights point ridge landing junction green park wharf quay parade esplanade embankment rise
    vale wynd brae str strasse straße straat gasse weg laan plein gracht kade vej gade veien vegen
    vei gata gatan vägen tie katu kuja utca út útja tér platz allee ring damm ufer gate plads
    stræde torv
    """
) | frozenset(w.rstrip(".") for w in _STREETS["after"] if len(w.rstrip(".")) >= 3)
# Words that end street and neighbourhood names in India: nagar and colony (libpostal's Hindi
# qualifiers), and ganj, chowk, gali and vihar (kept by hand). Written apart ("Lall Nagar"),
# never glued: "Muzaffarnagar" is a town.
_INDIAN_SUFFIXES: Final[frozenset[str]] = _words("nagar colony ganj chowk gali vihar")
_SUFFIX_WORDS: Final[frozenset[str]] = _KEPT_SUFFIXES | _USPS_SUFFIXES | _INDIAN_SUFFIXES
_MORPHEME_WORDS: Final[frozenset[str]] = _words(
    """
    straat strasse straße str. gasse weg laan plein gracht kade dijk singel vej gade veien vegen
    vei gata gatan vägen väg tie katu kuja polku utca út útja tér ulica cesta platz allee ring damm
    ufer steig pfad gränd torget bakken stræde plads torv gatvė iela tee gate väylä raitti rinne
    veg vegur stig backe allé aleja dreef steeg pad
    """
) | frozenset(w for w in _STREETS["concatenated"] if w not in _LEXICON["common"])
_PREFIX_WORDS: Final[frozenset[str]] = _words(
    """
    rua r. via viale rue avenida avda avda. av. calle c/ carrer ul. ulica piazza piazzale plaza
    praça praca largo travessa estrada chemin allée allee quai boulevard bd bd. strada corso camino
    paseo ctra ctra. carretera ronda avenue place rambla vicolo contrada impasse alameda rodovia
    calçada cesta λεωφ. οδός οδος ulitsa prospekt vulica
    """
) | frozenset(w for w in _STREETS["before"] if w.rstrip(".") not in _LEXICON["common"])
_SUFFIX: Final[str] = _alternation(_SUFFIX_WORDS)
# Full street-type words that are no English word: enough, capitalised after a name, without a
# house number ("Hawkins Stravenue", "Jaydaboulevard" is a glued one).
_STRONG_SUFFIXES: Final[frozenset[str]] = frozenset(
    w
    for w in _SUFFIX_WORDS
    if len(w) >= 5
    and "." not in w
    and not any(w in _LEXICON[k] for k in ("common", "place", "first", "last"))
) - _words(
    "obere oberer oberes untere unterer unteres grosse grosser grosses große großes großser "
    "lange heiligen riviera meander thicket rosebowl broadway"
)
# Street types glued to the name end one-word street names too ("Jaydaboulevard 28").
_GLUED_WORDS: Final[frozenset[str]] = _MORPHEME_WORDS | frozenset(
    w
    for w in _SUFFIX_WORDS - _INDIAN_SUFFIXES
    if len(w) >= 4
    and "." not in w
    and not any(w in _LEXICON[k] for k in ("common", "place", "first", "last"))
)
_MORPHEME: Final[str] = _alternation(_GLUED_WORDS)
_PREFIX: Final[str] = _alternation(_PREFIX_WORDS)

# 1. House number, capitalised street name, street suffix: "3314 Harley Brook Lane", "320 St Marys Rd".
#    A comma or a line break may follow the number ("07/331, Oommen Road", "970\nChauhan
#    Circle"), and a unit or building number may lead ("Flat 3, 12 Harley Road", "H.No. 27\nBobal
#    Path", "Studio 1\nCartwright Drives": then the street needs no number of its own).
_UNIT_WORDS = r"(?:flat|apt|apartment|unit|suite|ste|studio|level|h\.?[ \t]?no|house[ \t]+no)"
_NUM_GAP = r"(?:,?[ \t]+|,?[ \t]*\n[ \t]*)"
_ADDR_NUM_FIRST_RE: Final = re.compile(
    rf"(?<![\w.,/-])(?:(?i:{_UNIT_WORDS})\.?[ \t]*#?[ \t]*{_NUM}{_NUM_GAP}(?:{_NUM}{_NUM_GAP}){{0,2}}|"
    rf"(?:{_NUM}{_NUM_GAP}){{1,2}})(?:(?:[NSEW]\.?|North|South|East|West)[ \t]+)?"
    rf"(?P<words>(?:{_CAPWORD}[ \t]+){{1,4}})(?P<suffix>(?i:{_SUFFIX}))\b\.?"
)
_WEAK_SUFFIXES: Final[frozenset[str]] = _words(
    "park green point hill way landing heights junction crossing ridge rise vale walk row loop "
    "path ring gate plaza place square circle court close grove gardens mews terrace parade "
    "pike trail quay wharf alley"
) | frozenset(
    w
    for w in _SUFFIX_WORDS
    if w in _LEXICON["common"] and w not in _words("street road avenue lane drive boulevard")
)
_ADDR_TAIL_RE: Final = re.compile(
    r"(?i)[ \t]*(?:,|\n|$|\.[ \t]*$|(?:apt|apartment|suite|ste|unit|flat|#)\b|[ \t]+\d{4,5}\b)"
)
# 1b. The same in lower case: "23 8 wressle road" (needs a word that isn't common English).
_ADDR_NUM_FIRST_LOWER_RE: Final = re.compile(
    rf"(?<![\w.,/-])(?:{_NUM}[ \t]+){{1,2}}(?P<words>(?:{_ANYWORD}[ \t]+){{1,4}})"
    rf"(?:street|road|avenue|lane|drive|boulevard|rd|st|ave|blvd|ln|way|close|crescent|terrace|court|"
    rf"place|parkway|highway|square)\b\.?"
)
# 2. Street type first: "Rua das Pedras 930", "7 rue Charles Corbeau", "ul. Podleśna 17".
# A comma may stand between the number and the street: "12, rue de la Paix", "Via Roma, 12".
_ADDR_PREFIX_RE: Final = re.compile(
    rf"(?i)(?<![\w.])(?P<pre>(?:{_NUM},?[ \t]+){{0,2}})(?P<type>{_PREFIX})(?:(?<=\.)|(?<=/)|[ \t]+)"
    rf"(?P<words>{_ANYWORD}(?:[ \t-]+{_ANYWORD}){{0,5}})(?P<post>,?[ \t]+{_NUM}\b\.?)?(?![\w])"
)
_ADDR_PREFIX_NUM_RE: Final = re.compile(
    rf"(?i)(?<![\w.])(?P<pre>(?:{_NUM},?[ \t]+){{0,2}})(?P<type>{_PREFIX})(?:(?<=\.)|(?<=/)|[ \t]+)"
    rf"(?P<words>{_ANYWORD}(?:[ \t-]+{_ANYWORD}){{0,5}}?)(?P<post>,?[ \t]+{_NUM}\b\.?)(?![\w])"
)
# 3. Street word ending in a street morpheme, then a house number: "Herfststraat 167",
#    "Albert-Schweitzer-Straße 5" (hyphenated names end in a full type word).
_ADDR_MORPH_RE: Final = re.compile(
    rf"(?i)(?<![\w.])(?:{_NUM}[ \t]+){{0,2}}(?:{_ANYWORD}[ \t]+){{0,3}}"
    rf"(?:{_L}+[-'’])*{_L}*{_MORPHEME}[ \t]+{_NUM}\b\.?"
)
# 4. Capitalised street name + full suffix word, no number: "Vizirov Street", "Abbey Road".
_ADDR_NAMED_RE: Final = re.compile(
    rf"(?<![\w])(?:{_UP}[\w'’\-]+[ \t]+){{1,3}}(?:Street|Road|Avenue|Lane|Boulevard|Strasse|Straße|"
    rf"Terrace|Crescent|Gardens|Mews|(?i:{_alternation(_STRONG_SUFFIXES)}))\b"
)
# 5. Secondary units, PO boxes, military addresses, UK/CA postcodes, US city-state-zip.
_ADDR_UNIT_RE: Final = re.compile(
    r"(?i)(?<![\w])(?:apt|apartment|flat)\.?[ \t]*#?[ \t]*\d{1,5}[a-z]?\b"
)
_ADDR_WEAK_UNIT_RE: Final = re.compile(
    r"(?i)(?<![\w])(?:suite|ste|unit|room|rm|floor|fl|bldg|building|block|dept)\.?[ \t]*#?[ \t]*"
    r"\d{1,5}[a-z]?\b"
)
_ADDR_BOX_RE: Final = re.compile(
    r"(?i)(?<![\w])(?:(?:(?:psc|unit|cmr)[ \t]+\d{3,5},?[ \t]+)?(?:p\.?[ \t]?o\.?[ \t]*box|"
    r"post[ \t]+office[ \t]+box|postfach|apartado|caixa[ \t]+postal)|(?:psc|unit|cmr)[ \t]+\d{3,5},?[ \t]+box)"
    r"[ \t]*#?[ \t]*\d{1,6}\b"
)
_ADDR_MIL_RE: Final = re.compile(
    r"(?:\b(?:USNS|USNV|USS|USCGC)[ \t]+[\w'’-]+(?:[ \t]*\n[ \t]*|,?[ \t]+))?\b[ADF]PO[ \t]+A[AEP][ \t]+\d{5}\b",
    re.IGNORECASE,
)
_ADDR_POSTCODE_RE: Final = re.compile(
    r"(?<![\w])(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2}|"
    r"[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d)(?![\w])"
)
_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|"
    "NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR|AA|AE|AP|"
    "AB|BC|MB|NB|NL|NS|NT|NU|ON|PE|QC|SK|YT"
)
_ADDR_CSZ_RE: Final = re.compile(
    rf"(?<![\w])(?:{_UP}[\w'’.\-]+[ \t]+){{0,3}}{_UP}[\w'’.\-]+,[ \t]*(?:{_STATES})\.?[ \t]+"
    rf"\d{{5}}(?:-\d{{4}})?(?![\w-])"
)
_ADDR_ZIP_CTX_RE: Final = re.compile(
    r"(?i)\b(?:zip[ \t]*code|zipcode|zip|postcode|postal[ \t]+code|post[ \t]+code|plz|cep)"
    r"(?:[ \t]*(?:is|was|:|=|-|#))*[ \t]*(?P<code>\d{5}-?\d{3}|\d{3,6}(?:[- ]\d{3,4})?|"
    r"[a-z]{1,2}\d[a-z\d]?[ ]?\d[a-z]{2}|[a-z]\d[a-z][ ]?\d[a-z]\d|\d{4}[ ]?[a-z]{2})(?![\w])"
)
# 6. "lives at ...", "address: ...", "send it to ...": the rest of the phrase when it holds a
#    number and a street word or a word that isn't common English.
_ADDR_CTX_RE: Final = re.compile(
    r"(?i)\b(?:(?:billing|shipping|home|postal|mailing|delivery|new|old|my|his|her|the|their|our)"
    r"[ \t]+address\b(?:[ \t]+(?:is|was|to|with))?[ \t]*(?:[-–][ \t]+)?|address(?:[ \t]+is)?[ \t]*:|"
    r"(?:address[ \t]+line(?:[ \t]*\d)?|street(?:[ \t]+address)?|house[ \t]+(?:no|number)\.?)[ \t]*:|"
    r"addressed[ \t]+to|(?:office|home|house|flat|apartment|shop|store|warehouse)[ \t]+at|"
    r"lives?[ \t]+at|living[ \t]+at|located[ \t]+at|moved[ \t]+to|move[ \t]+to|relocated[ \t]+to|"
    r"(?:send|sent|ship|shipped|deliver|delivered|mail|mailed|post|posted|forward|forwarded|"
    r"return|returned)(?:[ \t]+(?:it|this|them|that|one|a[ \t]+new[ \t]+one|the[ \t]+\w+))?[ \t]+to|"
    r"arrived[ \t]+at|delivered[ \t]+at|meet[ \t]+me[ \t]+at|refers[ \t]+to|address[ \t]+to|"
    r"(?:taxi|cab|ride|car|uber|lyft|courier|driver)[ \t]+to|pick[ \t]+(?:me|us|it)[ \t]+up[ \t]+(?:at|from)|"
    r"drop[ \t]+(?:me|us|it)[ \t]+off[ \t]+at|"
    r"(?:office|shop|store|house|home|flat|apartment|building|warehouse|headquarters|hq|place)"
    r"[ \t]+is[ \t]+(?:at|in|on)|(?:it|we)(?:'s|[ \t]+is|[ \t]+are)[ \t]+(?:at|in|on)|"
    r"update[ \t]+(?:my[ \t]+)?address[ \t]+to|change[ \t]+my[ \t]+address[ \t]+to|same:)"
    r"(?:(?<=:)|\b)[ \t:]*\n?[ \t]*"
)
_ADDR_STOP_RE: Final = re.compile(
    r"(?i)(?:[?!]|\.(?=\s*$|\s+[A-Z]\w*\s+[a-z])|\s+(?:for|in case|last night|if|please|thanks|"
    r"thank you|because|before|after|when|but|as soon|asap|by|within|instead|street in|"
    r"i\s+am|i'm|i\s+will|on\s+(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b|"
    r"\s+(?:and|or)\s+(?:i|we|you|my|please|then|the)\b|\n|$)"
)
_LINE_STOP_RE: Final = re.compile(_ADDR_STOP_RE.pattern.replace(r"|\n|$)", r")"))
# Cheap finder for "Word 12" pairs; the word is then checked for a street morpheme.
_WORD_NUM_RE: Final = re.compile(rf"(?<![\w])(?P<word>{_L}[\w'’\-]*\.?)[ \t]+{_NUM}\b")
_MORPHEMES: Final[tuple[str, ...]] = tuple(_GLUED_WORDS)
_STREET_WORD_RE: Final = re.compile(rf"(?i)\b(?:{_SUFFIX}|{_PREFIX})\b|{_MORPHEME}\b|\d{{5}}")
_TIME_LIKE_RE: Final = re.compile(
    r"(?i)^\s*\d{1,2}(?::\d\d)?\s*(?:am|pm|a\.m\.|p\.m\.|o'clock|h\b|hrs?\b)"
)
_LEAD_FILLER_RE: Final = re.compile(r"(?i)^(?:(?:with|is|was|to|at|as|:)[ \t]+)+")
# 7. An address line on its own: "16 salontie 6", "49 Bergshaugen 43".
_ADDR_LINE_RE: Final = re.compile(
    rf"(?m)^(?P<lead>[^\w\n]*)(?P<addr>{_NUM}[ \t]+(?:{_ANYWORD}[ \t]+){{1,5}}{_NUM}\.?)[ \t]*$"
)
_LINE_PREFIX_RE: Final = re.compile(r"^[\s>?*•·|-]*")
_CONNECTORS = (
    r"(?:and|of|de|la|del|da|do|dos|das|am|an|der|di|du|le|les|los|las|nad|upon|on|y|e|sur|en)"
)
# Postcodes after a street: US ZIP (+4), 4-5 digits, Dutch "1234 AB", Indian PIN, Brazilian CEP.
_POSTCODE = r"(?:\d{4}[ ]?[A-Z]{2}(?![\w-])|\d{5}-\d{3}|\d{4,6}(?:-\d{4})?|\d{8})"
_INLINE_EXT_RE: Final = re.compile(
    rf"(?:(?:[ \t]*,[ \t]*|[ \t]+)(?:(?i:apt|apartment|suite|ste|unit|flat)\.?[ \t]*#?\d{{1,5}}[A-Za-z]?\b|"
    rf"{_UP}[\w'’.\-]*(?:[ \t]+(?:{_UP}[\w'’.\-]*|{_CONNECTORS}\b))*"
    rf"(?:[ \t]+\d{{4,5}}(?:-\d{{4}})?\b)?|(?:{_STATES})[ \t]+\d{{5}}(?:-\d{{4}})?\b|{_POSTCODE}\b)){{1,4}}"
)


def _has_uncommon_word(chunk: str) -> bool:
    """Whether a chunk holds a word that is not common English (a place or street name)."""
    for w in re.findall(rf"(?<!\w){_L}[\w'’\-]*", chunk):
        if len(w) >= 2 and w.casefold() not in _COMMON and _fold(w) not in _COMMON:
            return True
    return False


_POSTCODE_LINE_RE: Final = re.compile(
    rf"(?=.*{_L})(?:{_L}[\w'’.\-]*[ \t,/-]+){{0,4}}(?:\d{{5}}-?\d{{3}}|\d{{6}})"
    rf"(?:[ \t,/-]+{_L}[\w'’.\-]*){{0,4}}"
)


def _continuation_len(line: str) -> int:
    """How much of a line continues an address block (city, region, country, zip, unit); 0 if none."""
    lead = _LINE_PREFIX_RE.match(line)
    offset = lead.end() if lead else 0
    stop = _LINE_STOP_RE.search(line, offset)
    if stop is not None:
        line = line[: stop.start()]
    body = line[offset:].strip()
    if not body or len(body) > 60:
        return 0
    words = re.findall(r"[\w'’.\-]+", body)
    if not words or len(words) > 7 or body.endswith(":"):
        return 0
    if _EMAIL_RE.search(body) or "@" in body or "http" in body.lower():
        return 0
    digits = sum(c.isdigit() for c in body)
    # Six or more digits are a phone or an account number, unless they are one postcode
    # ("Rajkot 400001", "01310-100 São Paulo").
    if digits >= 6 and not _POSTCODE_LINE_RE.fullmatch(body):
        return 0
    if re.search(r"(?i)\b(?:office|fax|mobile|phone|tel|email|regards|thanks|cheers)\b", body):
        return 0
    size = len(line.rstrip(" \t,;:"))
    # "55650 Perleberg Our officer confirmed it": a sentence goes on after the address.
    prose = [w for w in words if w.islower() and w in _COMMON and not re.fullmatch(_CONNECTORS, w)]
    if len(prose) >= 3 and _fold(body) not in _PLACES:
        return 0
    if digits:
        return size
    if re.fullmatch(r",?\s*[A-Z]{2,3}\.?", body) or body.casefold() == ", nan":
        return size
    if body.isupper() and len(words) <= 4:
        return size
    if _fold(re.sub(r"[\d,]+", " ", body)).strip() in _PLACES:
        return size
    return size if _has_uncommon_word(body) and not re.search(r"[.!?]$", body) else 0


_POSTCODE_PLACE = rf"(?:{_POSTCODE}[ \t]+{_UP}[\w'’\-]*|{_UP}[\w'’\-]*,?[ \t]+{_POSTCODE})(?![\w-])"
_POSTCODE_PLACE_RE: Final = re.compile(rf"[ \t>*•-]*{_POSTCODE_PLACE}")


def _postcode_place_len(line: str) -> int:
    """The "12345 Town" or "Town 12345" that opens a line, when the rest is something else."""
    m = _POSTCODE_PLACE_RE.match(line)
    return m.end() if m else 0


_FIELD_LINE_RE: Final = re.compile(r"[ \t>*•-]*[^\W\d_]+(?:[ /][^\W\d_]+){0,2}(?: \d)?:(?:[ \t]|$)")


def _extend_block(text: str, end: int) -> int:
    """Extend an address that ends a line over the following address-like lines."""
    nl = text.find("\n", end)
    rest_of_line = text[end : nl if nl != -1 else len(text)]
    if rest_of_line.strip(" \t,"):
        return end
    pos = end + len(rest_of_line)  # at a newline, or the end
    lines_taken = 0
    new_end = end
    while pos < len(text) and lines_taken < 6:
        nl = text.find("\n", pos + 1)
        line = text[pos + 1 : nl if nl != -1 else len(text)]
        # A blank line ends the paragraph, and the address with it.
        if not line.strip():
            break
        # A form's next field ("City: ...", "Postcode: ...") is a value of its own, found by
        # itself if private: the field names are no part of the address.
        if _FIELD_LINE_RE.match(line):
            break
        size = _continuation_len(line) or _postcode_place_len(line)
        if not size:
            break
        lines_taken += 1
        new_end = pos + 1 + size
        if size < len(line.rstrip()):
            break
        pos = nl if nl != -1 else len(text)
    return new_end


_UNIT_LINE_RE: Final = re.compile(
    rf"(?i)[ \t>*•-]*(?:(?:flat|apt|apartment|unit|suite|studio|h\.?[ \t]?no|house[ \t]+no)\.?[ \t]*#?[ \t]*)?"
    rf"{_NUM},?[ \t]*"
)


def _extend_back(text: str, start: int) -> int:
    """Take in the line before an address that starts a line when that line is only a house
    number or a unit ("Flat 3", "H.No. 42", "70/657")."""
    line_start = text.rfind("\n", 0, start) + 1
    if text[line_start:start].strip(" \t>*•-") or line_start == 0:
        return start
    prev_start = text.rfind("\n", 0, line_start - 1) + 1
    if _UNIT_LINE_RE.fullmatch(text, prev_start, line_start - 1):
        return (
            prev_start
            + len(text[prev_start:line_start])
            - len(text[prev_start:line_start].lstrip(" \t>*•-"))
        )
    return start


_INLINE_UNITS: Final[frozenset[str]] = _words("apt apartment suite ste unit flat")
_INLINE_WORD_RE: Final = re.compile(rf"{_L}[\w'’\-]*")


def _extend_inline(text: str, end: int) -> int:
    """Extend over ``, Apt. 5``, ``, City``, ``, City, ST 12345`` or ``, Country 12345`` parts."""
    if text[end - 1 : end] == ".":
        return end
    m = _INLINE_EXT_RE.match(text, end)
    if not m:
        return end
    new_end = m.end()
    # Stop before a common English word that only looks like a town ("... Perleberg Our ..."),
    # and leave a sentence's full stop out.
    words = list(_INLINE_WORD_RE.finditer(text, end, new_end))
    for k, w in enumerate(words):
        key = w.group(0).casefold()
        pair = f"{key} {words[k + 1].group(0)}" if k + 1 < len(words) else key
        if (
            key in _COMMON
            and key not in _PLACES
            and _fold(pair) not in _PLACES
            and key not in _INLINE_UNITS
        ):
            new_end = w.start()
            break
    new_end = end if new_end <= end else new_end
    if text[new_end - 1 : new_end] == "." and re.search(rf"{_L}{{4}}\.$", text[end:new_end]):
        new_end -= 1
    return _trim(text, end, new_end)[1] if new_end > end else end


def _prefix_street(text: str, m: re.Match[str]) -> tuple[int, int] | None:
    """Judge a street-type-first match ("Rua das Pedras 930"); return its span or None."""
    words = m.group("words")
    parts = words.split()
    first = parts[0] if parts else ""
    type_ = m.group("type").casefold()
    if not (m.group("pre") or m.group("post")):
        return None
    if type_ in {"via", "place", "plaza", "avenue", "boulevard", "r.", "rue", "square"} and not (
        m.group("type")[0].isupper() or m.group("pre")
    ):
        return None
    if first.casefold() in _COMMON and not first[:1].isupper():
        return None
    if not m.group("post") and not _has_uncommon_word(words) and not words[:1].isupper():
        return None
    end = m.end()
    if not m.group("post"):
        # Without a trailing house number, stop after the last capitalised word, or, in lower
        # case, before the first common word.
        tokens = list(re.finditer(_ANYWORD, words))
        if words[:1].isupper():
            caps = [t for t in tokens if t.group(0)[0].isupper()]
            end = m.start("words") + caps[-1].end()
        else:
            keep = tokens[:1]
            for t in tokens[1:]:
                if t.group(0).casefold() in _COMMON:
                    break
                keep.append(t)
            end = m.start("words") + keep[-1].end()
    return m.start(), end


def _glued_stem_ok(word: str) -> bool:
    """A short glued type that is also an English word ("pad", "tie") ends a street name only
    after a stem that is no English word or brand ("Kerkpad", not "Keypad" or "ThinkPad")."""
    morpheme = max((m for m in _MORPHEMES if word.endswith(m)), key=len)
    if len(morpheme) > 3 or morpheme not in _COMMON:
        return True
    stem = word[: -len(morpheme)].rstrip("-")
    return len(stem) >= 3 and stem not in _COMMON and word not in _BRANDS


def _uncommon_before(text: str, pos: int) -> bool:
    """Whether the word just before ``pos`` is not common English ("Knudssøns gate 22")."""
    m = re.search(rf"({_ANYWORD})[ \t]+$", text[max(0, pos - 40) : pos])
    return m is not None and m.group(1).casefold() not in _COMMON


def _skip_common_words(text: str, start: int, end: int) -> int:
    """Move ``start`` past leading common English words ("the title refers to Xstraße 5")."""
    for w in re.finditer(rf"{_ANYWORD}|\S+", text[start:end]):
        word = w.group(0)
        if word[:1].isdigit() or word.casefold() not in _COMMON:
            return start + w.start()
    return start


_CHUNK_START_RE: Final = re.compile(
    rf"(?:\d|{_UP}|(?i:{_PREFIX})\b|(?i:p\.?\s?o\.?\s*box|unit|psc|apt|suite)\b)"
)


def _starts_address(text: str, pos: int) -> bool:
    """Whether a street address starts at ``pos`` (so a number there is a house number)."""
    return bool(
        _ADDR_NUM_FIRST_RE.match(text, pos)
        or _ADDR_NUM_FIRST_LOWER_RE.match(text, pos)
        or _ADDR_MORPH_RE.match(text, pos)
        or _ADDR_PREFIX_NUM_RE.match(text, pos)
    )


# A street line with its house number, then a postcode and town: "Via Verdi 7\nPalizzi 14037",
# "Kerkstraat 43, 9129 UX Beerz". The postcode vouches for the line before it, whose street
# name may read like a person's.
_ADDR_BEFORE_POSTCODE_RE: Final = re.compile(
    rf"(?m)(?<![\w.])(?P<street>(?:{_NUM},?[ \t]+)?(?:{_UP}[\w'’.\-]*|{_CONNECTORS})"
    rf"(?:[ \t]+(?:{_UP}[\w'’.\-]*|{_CONNECTORS})){{0,4}}(?:,?[ \t]+{_NUM})?)"
    rf"(?:[ \t]*,[ \t]*|[ \t]*\n[ \t]*)(?P<town>{_POSTCODE_PLACE})"
)
# A line that is only a country or a city and a postcode: "Norway 08093".
_PLACE_POSTCODE_LINE_RE: Final = re.compile(
    rf"(?m)^[ \t]*(?P<place>{_L}[\w'’.\-]*(?:[ \t]+{_L}[\w'’.\-]*){{0,2}}),?[ \t]+"
    rf"(?P<code>{_POSTCODE})[ \t]*$"
)


# A postcode beside its town: "443280 Jamshedpur", "Muzaffarnagar Andhra Pradesh 108949",
# "Sint Kruis 9426EY", "TQ9 5QR Johnsonmouth", "Legros-sur-Mer 15495". Four digits alone are a
# postcode only below a street line (they are years and models as often).
_PC_STRONG = (
    r"(?:\d{5}(?:-\d{4}|-\d{3})?|\d{6}|\d{8}|\d{4}[ ]?[A-Z]{2}|"
    r"[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2}|"
    r"[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d)"
)
_TOWN_WORD = rf"{_UP}[\w'’.\-]*"
# Small words inside street and town names: "rue des Lilas", "Santa Cruz de Tenerife".
_NAME_JOINERS = (
    rf"(?:{_CONNECTORS}|des|della|delle|dello|dei|degli|von|van|den|het|ter|ten|zum|zur|im|"
    r"al|el|lo|au|aux|à)"
)
_TOWN = (
    rf"(?:{_NAME_JOINERS}[ \t]+)?{_TOWN_WORD}"
    rf"(?:[ \t]+(?:{_TOWN_WORD}|{_NAME_JOINERS}(?=[ \t]+{_UP}))){{0,4}}"
)
_LOCALITY_RE: Final = re.compile(
    rf"(?<![\w-])(?:(?P<pc1>{_PC_STRONG}|\d{{4}})[ \t]+(?P<town1>{_TOWN})|"
    rf"(?P<town2>{_TOWN}),?[ \t]+(?P<pc2>{_PC_STRONG}|\d{{4}})(?![ \t]+{_UP}))(?![\w-])"
)
_TOWN_WORD_RE: Final = re.compile(rf"{_L}[\w'’.\-]*")
# A form label or speaker before a value: "Address line 1: ", "Customer: ", "Delivery address - ".
_LABEL_PREFIX_RE: Final = re.compile(
    r"^[ \t>*•-]*(?:[^\W\d_][\w .'’]{0,30}?(?:[ \t]*:|[ \t]+[-–]))?[ \t]*"
)
_STREET_TOKEN_RE: Final = re.compile(
    rf"(?:{_UP}[\w'’.\-]*|{_NUM}/?|{_NAME_JOINERS}|(?i:{_PREFIX})|(?i:{_UNIT_WORDS})\.?)(?![\w'’])"
)
_STREET_TYPE_RE: Final = re.compile(
    rf"(?i)\b(?:{_SUFFIX}|{_PREFIX})\b|{_MORPHEME}\b|\b{_UNIT_WORDS}\b"
)


def _town_ok(words: Sequence[str]) -> bool:
    """A town: capitalised words (a connector between), one at least not common English, none a
    weekday, month, brand or other word that is never a name."""
    if not words or not any(w[:1].isupper() for w in words):
        return False
    if any(w.casefold().rstrip(".") in _NOT_NAMES for w in words if w[:1].isupper()):
        return False
    return any(_fold(w) in _PLACES or w.casefold() not in _COMMON for w in words if w[:1].isupper())


def _street_tokens(segment: str) -> int:
    """Where the street words that end ``segment`` begin (house numbers, capitalised words,
    connectors, street types, units, commas), as an offset into it."""
    pos = len(segment)
    tokens = list(re.finditer(r"[^\s,]+", segment))
    for t in reversed(tokens):
        if not _STREET_TOKEN_RE.fullmatch(t.group(0)):
            break
        if t.group(0).casefold() in _NOT_NAMES and not t.group(0)[:1].isupper():
            break
        pos = t.start()
    return pos


def _street_ok(street: str, *, same_line: bool) -> bool:
    """Whether a line or segment before a postcode and town reads as a street: a number or a
    street type, or (on the same line, before a comma) capitalised words not all common."""
    words = _TOWN_WORD_RE.findall(street)
    if not words or len(words) > 7:
        return False
    if any(w.casefold() in _NOT_NAMES for w in words if w[:1].isupper() and len(w) > 1):
        return False
    if re.search(r"\d", street) or _STREET_TYPE_RE.search(street):
        return True
    return same_line and _town_ok(words)


def _locality_spans(text: str) -> Iterable[tuple[int, int]]:
    """Postcodes with their town, and the street line before them that they vouch for."""
    for m in _LOCALITY_RE.finditer(text):
        if m.group("pc1"):
            pc = m.group("pc1")
            words = list(_TOWN_WORD_RE.finditer(m.group("town1")))
            # Up to the last word that is no common English word ("256647 Nandyal Your ...").
            keep = [
                k
                for k, w in enumerate(words)
                if w.group(0)[:1].isupper()
                and (_fold(w.group(0)) in _PLACES or w.group(0).casefold() not in _COMMON)
            ]
            if not keep:
                continue
            words = words[: keep[-1] + 1]
            start, end = m.start("pc1"), m.start("town1") + words[-1].end()
            if text[end - 1] == "." and len(words[-1].group(0)) > 4:
                end -= 1  # a sentence's full stop, not an abbreviation's
        else:
            pc = m.group("pc2")
            words = list(_TOWN_WORD_RE.finditer(m.group("town2")))
            lead = text[text.rfind("\n", 0, m.start()) + 1 : m.start()]
            if not (not lead.strip() or re.search(r"[,:;-][ \t]*$", lead)):
                # Mid-sentence, leading common words are not the town's ("ship to Rome 00100").
                while words and words[0].group(0).casefold() in _COMMON:
                    words.pop(0)
            if not words:
                continue
            start, end = m.start("town2") + words[0].start(), m.end()
        if not _town_ok([w.group(0) for w in words]):
            continue
        strong = not re.fullmatch(r"\d{4}", pc)
        line_start = text.rfind("\n", 0, start) + 1
        before = text[line_start:start]
        street_start = None
        if re.search(r",[ \t]*$", before):
            # A street is short: look no further back than 120 characters.
            if len(before) > 120:
                line_start = start - 120
                before = text[line_start:start]
            seg_end = before.rstrip(" \t").rstrip(",")
            label = _LABEL_PREFIX_RE.match(seg_end)
            seg_from = label.end() if label else 0
            pos = max(seg_from, _street_tokens(seg_end))
            street = seg_end[pos:]
            if street.strip() and _street_ok(street, same_line=True):
                street_start = line_start + pos
        elif not before.strip(" \t>*•-") and line_start > 0:
            prev_start = text.rfind("\n", 0, line_start - 1) + 1
            prev = text[prev_start : line_start - 1]
            label = _LABEL_PREFIX_RE.match(prev)
            offset = label.end() if label else 0
            street = prev[offset:].rstrip(" \t,")
            if street and _street_tokens(street) == 0 and _street_ok(street, same_line=False):
                street_start = prev_start + offset
            elif street and _street_tokens(street) == 0 and len(street.split()) <= 3:
                # A name line between a house-number line and the town: "52/380\nRandhawa".
                above = text.rfind("\n", 0, max(0, prev_start - 1)) + 1
                unit = text[above : max(above, prev_start - 1)]
                unit_label = _LABEL_PREFIX_RE.match(unit)
                unit_from = unit_label.end() if unit_label else 0
                if prev_start > 0 and _UNIT_LINE_RE.fullmatch(unit[unit_from:].rstrip()):
                    street_start = above + unit_from
        if street_start is not None:
            yield street_start, end
        elif strong:
            after = text[end : end + 2]
            alone = not before.strip(" \t>*•-") or re.search(r"(?:[,:;]|[ \t][-–])[ \t]*$", before)
            if alone and re.match(r"[ \t]*(?:$|\n|[.,;!?)])", after):
                yield start, end


def _address_spans(text: str) -> Iterable[tuple[int, int]]:
    """Street addresses with their unit/city/region/zip continuation, PO boxes, postcodes."""
    found: list[tuple[int, int]] = []
    for m in _ADDR_NUM_FIRST_RE.finditer(text):
        # "2 Green Park tickets": a suffix that is also a plain word needs an address after it.
        if m.group("suffix").casefold() in _WEAK_SUFFIXES and not _ADDR_TAIL_RE.match(
            text, m.end()
        ):
            continue
        found.append((m.start(), m.end()))
    for m in _ADDR_NUM_FIRST_LOWER_RE.finditer(text):
        if _has_uncommon_word(m.group("words")):
            found.append((m.start(), m.end()))
    for m in _ADDR_PREFIX_NUM_RE.finditer(text):
        span = _prefix_street(text, m)
        if span:
            found.append(span)
    for m in _ADDR_PREFIX_RE.finditer(text):
        span = _prefix_street(text, m)
        if span:
            found.append(span)
    for m in _WORD_NUM_RE.finditer(text):
        word = m.group("word").casefold()
        if word.endswith(_MORPHEMES) and (word not in _COMMON or _uncommon_before(text, m.start())):
            if not _glued_stem_ok(word):
                continue
            line_start = text.rfind("\n", 0, m.start()) + 1
            # The match that ends at this word, not an earlier street on the line.
            full = next(
                (
                    f
                    for f in _ADDR_MORPH_RE.finditer(text, max(line_start, m.start() - 80), m.end())
                    if f.end() == m.end()
                ),
                None,
            )
            if full is not None:
                start = _skip_common_words(text, full.start(), full.end())
                if re.search(_L, text[start : full.end()]):
                    found.append((start, full.end()))
    for m in _ADDR_NAMED_RE.finditer(text):
        found.append((m.start(), m.end()))
    for rx in (_ADDR_UNIT_RE, _ADDR_BOX_RE, _ADDR_MIL_RE, _ADDR_CSZ_RE):
        for m in rx.finditer(text):
            found.append((m.start(), m.end()))
    for m in _ADDR_POSTCODE_RE.finditer(text):
        found.append((m.start(), m.end()))
    for m in _ADDR_BEFORE_POSTCODE_RE.finditer(text):
        street = m.group("street")
        town = re.findall(rf"{_L}[\w'’\-]*", m.group("town"))
        if (
            re.search(r"\d", street)
            and not re.fullmatch(rf"[\d\s,]+|{_NUM}", street)
            and not any(w.casefold() in _NOT_NAMES for w in re.findall(rf"{_L}+", street))
            and all(_fold(w) in _PLACES or w.casefold() not in _COMMON for w in town)
        ):
            found.append((m.start(), m.end()))
    for m in _PLACE_POSTCODE_LINE_RE.finditer(text):
        if _fold(m.group("place")) in _PLACES:
            found.append((m.start("place"), m.end("code")))
    for m in _ADDR_ZIP_CTX_RE.finditer(text):
        found.append((m.start("code"), m.end("code")))
    found += _locality_spans(text)
    for m in _ADDR_LINE_RE.finditer(text):
        if _has_uncommon_word(m.group("addr")):
            found.append((m.start("addr"), m.end("addr")))
    for m in _ADDR_CTX_RE.finditer(text):
        start = m.end()
        stop = _ADDR_STOP_RE.search(text, start, min(len(text), start + 120))
        end = stop.start() if stop else min(len(text), start + 120)
        inner = re.search(r"(?i)(?::|\bis\b|\bare\b)[ \t]+(?=\S)", text[start:end])
        if inner and not re.search(r"\d", text[start : start + inner.start()]):
            start += inner.end()
        lead = _LEAD_FILLER_RE.match(text, start, end)
        if lead:
            start = lead.end()
        chunk = text[start:end].rstrip(" \t,;:")
        # "I live at H.No. 53\nKhosla and ...": a unit or house number alone on the cue's line
        # goes on to the street on the next.
        if (
            stop is not None
            and text.startswith("\n", stop.start())
            and _UNIT_LINE_RE.fullmatch(chunk)
        ):
            nxt = _ADDR_STOP_RE.search(text, stop.start() + 1, min(len(text), end + 120))
            end = nxt.start() if nxt else min(len(text), end + 120)
            chunk = text[start:end].rstrip(" \t,;:")
        if not chunk or _TIME_LIKE_RE.match(chunk) or len(chunk.split()) > 14:
            continue
        first_word = re.match(rf"{_ANYWORD}", chunk)
        if not _CHUNK_START_RE.match(chunk) and not (
            first_word and first_word.group(0).casefold() not in _COMMON
        ):
            continue
        has_num = re.search(r"\d", chunk) is not None
        if (has_num and (_has_uncommon_word(chunk) or _STREET_WORD_RE.search(chunk))) or (
            _STREET_WORD_RE.search(chunk) and _has_uncommon_word(chunk)
        ):
            found.append((start, start + len(chunk)))
    # Weak units only next to something else that is an address.
    for m in _ADDR_WEAK_UNIT_RE.finditer(text):
        if any(s - 3 <= m.end() and m.start() <= e + 3 for s, e in found):
            found.append((m.start(), m.end()))
    for start, end in found:
        end = _extend_inline(text, end)
        yield _extend_back(text, start), _extend_block(text, end)


# --------------------------------------------------------------------------------------------
# NAME
# --------------------------------------------------------------------------------------------

_WORD_RE: Final = re.compile(
    r"(?P<label>\[(?:EMAIL|PHONE|CARD|IBAN|ID|NAME|ADDRESS)\])|[^\W\d_]+(?:['’\-][^\W\d_]+)*"
)
_NAME_CTX_RE: Final = re.compile(
    r"(?i)(?:\bmy[ \t]+name[ \t]+is|\bmy[ \t]+name's|\bname[ \t]+is|\bname[ \t]*:|\bnamed|"
    r"\bcall[ \t]+me|\bthis[ \t]+is|\bi[ \t]+am|\bi'm|\bi’m|\bit's|\bit’s|\bdear|\bhi|\bhello|\bhey|"
    r"\battn\.?:?|\battention:|\bc/o|\bspeak[ \t]+(?:to|with)|\bspoke[ \t]+(?:to|with)|"
    r"\btalk(?:ed)?[ \t]+(?:to|with)|\bask[ \t]+for|\bsigned|\bfrom:|\bcustomer:|\bcontact:|"
    r"\bmaiden[ \t]+name[ \t]+is|\bname[ \t]+on[ \t]+the[ \t]+(?:account|card)[ \t]+is|"
    r"\bsaid|\bsays|\basked|\bthanks|\bthank[ \t]+you|\bregards|\bcheers|\bbest|\bsincerely|"
    r"\byours|\bsigned[ \t]+by|\bwith[ \t]+love|\bxoxo|"
    r"\b(?:(?:first|last|full|sur|given|family|my)[ \t]*)?name(?:[ \t]+on[ \t]+the[ \t]+(?:account|card))?\?"
    r"(?:[ \t]*(?:user|customer|client|me|caller)[ \t]*:)?)"
    r"[ \t]*[,:]?[ \t]*(?:\n[ \t>*-]*)?$"
)
_NAME_CTX_FIND_RE: Final = re.compile(_NAME_CTX_RE.pattern.removesuffix("$"))
_WEAK_CTX: Final[frozenset[str]] = frozenset(
    {
        "this is",
        "i am",
        "i'm",
        "i’m",
        "it's",
        "it’s",
        "said",
        "says",
        "asked",
        "named",
        "hi",
        "hello",
        "hey",
        "dear",
        "thanks",
        "thank you",
        "regards",
        "cheers",
        "best",
        "sincerely",
        "yours",
    }
)


def _sentence_start(text: str, pos: int) -> bool:
    """Whether the word at ``pos`` starts a sentence, a line or the text."""
    i = pos - 1
    while i >= 0 and text[i] in " \t\"'“‘(*•-":
        i -= 1
    return i < 0 or text[i] in ".!?:;\n>"


def _glued(text: str, start: int, end: int) -> bool:
    """Whether a word is part of an identifier, path, tag, handle or host name (not prose)."""
    before, after = text[start - 1 : start], text[end : end + 2]
    if before and before in "_/\\<{@#$=.":
        return not (before == "." and start >= 2 and text[start - 2] == " ")
    if after[:1] and after[:1] in "_/\\>}@=":
        return True
    return after[:1] == "." and after[1:2].isalnum()


@dataclass(frozen=True, slots=True)
class _Tok:
    start: int
    end: int  # without a possessive 's
    word: str
    title: bool
    lower: bool
    first: bool
    last: bool
    common: bool
    blocked: bool
    place: bool = False  # a country or US state: "Jordan", "Georgia" are names only with a surname
    label: str = ""  # "[NAME]" etc. for text redacted before: capitalised, never re-redacted


def _tokens(text: str) -> list[_Tok]:
    """Word tokens with their shape and lexicon flags."""
    out: list[_Tok] = []
    for m in _WORD_RE.finditer(text):
        if m.group("label"):
            # Text that was redacted before reads like a capitalised word, so a second pass
            # sees the same neighbours as the first.
            out.append(
                _Tok(m.start(), m.end(), m.group(0), True, False, False, False, False, True,
                     label=m.group(0))
            )  # fmt: skip
            continue
        word = m.group(0)
        if word[-2:] in {"'s", "’s", "'S", "’S"}:
            word = word[:-2]
        if not word or _glued(text, m.start(), m.end()):
            continue
        key, folded = word.casefold(), _fold(word)
        place = folded in _PLACES
        first_set, last_set = (_FIRST_LOWER, _LAST_LOWER) if word.islower() else (_FIRST, _LAST)
        title = word[0].isupper() and any(c.islower() for c in word)
        out.append(
            _Tok(
                start=m.start(),
                end=m.start() + len(word),
                word=word,
                title=title,
                lower=word.islower(),
                first=key in first_set or folded in first_set,
                last=key in last_set or folded in last_set,
                common=key in _COMMON or folded in _COMMON or "'" in key or "’" in key or place,
                blocked=key in _NOT_NAMES or key in _HONORIFICS,
                place=place,
            )
        )
    return out


def _adjacent(text: str, a: _Tok, b: _Tok) -> bool:
    """Whether two tokens are separated by spaces only (part of one name)."""
    gap = text[a.end : b.start]
    return (0 < len(gap) <= 2 and gap.strip(" \t") == "") or gap in {" ", "-"}


def _surname_like(t: _Tok, *, lowercase: bool) -> bool:
    """Whether a token can be a further part of a name already started."""
    if t.blocked:
        return False
    if lowercase:
        return t.lower and not t.common
    return t.title and (t.last or t.first or not t.common)


_NAME_SUFFIX_RE: Final = re.compile(
    r"[ \t]*,?[ \t]+(?:Jr|Sr|II|III|IV|MD|PhD|DDS|DVM|Esq|CPA)\b\.?"
)
_NAME_BEFORE_EMAIL_RE: Final = re.compile(
    rf"(?<![\w])(?P<name>(?:{_UP}[\w'’\-]*\.?[ \t]+){{0,3}}{_UP}[\w'’\-]*)[ \t]*<[^<>@\s]+@[^<>\s]+>"
)
# A capitalised word opening a line, then a comma and a request: "Jakobine, can you ...".
_VOCATIVE_RE: Final = re.compile(
    rf"(?m)^[ \t>*-]*(?P<name>{_UP}[^\W\d_]+),[ \t]+(?:can|could|would|will|please|thanks|thank|"
    rf"i|we|you|do|did|are|is|have|just|sorry|hope)\b",
    re.IGNORECASE,
)
# A line that is only a name, as in a signature: "Victor Miller".
_NAME_LINE_RE: Final = re.compile(
    rf"(?m)^[ \t>*•-]*(?P<name>{_UP}[^\W\d_]+(?:[ \t]+{_UP}\.?)?(?:[ \t]+{_UP}[^\W\d_'’-]+(?:[-'’]{_UP}?[^\W\d_]+)?){{1,2}})[ \t]*,?[ \t]*$"
)
# A form field that holds a name ("Surname: PIRANDELLO", "Account holder - Jun Ye"), and a
# transcript speaker's answer that is only a name ("Customer: Fang He").
_NAME_WORD = r"[^\W\d_]+(?:['’-][^\W\d_]+)*\.?"
_NAME_FIELD_RE: Final = re.compile(
    r"(?im)^[ \t>*•-]*(?P<field>(?:(?:full|first|last|given|family|middle|maiden|legal|billing|"
    r"shipping|account|card|customer|contact|cardholder'?s?|holder'?s?)[ \t]*name|name|surname|"
    r"forename|account[ \t]+holder|card[ \t]*holder|contact[ \t]+person|recipient|addressee|"
    r"attn|attention|customer|caller|user|client))[ \t]*(?::|-|–)[ \t]*"
    rf"(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,3}})[ \t]*(?P<after>[;,(]|$)"
)
_SPEAKER_FIELDS: Final[frozenset[str]] = _words("customer caller user client")


def _field_name_spans(text: str) -> Iterable[tuple[int, int]]:
    """Names in form fields and transcript answers; see ``_NAME_FIELD_RE``."""
    for m in _NAME_FIELD_RE.finditer(text):
        words = m.group("name").split()
        keys = [w.rstrip(".").casefold() for w in words]
        if any(k in _NOT_NAMES or (k in _HONORIFICS and i > 0) for i, k in enumerate(keys)):
            continue
        if not all(w[0].isupper() or w.casefold() in _PARTICLES for w in words):
            continue
        known = any(
            (k in _FIRST or k in _LAST or _fold(k) in _FIRST or _fold(k) in _LAST) for k in keys
        )
        speaker = m.group("field").casefold() in _SPEAKER_FIELDS
        if speaker and (m.group("after") != "" or not known):
            continue
        if not known and all(k in _COMMON for k in keys):
            continue
        yield m.start("name"), m.end("name")


_LIST_SEP_RE: Final = re.compile(
    r"^(?:,[ \t]*|[ \t]+(?:and|&|or)[ \t]+|,[ \t]+(?:and|&|or)[ \t]+)$"
)


# Words after which "Victor Miller" (a first name and a surname that are also words) is a name.
_NAME_LEADS: Final[frozenset[str]] = _words(
    "to with from by for and or cc call called ask asked tell told contact contacted email emailed "
    "thank thanks met meet named per attn dear hi hello hey colleague agent manager customer "
    "mr mrs ms dr is was"
)
_PARTICLES: Final[frozenset[str]] = _words(
    "van von de der den da di del della la le du dos das ter ten bin ibn al el mac st"
)


def _extend_name(text: str, toks: list[_Tok], i: int, *, lowercase: bool, limit: int = 2) -> int:
    """Index of the last token of a name that starts at token ``i``."""
    j = i
    while j + 1 < len(toks) and j - i < limit + 1 and _adjacent(text, toks[j], toks[j + 1]):
        nxt = toks[j + 1]
        if (
            not lowercase
            and nxt.word in _PARTICLES
            and j + 2 < len(toks)
            and _adjacent(text, nxt, toks[j + 2])
            and toks[j + 2].title
            and not toks[j + 2].blocked
        ):
            j += 2  # "Jacob van Gameren", "Gary de Vaan"
            continue
        if j - i >= limit or not _surname_like(nxt, lowercase=lowercase):
            break
        j += 1
    return j


def _name_follows(text: str, toks: list[_Tok], i: int) -> bool:
    """Whether a capitalised word, or a particle and one ("van Dijk"), follows token ``i``."""
    j = i + 1
    if j < len(toks) and toks[j].word in _PARTICLES and _adjacent(text, toks[i], toks[j]):
        j += 1
        while j < len(toks) and toks[j].word in _PARTICLES:
            j += 1
    return j < len(toks) and _adjacent(text, toks[j - 1], toks[j]) and toks[j].title


def _name_token_runs(text: str, toks: list[_Tok]) -> list[tuple[int, int, int]]:
    """Names as (first token, last token, start offset); the offset may precede the first token."""
    ctx_ends: dict[int, str] = {}
    for m in _NAME_CTX_FIND_RE.finditer(text):
        after = m.end()
        while after < len(text) and text[after] in " \t":
            after += 1
        ctx_ends[after] = re.sub(r"[ \t]+", " ", re.sub(r"[,:\s]+$", "", m.group(0).lower()))
    runs: list[tuple[int, int, int]] = []
    n = len(toks)
    i = 0
    while i < n:
        t = toks[i]
        key = t.word.casefold()
        prev = toks[i - 1] if i > 0 and _adjacent(text, toks[i - 1], t) else None
        nxt = toks[i + 1] if i + 1 < n and _adjacent(text, t, toks[i + 1]) else None
        # Honorific + name: "Mr. Smith", "ms. Wijtze", "Dr. Kent Jaworski".
        if key in _HONORIFICS and i + 1 < n:
            cand = toks[i + 1]
            gap = text[t.end : cand.start]
            if re.fullmatch(r"\.?[ \t]+", gap) and (
                cand.title
                or (
                    cand.lower and (cand.first or cand.last or not cand.common) and not cand.blocked
                )
            ):
                j = _extend_name(text, toks, i + 1, lowercase=cand.lower)
                runs.append((i, j, t.start))
                i = j + 1
                continue
        ctx = ctx_ends.get(t.start)
        if ctx is not None and not t.blocked and not (t.word.isupper() and len(t.word) > 1):
            weak = ctx in _WEAK_CTX
            if t.title:
                # After "hi", "this is", "thanks": a name-like word, or a first name that is
                # also a word ("Hi Mark,") when punctuation or a surname follows.
                follow = text[t.end : t.end + 1]
                ok = (
                    not t.common
                    or (t.first and (follow in ",.!?;:\n" or _name_follows(text, toks, i)))
                    if weak
                    else (t.first or t.last or not t.common)
                )
            else:
                ok = t.lower and (
                    ((t.first or t.last) and not t.common)
                    or (t.first and nxt is not None and nxt.lower and nxt.last and not nxt.blocked)
                    if weak
                    else (not t.common or ((t.first or t.last) and "name" in ctx))
                )
                if ok and weak and t.common and nxt is not None:
                    # "this is john smith": both words, but a first name and a surname.
                    runs.append((i, i + 1, t.start))
                    i += 2
                    continue
            if ok:
                j = _extend_name(text, toks, i, lowercase=t.lower)
                runs.append((i, j, t.start))
                i = j + 1
                continue
        brand_before = prev is not None and prev.title and prev.word.casefold() in _BRANDS
        if t.blocked or brand_before:
            i += 1
            continue
        if t.title:
            mid = not _sentence_start(text, t.start)
            prev_title = prev is not None and prev.title
            if t.first and not t.common:
                j = _extend_name(text, toks, i, lowercase=False)
                runs.append((i, j, t.start))
                i = j + 1
                continue
            if t.first and nxt is not None and nxt.title and not nxt.blocked and not nxt.common:
                # "Mark Roseby": a first name that is also a word, then a surname.
                j = _extend_name(text, toks, i + 1, lowercase=False, limit=1)
                runs.append((i, j, t.start))
                i = j + 1
                continue
            lead = toks[i - 1].word.casefold() if i > 0 else ""
            if (
                t.first
                and mid
                and nxt is not None
                and nxt.title
                and nxt.last
                and not nxt.blocked
                and not prev_title
                and lead in _NAME_LEADS
            ):
                # "call Victor Miller": first name + surname, both also words, mid-sentence.
                runs.append((i, i + 1, t.start))
                i += 2
                continue
            if (
                t.first
                and prev is not None
                and prev.lower
                and not t.place
                and (nxt is None or not nxt.title)
            ):
                # A first name that is also a word ("Mark", "Rose"), capitalised mid-sentence.
                runs.append((i, i, t.start))
            elif t.last and not t.common and not prev_title and (nxt is None or not nxt.title):
                # A surname alone, mid-sentence, or opening a list ("Lang and Fleischer").
                listed = (
                    i + 1 < n
                    and toks[i + 1].title
                    and _LIST_SEP_RE.match(text[t.end : toks[i + 1].start])
                )
                if mid or listed:
                    runs.append((i, i, t.start))
        elif t.lower and t.first:
            if (
                nxt is not None
                and nxt.lower
                and not nxt.blocked
                and not nxt.common
                and (not t.common or (nxt.last and not nxt.first))
            ):
                runs.append((i, i + 1, t.start))
                i += 2
                continue
            if not t.common:
                runs.append((i, i, t.start))
        i += 1
    return runs


def _name_spans(text: str) -> Iterable[tuple[int, int]]:
    """Person names from honorifics, phrases (``my name is``, sign-offs) and the name lexicon."""
    toks = _tokens(text)
    if not toks:
        return
    runs = _name_token_runs(text, toks)
    named = [t.label == "[NAME]" for t in toks]
    for i, j, _ in runs:
        for k in range(i, j + 1):
            named[k] = True
    # Lists: "Malon, Darin and Michelle": a capitalised uncommon word listed with a name is one.
    changed = True
    while changed:
        changed = False
        for k, t in enumerate(toks):
            if named[k] or not t.title or t.blocked or (t.common and not (t.first or t.last)):
                continue
            for nb in (k - 1, k + 1):
                if 0 <= nb < len(toks) and named[nb]:
                    a, b = (toks[nb], t) if nb < k else (t, toks[nb])
                    if _LIST_SEP_RE.match(text[a.end : b.start]):
                        named[k] = True
                        runs.append((k, k, t.start))
                        changed = True
                        break
    for i, j, start in runs:
        if i < j and _fold(" ".join(t.word for t in toks[i : j + 1])) in _PLACES:
            continue  # "São Paulo", "Santa Cruz"
        end = toks[j].end
        suffix = _NAME_SUFFIX_RE.match(text, end)
        yield start, suffix.end() if suffix else end
    yield from _field_name_spans(text)
    for m in _NAME_BEFORE_EMAIL_RE.finditer(text):
        yield m.start("name"), m.end("name")
    for m in _VOCATIVE_RE.finditer(text):
        word = m.group("name")
        if (
            word[0].isupper()
            and word.casefold() not in _COMMON
            and word.casefold() not in _NOT_NAMES
        ):
            yield m.start("name"), m.end("name")
    for m in _NAME_LINE_RE.finditer(text):
        words = m.group("name").split()
        first, last = words[0].casefold(), words[-1].casefold()
        if (
            (first in _FIRST or _fold(first) in _FIRST)
            and (last in _LAST or _fold(last) in _LAST or last not in _COMMON)
            and not any(w.casefold() in _NOT_NAMES or _fold(w) in _PLACES for w in words)
        ):
            yield m.start("name"), m.end("name")


# --------------------------------------------------------------------------------------------
# Known customer details
# --------------------------------------------------------------------------------------------


def _known_spans(
    text: str, names: Sequence[str], emails: Sequence[str]
) -> Iterable[tuple[int, int, Kind]]:
    """The ticket's customer names (whole and each part of 3+ letters) and e-mail addresses."""
    for email in emails:
        email = email.strip()
        if not email:
            continue
        rx = re.compile(rf"(?<![\w.+-]){re.escape(email)}(?![\w-])", re.IGNORECASE)
        for m in rx.finditer(text):
            yield m.start(), m.end(), "EMAIL"
    variants: set[str] = set()
    for name in names:
        parts = name.split()
        if not parts:
            continue
        variants.add(_ONE_LINE_GAP.join(re.escape(p) for p in parts))
        for part in re.split(r"[\s\-]+", name):
            part = part.strip(".,'’")
            if len(part) >= 3:
                variants.add(re.escape(part))
                folded = _fold(part)
                if folded != part.casefold():
                    variants.add(re.escape(folded))
    if variants:
        alternation = "|".join(sorted(variants, key=len, reverse=True))
        rx = re.compile(rf"(?<!\w)(?:{alternation})(?!\w)", re.IGNORECASE)
        for m in rx.finditer(text):
            yield m.start(), m.end(), "NAME"


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


_URL_RE: Final = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"']+")


def _outside_urls(text: str, spans: Iterable[tuple[int, int]]) -> Iterable[tuple[int, int]]:
    """Drop spans that overlap a URL (names and addresses are not looked for inside links)."""
    if "http" not in text and "www." not in text:
        yield from spans
        return
    urls = [(m.start(), m.end()) for m in _URL_RE.finditer(text)]
    for s, e in spans:
        if not any(s < ue and us < e for us, ue in urls):
            yield s, e


def _candidates(
    text: str, names: Sequence[str], emails: Sequence[str], kinds: Collection[Kind]
) -> list[tuple[int, int, Kind]]:
    """Every detection of these kinds (and the customer's own name and email), possibly
    overlapping."""
    found: list[tuple[int, int, Kind]] = list(_known_spans(text, names, emails))
    detectors: list[tuple[Kind, Callable[[str], Iterable[tuple[int, int]]]]] = [
        ("EMAIL", _email_spans),
        ("IBAN", _iban_spans),
        ("IBAN", _bank_spans),
        ("CARD", _card_spans),
        ("ID", _id_spans),
        ("PHONE", _phone_spans),
        ("ADDRESS", lambda t: _outside_urls(t, _address_spans(t))),
        ("NAME", lambda t: _outside_urls(t, _name_spans(t))),
    ]
    for kind, detect in detectors:
        if kind in kinds:
            found += [(s, e, kind) for s, e in detect(text)]
    return found


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink a span to exclude surrounding whitespace and separators."""
    while start < end and text[start] in " \t\r\n,;:":
        start += 1
    while end > start and text[end - 1] in " \t\r\n,;:":
        end -= 1
    return start, end


def _merge_gap(kind: Kind, gap: str) -> bool:
    """Whether two neighbouring spans of one kind become one."""
    if gap == "":
        return True
    if kind == "ADDRESS":
        return re.fullmatch(r"[\s,;]*", gap) is not None and not _BLANK_LINE_RE.search(gap)
    if kind == "NAME":
        return re.fullmatch(r"[ \t]+", gap) is not None
    return False


def find_spans(
    text: str,
    *,
    customer_names: Sequence[str] = (),
    customer_emails: Sequence[str] = (),
    kinds: Collection[Kind] = KINDS,
) -> list[Span]:
    """Return the non-overlapping private spans of ``text``, in order: every kind by default,
    else those of ``kinds`` (the customer's own name and email always)."""
    if not text:
        return []
    taken = bytearray(len(text))
    for m in _LABEL_RE.finditer(text):
        taken[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
    found = _candidates(text, customer_names, customer_emails, kinds)
    found.sort(key=lambda c: (_RANK[c[2]], c[0], -(c[1] - c[0])))
    spans: list[Span] = []
    for start, end, kind in found:
        start, end = _trim(text, start, end)
        i = start
        while i < end:
            if taken[i]:
                i += 1
                continue
            j = i
            while j < end and not taken[j]:
                j += 1
            s, e = _trim(text, i, j)
            if any(c.isalnum() for c in text[s:e]):
                spans.append(Span(s, e, kind))
                taken[s:e] = b"\x01" * (e - s)
            i = j
    spans.sort()
    merged: list[Span] = []
    for span in spans:
        if merged:
            prev = merged[-1]
            if prev.kind == span.kind and _merge_gap(span.kind, text[prev.end : span.start]):
                merged[-1] = Span(prev.start, span.end, span.kind)
                continue
        merged.append(span)
    if "\n" in text:
        merged = [part for span in merged for part in _split_at_blank_lines(text, span)]
    return merged


def _split_at_blank_lines(text: str, span: Span) -> list[Span]:
    """The parts of a span between blank lines (the last guarantee that none is crossed).

    The detectors already stop at blank lines; a span that still crosses one is split rather
    than cut short, so nothing that was found private is let through.
    """
    if not _BLANK_LINE_RE.search(text, span.start, span.end):
        return [span]
    parts: list[Span] = []
    pos = span.start
    for m in _BLANK_LINE_RE.finditer(text, span.start, span.end):
        parts.append(Span(pos, m.start(), span.kind))
        pos = m.end()
    parts.append(Span(pos, span.end, span.kind))
    out: list[Span] = []
    for part in parts:
        s, e = _trim(text, part.start, part.end)
        if any(c.isalnum() for c in text[s:e]):
            out.append(Span(s, e, span.kind))
    return out


def redact(
    text: str,
    *,
    customer_names: Sequence[str] = (),
    customer_emails: Sequence[str] = (),
    kinds: Collection[Kind] = KINDS,
) -> str:
    """Replace every private span of ``text`` with its ``[KIND]`` label."""
    return redact_spans(text, find_spans(text, customer_names=customer_names,
                                         customer_emails=customer_emails, kinds=kinds))  # fmt: skip


def labels_in(text: str) -> int:
    """How many redaction labels (``[EMAIL]``, ``[CARD]``, …) a text holds."""
    return len(_LABEL_RE.findall(text))


def redact_spans(text: str, spans: Sequence[Span]) -> str:
    """``text`` with these spans (from ``find_spans``) replaced by their labels."""
    if not spans:
        return text
    parts: list[str] = []
    pos = 0
    for span in spans:
        parts.append(text[pos : span.start])
        parts.append(label(span.kind))
        pos = span.end
    parts.append(text[pos:])
    return "".join(parts)


def _warm_up() -> None:
    """Load the libraries' lazily loaded metadata now, at import, not during a call."""
    PhoneMetadata.load_all()
    sample = (
        "Call +44 20 7946 0958 or (415) 555-2671, IBAN GB82WEST12345698765432, "
        "card 4111 1111 1111 1111, SSN 123-45-6789, 12 Main Street, Dr. Jane Doe"
    )
    for region in _POSSIBLE_REGIONS:
        phonenumbers.parse("0201234567", region)
        for _ in PhoneNumberMatcher(sample, region, leniency=Leniency.VALID):
            pass
    for code in ("GB82WEST12345698765432", "DE89370400440532013000", "FR1420041010050500013M02606"):
        _stdnum_iban.is_valid(code)
    for check in _STDNUM_CHECKS.values():
        check("0")
    redact(sample)


_warm_up()
