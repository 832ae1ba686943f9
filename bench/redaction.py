"""How much private information `bot.privacy.redaction` catches, and how much ordinary text it keeps.

Run from the repository root::

    python -m bench.redaction [--file PATH] [--extra N] [--people N] [--seed S] [--tickets N]
                              [--misses K] [--no-phone-study]

Scores, on a labelled file (default ``../shared/data/pii_generated_large.json`` next to the repo):

- **recall per entity type**, by two rules side by side:

  - *90%chars*: a labelled span is *caught* when at least 90% of its non-space characters lie
    inside redacted spans, whatever their label. A caught span whose covering label isn't the one
    its type maps to (PERSON→NAME, ADDRESS→ADDRESS, CREDIT_CARD→CARD, PHONE_NUMBER→PHONE,
    EMAIL_ADDRESS→EMAIL, US_SSN→ID, IBAN_CODE→IBAN) is a *label mismatch*.
  - *gone* (the issue's rule): a labelled span is caught when its value (``entity_value``,
    stripped, compared case-insensitively) no longer appears at its place in the redacted text
    (:func:`value_gone`). That is the case as soon as any of its non-space characters is
    redacted, so it is the more lenient of the two; a copy of the value elsewhere doesn't count.

- **other words kept**: words (``\\w+``) outside every labelled span, of any type, that come out
  with none of their characters redacted, as a share of all such words.
- **false redactions per 1,000 words**: other words redacted, per 1,000 words of text.

The same scores on two sets generated with Faker (seeded, deterministic): person names and street
addresses of ten locales in sentences, lists, e-mail signatures, forms and transcripts, with some
structured values and ordinary support sentences around them (a quarter of the texts use romanised
Japanese and Chinese names, which the name lexicon was not built from); and the types that are
thin in the file (EMAIL, US_SSN, IBAN; PHONE and CREDIT_CARD as well). Then the share of words
kept on ordinary support text (``customer_support_tickets.csv``) and on generated sentences full of
order numbers, prices, dates, times, ticket ids and versions; whether known customer names and
e-mails are caught; PHONE recall and words kept for ``PhoneNumberMatcher`` alone at each leniency
against ``bot.privacy``; throughput (single process, best of 3 runs), also on 3,000-character notes.
Targets (the issue's): structured kinds >= 0.99, PERSON >= 0.90, ADDRESS >= 0.95, other words kept
>= 0.98. Nothing is asserted: the script prints figures and the targets with met / NOT met, and
exits 0 (1 if the file is missing).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from faker import Faker
from phonenumbers import Leniency, PhoneNumberMatcher

from bot.privacy.redaction import PHONE_REGIONS, Span, find_spans, label, redact, redact_spans

REPO = Path(__file__).resolve().parent.parent
DEFAULT_FILE = REPO.parent / "shared" / "data" / "pii_generated_large.json"
TICKETS_FILE = REPO.parent / "shared" / "data" / "customer_support_tickets.csv"

CAUGHT_SHARE = 0.9
MAPPING = {
    "PERSON": "NAME",
    "ADDRESS": "ADDRESS",
    "CREDIT_CARD": "CARD",
    "PHONE_NUMBER": "PHONE",
    "EMAIL_ADDRESS": "EMAIL",
    "US_SSN": "ID",
    "IBAN_CODE": "IBAN",
}
TARGET_TYPES = ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN")
TARGET_RECALL = 0.99
# The goals: structured kinds >= 0.99, person >= 0.90, street address >= 0.95, other
# words kept >= 0.98 (on labelled text, support tickets and ordinary numbers alike).
TARGETS = {**dict.fromkeys(TARGET_TYPES, TARGET_RECALL), "PERSON": 0.90, "ADDRESS": 0.95}
TARGET_KEPT = 0.98
WORD_RE = re.compile(r"\w+")
HONORIFICS = {"mr", "mrs", "ms", "miss", "dr", "prof"}


@dataclass
class Record:
    text: str
    spans: list[tuple[int, int, str]]  # start, end, entity type
    customer_names: Sequence[str] = ()
    customer_emails: Sequence[str] = ()
    values: Sequence[str] = ()  # the labelled entity_value of each span, when the file has one
    unseen_names: bool = False  # generated with names from outside the lexicon's sources


@dataclass
class TypeScore:
    total: int = 0
    caught: int = 0
    gone: int = 0
    mismatched: int = 0
    mismatch_labels: Counter[str] = field(default_factory=Counter)
    misses: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Score:
    by_type: dict[str, TypeScore] = field(default_factory=lambda: defaultdict(TypeScore))
    other_words: int = 0
    other_kept: int = 0
    all_words: int = 0
    false_examples: list[tuple[str, str]] = field(default_factory=list)
    not_idempotent: int = 0
    texts: int = 0
    initial_caps: int = 0
    initial_caps_kept: int = 0


def _sentence_initial(text: str, pos: int) -> bool:
    """Whether the word at ``pos`` opens the text, a line or a sentence."""
    before = text[:pos].rstrip(" \t\"'“(*-")
    return not before or before[-1] in ".!?\n:"


def load_records(path: Path) -> list[Record]:
    """Records of the Presidio-style labelled file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return [
        Record(
            text=r["full_text"],
            spans=[(s["start_position"], s["end_position"], s["entity_type"]) for s in r["spans"]],
            values=[s["entity_value"] for s in r["spans"]],
        )
        for r in data
    ]


def value_gone(
    text: str, spans: Sequence[Span], start: int, end: int, value: str, out: str | None = None
) -> bool:
    """Whether a labelled value no longer appears at its place in the redacted text.

    The place of ``text[start:end]`` in ``redact_spans(text, spans)`` runs from where ``start``
    lands to where ``end`` lands; a boundary inside a redacted span takes in that span's whole
    label. The value is gone when it (stripped, compared case-insensitively) is not a substring
    of that stretch of output. So it is gone as soon as any of its non-space characters is
    redacted, and an unredacted copy of it elsewhere in the text doesn't count against it.
    """
    needle = value.strip().casefold()
    if not needle:
        return True
    shift = 0  # output offset minus input offset, before the current position
    out_start = out_end = None
    for sp in spans:
        if out_start is None and start < sp.end:
            out_start = (sp.start if start >= sp.start else start) + shift
        if out_end is None and end <= sp.end:
            inside = end > sp.start
            out_end = (sp.start + len(label(sp.kind)) if inside else end) + shift
        shift += len(label(sp.kind)) - (sp.end - sp.start)
    if out_start is None:
        out_start = start + shift
    if out_end is None:
        out_end = end + shift
    if out is None:
        out = redact_spans(text, spans)
    return needle not in out[out_start:out_end].casefold()


def score(
    records: Sequence[Record],
    *,
    keep_misses: int = 0,
    finder: Callable[[str], list[Span]] | None = None,
) -> Score:
    """Recall per type, other words kept and label mismatches over labelled records.

    ``finder`` replaces ``bot.privacy.redaction.find_spans`` (used for the phone leniency study).
    """
    result = Score()
    for rec in records:
        result.texts += 1
        if finder is None:
            spans = find_spans(
                rec.text, customer_names=rec.customer_names, customer_emails=rec.customer_emails
            )
            out = redact(
                rec.text, customer_names=rec.customer_names, customer_emails=rec.customer_emails
            )
            again = redact(
                out, customer_names=rec.customer_names, customer_emails=rec.customer_emails
            )
            result.not_idempotent += again != out
        else:
            spans = sorted(finder(rec.text))
            out = rec.text
        redacted = redact_spans(rec.text, spans)
        owner: list[Span | None] = [None] * len(rec.text)
        for sp in spans:
            for i in range(sp.start, sp.end):
                owner[i] = sp
        labelled = [False] * len(rec.text)
        for n, (start, end, etype) in enumerate(rec.spans):
            for i in range(start, min(end, len(rec.text))):
                labelled[i] = True
            chars = [i for i in range(start, min(end, len(rec.text))) if not rec.text[i].isspace()]
            if not chars:
                continue
            ts = result.by_type[etype]
            ts.total += 1
            value = rec.values[n] if rec.values else rec.text[start:end]
            ts.gone += value_gone(rec.text, spans, start, end, value, redacted)
            covered = [owner[i] for i in chars if owner[i] is not None]
            if len(covered) >= CAUGHT_SHARE * len(chars):
                ts.caught += 1
                expected = MAPPING.get(etype)
                kinds = Counter(sp.kind for sp in covered if sp is not None)
                top = kinds.most_common(1)[0][0]
                if expected is not None and top != expected:
                    ts.mismatched += 1
                    ts.mismatch_labels[top] += 1
            elif len(ts.misses) < keep_misses:
                ts.misses.append((rec.text[start:end], out))
        for m in WORD_RE.finditer(rec.text):
            result.all_words += 1
            if any(labelled[m.start() : m.end()]):
                continue
            result.other_words += 1
            kept = all(owner[i] is None for i in range(m.start(), m.end()))
            if _sentence_initial(rec.text, m.start()) and m.group(0)[:1].isupper():
                result.initial_caps += 1
                result.initial_caps_kept += kept
            if kept:
                result.other_kept += 1
            elif len(result.false_examples) < keep_misses:
                result.false_examples.append((m.group(0), out))
    return result


def _met(value: float, target: float) -> str:
    return "met" if value >= target else "NOT met"


def print_score(title: str, sc: Score, *, show_misses: int) -> None:
    """One table: recall per type, mismatches; then words kept and false redactions."""
    print(f"\n## {title}  ({sc.texts} texts, {sc.all_words} words)")
    print(
        f"{'entity type':<20}{'label':<9}{'spans':>7}{'90%chars':>9}{'gone':>7}"
        f"{'target':>8}  {'verdict (gone / 90%)':<22}label mismatches"
    )
    print("-" * 100)
    order = sorted(sc.by_type, key=lambda t: (t not in MAPPING, t not in TARGET_TYPES, t))
    for etype in order:
        ts = sc.by_type[etype]
        recall = ts.caught / ts.total if ts.total else 0.0
        gone = ts.gone / ts.total if ts.total else 0.0
        mism = (
            ", ".join(f"{k}×{v}" for k, v in ts.mismatch_labels.most_common())
            if ts.mismatched
            else "-"
        )
        lab = MAPPING.get(etype, "(info)")
        target = TARGETS.get(etype)
        if target is None:
            goal, verdict = "", ""
        else:
            goal = f"{target:.2f}"
            verdict = f"{_met(gone, target)} / {_met(recall, target)}"
        print(
            f"{etype:<20}{lab:<9}{ts.total:>7}{recall:>9.3f}{gone:>7.3f}{goal:>8}  "
            f"{verdict:<22}{mism}"
        )
    kept = sc.other_kept / sc.other_words if sc.other_words else 1.0
    per_k = 1000 * (sc.other_words - sc.other_kept) / sc.all_words if sc.all_words else 0.0
    initial = sc.initial_caps_kept / sc.initial_caps if sc.initial_caps else 1.0
    print(
        f"other words kept: {sc.other_kept}/{sc.other_words} = {kept:.3f} "
        f"(target {TARGET_KEPT:.2f}: {_met(kept, TARGET_KEPT)}); "
        f"false redactions: {per_k:.1f} per 1,000 words; not idempotent: {sc.not_idempotent}"
    )
    print(
        f"capitalised other words opening a sentence or line, kept: "
        f"{sc.initial_caps_kept}/{sc.initial_caps} = {initial:.3f}"
    )
    if show_misses:
        for etype in order:
            ts = sc.by_type[etype]
            if etype in MAPPING and ts.misses:
                print(f"  missed {etype}:")
                for value, out in ts.misses:
                    print(f"    {value!r:<40} in {out[:150]!r}")
        if sc.false_examples:
            print("  other words redacted:")
            for word, out in sc.false_examples:
                print(f"    {word!r:<20} in {out[:150]!r}")


# ----------------------------------------------------------------------------------------------
# Generated texts (Faker, seeded)
# ----------------------------------------------------------------------------------------------

LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "nl_NL", "es_ES", "it_IT", "en_AU", "en_IN", "en_CA"]


class Builder:
    """Builds one text from literal pieces and labelled entity values."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.spans: list[tuple[int, int, str]] = []
        self.pos = 0

    def lit(self, s: str) -> Builder:
        self.parts.append(s)
        self.pos += len(s)
        return self

    def ent(self, s: str, etype: str) -> Builder:
        self.spans.append((self.pos, self.pos + len(s), etype))
        return self.lit(s)

    def record(self) -> Record:
        return Record(text="".join(self.parts), spans=self.spans)


def _fill(template: str, values: dict[str, tuple[str, str]]) -> Record:
    """Fill ``{key}`` slots; each value is (text, entity type), labelled at its position."""
    b = Builder()
    for piece in re.split(r"(\{\w+\})", template):
        if piece.startswith("{") and piece.endswith("}"):
            text, etype = values[piece[1:-1]]
            b.ent(text, etype)
        elif piece:
            b.lit(piece)
    return b.record()


def _group(s: str, size: int = 4, sep: str = " ") -> str:
    return sep.join(s[i : i + size] for i in range(0, len(s), size))


EMAIL_TEMPLATES = [
    "Hi, can you send the invoice to {email} please? Thanks",
    "My account email is {email} but I can't log in since the last update.",
    "Please update my contact email to {email}. The old one no longer works.",
    "You can reach me at {email} or on this chat, whichever is easier.",
    "I never got the password reset link at {email}, could you resend it?",
    "email: {email}\nOrder: 48213\nIssue: charger stopped working",
    "{name} <{email}> wrote:\n> Is there any update on my refund?",
    "The customer asked us to cc {email} on all future replies about the return.",
    "Could you check whether {email} is still subscribed to the newsletter?",
    "Sent from {email} on my phone, sorry for typos",
]
OBF_EMAIL_TEMPLATES = [
    "my email is {email} if the form doesn't work",
    "write to me at {email}, thanks",
]
SSN_TEMPLATES = [
    "My SSN is {ssn}, please verify my identity.",
    "For the tax form: social security number {ssn}.",
    "SSN: {ssn}\nDOB: 04/12/1986",
    "I already gave my social security number ({ssn}) to the other agent yesterday.",
    "The last agent asked for my SSN, it's {ssn} if you need it again.",
    "Customer provided SSN {ssn} for the credit check on order 55821.",
    "ssn {ssn} - can you confirm the account is verified now?",
    "Her social security no. is {ssn} and she called twice this week.",
]
IBAN_TEMPLATES = [
    "Please refund the $49.99 to my IBAN {iban}.",
    "My IBAN is {iban}, the transfer failed twice.",
    "Bank details for the refund: {iban} (account holder is me).",
    "Can you send the money back to {iban} instead of the card?",
    "iban: {iban}\nreference: RMA-20931",
    "The wire to {iban} bounced, what should I do?",
    "I changed banks, new account {iban} from next month.",
]
PHONE_TEMPLATES = [
    "Please call me back on {phone} after 5pm.",
    "My number is {phone}, text me when the courier is close.",
    "You can reach me at {phone} during office hours.",
    "Phone: {phone}\nBest time: mornings",
    "I tried calling {phone} but nobody picked up.",
    "Update my mobile to {phone} please.",
    "{name}\n{phone}",
    "If the chat drops again: {phone}. I'm home all day.",
    "Same as before, {phone}, ask for the billing team.",
]
CARD_TEMPLATES = [
    "I was charged twice on my card {card} for order 99812.",
    "Card number: {card}, expiry 08/27.",
    "Please block {card}, I lost my wallet.",
    "The payment with {card} keeps failing at checkout.",
]


def generate(seed: int, per_type: int) -> list[Record]:
    """Realistic sentences with EMAIL, US_SSN, IBAN, PHONE and CREDIT_CARD values, labelled."""
    fake = Faker(LOCALES)
    fake.seed_instance(seed)
    rng = random.Random(seed)
    us = fake["en_US"]
    out: list[Record] = []

    def email() -> str:
        kind = rng.randrange(4)
        if kind == 0:
            return str(fake.free_email())
        if kind == 1:
            return str(fake.company_email())
        if kind == 2:
            first, last = us.first_name().lower(), us.last_name().lower()
            sep = rng.choice([".", "_", "", "-"])
            return f"{first}{sep}{last}{rng.randrange(100)}@{fake.free_email_domain()}"
        return str(fake.email())

    def obf_email() -> str:
        user, domain = email().split("@")
        host, _, tld = domain.rpartition(".")
        style = rng.randrange(3)
        if style == 0:
            return f"{user} at {host.replace('.', ' dot ')} dot {tld}"
        if style == 1:
            return f"{user} [at] {host} [dot] {tld}"
        return f"{user}(at){domain}"

    def ssn() -> str:
        s = str(us.ssn())
        style = rng.randrange(4)
        return s if style < 3 else s.replace("-", "")

    def iban() -> str:
        loc = rng.choice(["en_GB", "de_DE", "fr_FR", "nl_NL", "es_ES", "it_IT"])
        s = str(fake[loc].iban())
        style = rng.randrange(3)
        if style == 1:
            return _group(s)
        if style == 2:
            return s.lower()
        return s

    def phone() -> str:
        loc = rng.choice(["en_US", "en_GB", "de_DE", "fr_FR", "en_AU", "en_IN", "en_CA"])
        return str(fake[loc].phone_number())

    def card() -> str:
        s = str(us.credit_card_number())
        style = rng.randrange(3)
        if style == 1:
            return _group(s)
        if style == 2:
            return _group(s, sep="-")
        return s

    gens: list[tuple[list[str], str, Callable[[], str], str]] = [
        (EMAIL_TEMPLATES, "email", email, "EMAIL_ADDRESS"),
        (SSN_TEMPLATES, "ssn", ssn, "US_SSN"),
        (IBAN_TEMPLATES, "iban", iban, "IBAN_CODE"),
        (PHONE_TEMPLATES, "phone", phone, "PHONE_NUMBER"),
        (CARD_TEMPLATES, "card", card, "CREDIT_CARD"),
    ]
    for templates, key, make, etype in gens:
        for i in range(per_type):
            tpl = templates[i % len(templates)]
            values = {key: (make(), etype), "name": (str(us.name()), "PERSON")}
            out.append(_fill(tpl, values))
    for i in range(per_type // 4):
        tpl = OBF_EMAIL_TEMPLATES[i % len(OBF_EMAIL_TEMPLATES)]
        out.append(_fill(tpl, {"email": (obf_email(), "EMAIL_ADDRESS")}))
    return out


# ----------------------------------------------------------------------------------------------
# A second labelled set: names and addresses in several locales (Faker, seeded)
# ----------------------------------------------------------------------------------------------

PEOPLE_LOCALES = [
    "en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR", "en_IN", "en_AU",
]  # fmt: skip
# Romanised names of these locales are not among the names bot/privacy/data/lexicon.txt was built
# from (Faker's first_names/last_names): a quarter of the texts use them, so the set also measures
# names the lexicon has never seen.
UNSEEN_NAME_LOCALES = ["ja_JP", "zh_CN", "zh_TW"]
UNSEEN_SHARE = 0.25
HONORIFIC_BY_LOCALE = {
    "de_DE": ["Herr", "Frau", "Dr."],
    "fr_FR": ["M.", "Mme", "Dr"],
    "es_ES": ["Sr.", "Sra.", "Dr."],
    "it_IT": ["Sig.", "Sig.ra", "Dott."],
    "nl_NL": ["dhr.", "mevr.", "Dr."],
    "pt_BR": ["Sr.", "Sra.", "Dr."],
}
HONORIFIC_EN = ["Mr.", "Mrs.", "Ms.", "Dr.", "Mr", "Ms"]
# Ordinary support text around the entities: capitalised words, products, days, months, places
# that are not an address, numbers that are not private.
FILLERS = [
    "The {product} stopped working after the update on {weekday}.",
    "I ordered it on {month} {day} and it still says processing.",
    "Your Premium Plan renews automatically at the end of the month.",
    "Order #{order} was marked as delivered but nothing arrived.",
    "Our Customer Success team will review the case within 48 hours.",
    "The app crashes when I open Settings and tap Notifications.",
    "Refund of ${price} approved, it may take 5-7 business days.",
    "Is there a discount for annual billing on the Business tier?",
    "The warehouse in {place} is closed for the holidays.",
    "Please reset the password, the link in the email has expired.",
    "We tried Chrome, Firefox and Safari with the same result.",
    "Ticket {ticket} was reopened because the issue came back.",
    "Delivery was scheduled for {weekday} morning between 8 and 12.",
    "The replacement {product} has a scratch on the screen.",
    "Happy to help! Let me know if anything else comes up.",
    "The invoice shows VAT twice, could you correct it?",
    "Shipping to {place} usually takes three to five days.",
    "Our {job} confirmed the fault is on the supplier's side.",
    "Quick update: the courier has the parcel and it is out for delivery.",
    "Thank you for your patience while we looked into this.",
]
FILLER_PRODUCTS = [
    "MacBook Air", "Galaxy Tab", "Kindle Paperwhite", "Echo Dot", "Surface Pro", "AirPods",
    "Pixel Watch", "PlayStation 5", "ThinkPad X1", "Dyson V11", "Nest Thermostat", "Roku Ultra",
]  # fmt: skip
FILLER_PLACES = [
    "London", "Berlin", "Paris", "Madrid", "Milan", "Rotterdam", "Sydney", "Mumbai", "Toronto",
    "Chicago", "Lisbon", "Dublin", "São Paulo", "Manchester", "Lyon",
]  # fmt: skip
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "March", "April", "June", "August", "October", "November", "December"]

# Templates: {p} a full name, {pl} one in lower case, {f} a given name, {l} a surname after an
# honorific {h}, {p2} {p3} more names; {street} a street line (building, street, unit), {pc} a
# postcode, {city} a city, {region} a state or province; {email} {phone} {card} {iban} {ssn}.
PEOPLE_TEMPLATES: dict[str, list[str]] = {
    "sentence": [
        "I spoke with {p} yesterday and was told the refund would take five days.",
        "{p} called again about the broken blender, second time this week.",
        "Can you check whether {p} has already received the replacement?",
        "The parcel was signed for by {p} at the front desk.",
        "Please pass this on to {p} in the billing team.",
        "hi, this is {pl}, my order never arrived and nobody answers the phone",
        "According to {p}, the courier left the box outside the garage.",
        "{h} {l} asked us to cancel the subscription before the next renewal.",
        "Escalated by {p}: the customer wants a refund, not a voucher.",
        "My neighbour {f} took the package in for me while I was away.",
        "Thanks for your help {f}, that solved it!",
        "{f}'s laptop still won't charge after the firmware update.",
        "The account belongs to {h} {l}, who is travelling until the end of the month.",
        "I am writing on behalf of my mother, {p}, who cannot use the website.",
        "Please ask {f} to send me the tracking number again.",
        "my name is {pl} and i was charged twice",
        "Spoke to {p} from the courier, they will redeliver on Friday.",
        "Could {h} {l} confirm the new delivery date by email?",
    ],
    "list": [
        "Attendees: {p}, {p2} and {p3}.",
        "Please add these users to our team account:\n- {p}\n- {p2}\n- {p3}",
        "Authorised contacts for this account:\n1. {p}\n2. {p2}",
        "On shift today: {p}, {p2}, {p3}. Escalations go to the lead.",
        "The following people can collect the order: {p} or {p2}.",
    ],
    "signature": [
        "Kind regards,\n{p}\n{street}\n{pc} {city}\nTel: {phone}\n{email}",
        "Thanks,\n{p}\n{street}, {city}\n{phone}",
        "Best,\n{f}\n\nSent from my phone",
        "Cheers\n{p}",
        "Regards,\n\n{p}\n{street}\n{city} {region} {pc}",
        "Many thanks,\n{p}\nOffice manager\nMobile: {phone}",
    ],
    "form": [
        "Name: {p}\nAddress: {street}\n{pc} {city}\nPhone: {phone}\nEmail: {email}",
        "Full name: {p}\nStreet: {street}\nCity: {city}\nPostcode: {pc}",
        "Customer: {p}\nShipping address: {street}, {pc} {city}\nOrder: #{order}",
        "Billing name: {p}\nCard: {card}\nIBAN: {iban}",
        "First name: {f}\nSurname: {l}\nAddress line 1: {street}\nTown: {city}\nPostal code: {pc}",
        "Contact person - {p}; Delivery address - {street}, {city}, {pc}",
        "Account holder: {p}\nSSN: {ssn}\nAddress: {street}, {city}, {region} {pc}",
    ],
    "address": [
        "Please ship the replacement to {street}, {city} {pc} instead.",
        "We moved last month, the new address is {street}, {pc} {city}.",
        "I live at {street} and the courier keeps going to the wrong door.",
        "The return label shows {street} but that is our old office.",
        "Deliver to:\n{street}\n{pc} {city}",
        "Can you send the invoice to our office at {street}, {city}?",
        "The driver said nobody was home at {street} on Tuesday.",
        "Update my billing address to {street}, {city}, {pc} please.",
        "It was delivered to {street} instead of my house, can you check?",
    ],
    "transcript": [
        "Customer: Hi, I'm {p}, order #{order} hasn't arrived.\n\nAgent: Sorry to hear that! "
        "Can you confirm the delivery address?\n\nCustomer: {street}, {pc} {city}\n\n"
        "Agent: Thanks, I have sent a new one today.",
        "Agent: Who am I speaking with?\nCustomer: {p}\nAgent: And the address on the account?\n"
        "Customer: {street}\n{city} {pc}\n\nAgent: Great, you're verified.",
    ],
}


def _people_locale_parts(fake: Faker, loc: str, rng: random.Random) -> dict[str, str]:
    """Street line, postcode, city and region in this locale's own shapes."""
    street = str(fake.street_address())
    if loc in ("en_US", "en_AU") and rng.random() < 0.3:
        street += " " + str(fake.secondary_address())
    region = ""
    for attr in ("state_abbr", "estado_sigla"):
        if hasattr(fake, attr):
            region = str(getattr(fake, attr)())
            break
    return {"street": street, "pc": str(fake.postcode()), "city": str(fake.city()),
            "region": region or str(fake.administrative_unit())}  # fmt: skip


def _person(fake: Faker, unseen: Faker | None) -> str:
    if unseen is not None:
        # zh_TW's romanised names come in capitals, as in a passport: written as in a sentence.
        first, last = unseen.first_romanized_name(), unseen.last_romanized_name()
        return f"{first.title()} {last.title()}"
    return f"{fake.first_name()} {fake.last_name()}"


def generate_people(seed: int, count: int) -> list[Record]:
    """Names and street addresses of several locales in sentences, lists, signatures, forms and
    transcripts, with some structured values and ordinary support sentences around them."""
    fakers = {loc: Faker(loc) for loc in [*PEOPLE_LOCALES, *UNSEEN_NAME_LOCALES]}
    for i, f in enumerate(fakers.values()):
        f.seed_instance(seed + i)
        # it_IT's cities are listed from a set, in an order that changes with the hash seed:
        # sorted, the same seed gives the same texts in every process.
        for provider in f.providers:
            cities = getattr(provider, "cities", None)
            if isinstance(cities, list):
                provider.cities = sorted(cities)
    rng = random.Random(seed)
    us = fakers["en_US"]
    layouts = list(PEOPLE_TEMPLATES)
    out: list[Record] = []
    for i in range(count):
        loc = PEOPLE_LOCALES[i % len(PEOPLE_LOCALES)]
        fake = fakers[loc]
        layout = layouts[(i // len(PEOPLE_LOCALES)) % len(layouts)]
        tpl = rng.choice(PEOPLE_TEMPLATES[layout])

        parts = _people_locale_parts(fake, loc, rng)
        unseen = fakers[rng.choice(UNSEEN_NAME_LOCALES)] if rng.random() < UNSEEN_SHARE else None
        full = _person(fake, unseen)
        surname = str(unseen.last_romanized_name().title() if unseen else fake.last_name())
        first = full.split()[0]
        values: dict[str, tuple[str, str]] = {
            "p": (full, "PERSON"),
            "pl": (full.lower(), "PERSON"),
            "p2": (_person(fake, unseen), "PERSON"),
            "p3": (_person(fake, unseen), "PERSON"),
            "f": (first, "PERSON"),
            "l": (surname, "PERSON"),
            "street": (parts["street"], "ADDRESS"),
            "pc": (parts["pc"], "ADDRESS"),
            "city": (parts["city"], "LOCATION"),
            "region": (parts["region"], "LOCATION"),
            "email": (str(fake.email()), "EMAIL_ADDRESS"),
            "phone": (str(fake.phone_number()), "PHONE_NUMBER"),
            "card": (str(us.credit_card_number()), "CREDIT_CARD"),
            "iban": (str(fake.iban()), "IBAN_CODE"),
            "ssn": (str(us.ssn()), "US_SSN"),
        }
        if layout == "form" and rng.random() < 0.3:
            # Forms are often filled in capitals.
            for key in ("p", "f", "l"):
                values[key] = (values[key][0].upper(), "PERSON")
        honorifics = HONORIFIC_BY_LOCALE.get(loc, HONORIFIC_EN)
        filled = tpl.replace("{h}", rng.choice(honorifics)).replace(
            "{order}", str(rng.randrange(10_000, 9_999_999))
        )
        filler_values = {
            "product": rng.choice(FILLER_PRODUCTS),
            "place": rng.choice(FILLER_PLACES),
            "weekday": rng.choice(WEEKDAYS),
            "month": rng.choice(MONTHS),
            "day": str(rng.randrange(1, 29)),
            "order": str(rng.randrange(10_000, 9_999_999)),
            "ticket": str(rng.randrange(100, 99_999)),
            "price": f"{rng.randrange(5, 900)}.{rng.randrange(100):02d}",
            "job": str(us.job()).lower(),
        }
        before = rng.choice(FILLERS).format_map(filler_values) if rng.random() < 0.6 else ""
        after = rng.choice(FILLERS).format_map(filler_values) if rng.random() < 0.6 else ""
        sep = "\n\n" if layout in ("signature", "form", "transcript", "list") else " "
        text = sep.join(x for x in (before, "{body}", after) if x)
        rec = _fill(text.replace("{body}", filled), values)
        rec.unseen_names = unseen is not None
        out.append(rec)
    return out


ORDINARY_TEMPLATES = [
    "Order #{order} was placed on {date} and shipped at {time}.",
    "Your order {order} totalling ${price} will arrive by {date}.",
    "Ticket #{ticket} reopened: the {product} restarts every {n} minutes.",
    "I paid €{price} for {n} items on {date} but was charged £{price2}.",
    "Version {version} of the app crashes on the {product} since {date}.",
    "Tracking number {tracking} shows it left the depot at {time} on {date}.",
    "Invoice INV-{order} for {n} licences, total {price} USD, due {date}.",
    "Refund of ${price} for order number {order} approved on {date} at {time}.",
    "My {product} (serial {serial}) stopped charging after {n} days.",
    "Case {ticket}: customer waited {n} minutes, call started {time}, rating {rating}/5.",
    "Between 2019-2021 we shipped {n},{n3} units of the {product}.",
    "The router at 192.168.{n}.{n2} drops the connection every {n2} seconds.",
    "Booking reference {booking} for {date}, {n} guests, {price} EUR paid.",
    "Please quote ticket ID {ticket} and order {order} in your reply.",
]
PRODUCTS = [
    "MacBook Pro", "Samsung Galaxy", "Google Pixel", "Amazon Kindle", "Sony 4K HDR TV",
    "Fitbit Charge", "Dell XPS", "Nintendo Switch", "Canon DSLR Camera", "Bose QuietComfort",
    "Microsoft Office", "Xbox", "GoPro Hero", "Philips Hue Lights", "Lenovo ThinkPad",
]  # fmt: skip


def ordinary(seed: int, count: int) -> list[Record]:
    """Sentences full of order numbers, prices, dates, times, ticket ids, versions (no PII)."""
    rng = random.Random(seed)
    out: list[Record] = []
    for i in range(count):
        tpl = ORDINARY_TEMPLATES[i % len(ORDINARY_TEMPLATES)]
        values = {
            "order": str(rng.randrange(10_000, 99_999_999)),
            "ticket": str(rng.randrange(100, 99_999)),
            "date": rng.choice(
                [
                    f"{rng.randrange(2019, 2026)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
                    f"{rng.randrange(1, 13)}/{rng.randrange(1, 29)}/{rng.randrange(2019, 2026)}",
                    f"{rng.randrange(1, 29):02d}.{rng.randrange(1, 13):02d}.{rng.randrange(2019, 2026)}",
                    f"{rng.randrange(1, 29)} March {rng.randrange(2019, 2026)}",
                ]
            ),
            "time": rng.choice(
                [
                    f"{rng.randrange(0, 24):02d}:{rng.randrange(0, 60):02d}",
                    f"{rng.randrange(1, 13)} pm",
                ]
            ),
            "price": rng.choice(
                [
                    f"{rng.randrange(1, 2000)}.{rng.randrange(100):02d}",
                    f"1,{rng.randrange(100, 999)}.00",
                ]
            ),
            "price2": f"{rng.randrange(1, 500)}.{rng.randrange(100):02d}",
            "n": str(rng.randrange(2, 60)),
            "n2": str(rng.randrange(2, 250)),
            "n3": f"{rng.randrange(0, 1000):03d}",
            "product": rng.choice(PRODUCTS),
            "version": f"{rng.randrange(1, 20)}.{rng.randrange(0, 30)}.{rng.randrange(0, 10)}",
            "tracking": rng.choice(
                [
                    f"1Z{rng.randrange(10**15, 10**16)}",
                    f"{rng.randrange(10**11, 10**12)}",
                    f"JD{rng.randrange(10**17, 10**18)}",
                ]
            ),
            "serial": f"SN-{rng.randrange(10**7, 10**8)}",
            "rating": str(rng.randrange(1, 6)),
            "booking": f"BK{rng.randrange(100000, 999999)}",
        }
        text = tpl.format_map(values)
        out.append(Record(text=text, spans=[]))
    return out


def tickets(limit: int) -> tuple[list[Record], list[Record]]:
    """Ticket descriptions as ordinary text, and the same with the customer named in them."""
    if not TICKETS_FILE.exists():
        return [], []
    plain: list[Record] = []
    named: list[Record] = []
    with TICKETS_FILE.open(encoding="utf-8") as fh:
        for i, row in enumerate(csv.DictReader(fh)):
            if i >= limit:
                break
            text = row["Ticket Description"].replace(
                "{product_purchased}", row["Product Purchased"]
            )
            names = (row["Customer Name"],)
            emails = (row["Customer Email"],)
            plain.append(Record(text=text, spans=[], customer_names=names, customer_emails=emails))
            name = row["Customer Name"]
            parts = [p for p in name.split() if p.rstrip(".").casefold() not in HONORIFICS]
            first = parts[0] if parts else name
            b = Builder()
            b.lit("Hi, this is ").ent(name.lower(), "PERSON").lit(" (").ent(
                emails[0].upper(), "EMAIL_ADDRESS"
            ).lit("). ").lit(text).lit("\nThanks, ").ent(first, "PERSON")
            rec = b.record()
            rec.customer_names, rec.customer_emails = names, emails
            named.append(rec)
    return plain, named


def matcher_finder(leniency: int) -> Callable[[str], list[Span]]:
    """Spans of ``PhoneNumberMatcher`` alone over ``PHONE_REGIONS`` at one leniency."""

    def find(text: str) -> list[Span]:
        spans: list[Span] = []
        for region in PHONE_REGIONS:
            for m in PhoneNumberMatcher(text, region, leniency=leniency):
                spans.append(Span(m.start, m.end, "PHONE"))
        return spans

    return find


def phone_study(sets: Sequence[tuple[str, Sequence[Record]]]) -> None:
    """PHONE recall and words kept for the matcher alone at each leniency, and for bot.privacy."""
    print(
        "\n## phone numbers: PhoneNumberMatcher alone (regions "
        + ",".join(PHONE_REGIONS)
        + ") vs bot.privacy"
    )
    header = f"{'method':<28}" + "".join(f"{name:>24}" for name, _ in sets)
    print(header)
    print(f"{'':<28}" + "".join(f"{'recall / words kept':>24}" for _ in sets))
    print("-" * len(header))
    methods: list[tuple[str, Callable[[str], list[Span]] | None]] = [
        (f"matcher {name}", matcher_finder(getattr(Leniency, name)))
        for name in ("POSSIBLE", "VALID", "STRICT_GROUPING", "EXACT_GROUPING")
    ]
    methods.append(
        ("bot.privacy (PHONE spans)", lambda t: [s for s in find_spans(t) if s.kind == "PHONE"])
    )
    for title, finder in methods:
        cells = []
        for _, records in sets:
            sc = score(records, finder=finder)
            ts = sc.by_type.get("PHONE_NUMBER")
            recall = f"{ts.caught / ts.total:.3f}" if ts and ts.total else "-"
            kept = sc.other_kept / sc.other_words if sc.other_words else 1.0
            cells.append(f"{recall} / {kept:.4f}")
        print(f"{title:<28}" + "".join(f"{c:>24}" for c in cells))


def notes_of(texts: Sequence[str], size: int, count: int) -> list[str]:
    """``count`` notes of about ``size`` characters, each made of consecutive texts."""
    notes: list[str] = []
    pos = 0
    while texts and len(notes) < count:
        parts: list[str] = []
        length = 0
        while length < size:
            t = texts[pos % len(texts)]
            pos += 1
            parts.append(t)
            length += len(t) + 2
        notes.append("\n\n".join(parts)[:size])
    return notes


def timing(title: str, texts: Sequence[str]) -> None:
    """Texts per second over ``texts``, best of 3 runs, and per-text times of the best run."""
    if not texts:
        return
    runs: list[list[float]] = []
    for _ in range(3):
        times = []
        for t in texts:
            start = time.perf_counter()
            redact(t)
            times.append(time.perf_counter() - start)
        runs.append(times)
    best = min(runs, key=sum)
    elapsed = sum(best)
    per = sorted(best)
    chars = sum(len(t) for t in texts)
    p99 = per[min(len(per) - 1, int(0.99 * len(per)))]
    print(
        f"speed, {title}: {len(texts) / elapsed:,.0f} texts/s, best of 3 runs "
        f"({len(texts)} texts, mean {chars / len(texts):.0f} chars, {elapsed:.2f} s); per text "
        f"mean {1000 * elapsed / len(texts):.2f} ms, p99 {1000 * p99:.2f} ms, "
        f"max {1000 * per[-1]:.2f} ms"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help="labelled JSON file")
    parser.add_argument("--extra", type=int, default=400, help="generated texts per thin type")
    parser.add_argument("--people", type=int, default=1500, help="generated name/address texts")
    parser.add_argument("--seed", type=int, default=20240611, help="Faker / random seed")
    parser.add_argument("--tickets", type=int, default=2000, help="ticket descriptions to use")
    parser.add_argument("--misses", type=int, default=0, help="print up to K misses per type")
    parser.add_argument("--no-phone-study", action="store_true", help="skip the leniency study")
    args = parser.parse_args(argv)

    path: Path = args.file if args.file.is_absolute() else (REPO / args.file)
    if not path.exists():
        print(f"no such file: {path}", file=sys.stderr)
        return 1
    records = load_records(path)
    print(f"file: {path}")
    print(
        f"90%chars: a labelled span is caught when >= {CAUGHT_SHARE:.0%} of its non-space "
        "characters are inside redacted spans (any label); a catch by another label is a label "
        "mismatch."
    )
    print(
        "gone: the issue's rule, a labelled span is caught when its value (stripped, any case) no "
        "longer appears at its place in the redacted text, i.e. when any of its non-space "
        "characters is redacted (see value_gone)."
    )
    print(
        "other words: \\w+ words outside every labelled span (any type); kept = no character "
        "redacted. '(info)' types have no label of ours and are shown for reference."
    )
    main_score = score(records, keep_misses=args.misses)
    print_score(f"labelled file {path.name}", main_score, show_misses=args.misses)

    people = generate_people(args.seed, args.people)
    people_score = score(people, keep_misses=args.misses)
    print_score(
        f"generated with Faker: names and addresses, {len(PEOPLE_LOCALES)} locales "
        f"(seed {args.seed})",
        people_score,
        show_misses=args.misses,
    )

    for unseen in (False, True):
        part = score([r for r in people if r.unseen_names == unseen])
        person = part.by_type["PERSON"]
        print(
            f"  PERSON, names {'from outside' if unseen else 'among'} the lexicon's sources: "
            f"gone {person.gone / person.total:.3f}, 90%chars "
            f"{person.caught / person.total:.3f} ({person.total} spans)"
        )

    extra = generate(args.seed, args.extra)
    extra_score = score(extra, keep_misses=args.misses)
    print_score(
        f"generated with Faker: thin structured types (seed {args.seed})",
        extra_score,
        show_misses=args.misses,
    )

    ordinary_records = ordinary(args.seed, 1000)
    ordinary_score = score(ordinary_records, keep_misses=args.misses)
    print_score("ordinary numbers (orders, prices, dates, times, ids)", ordinary_score,
                show_misses=args.misses)  # fmt: skip
    plain, named = tickets(args.tickets)
    plain_score = named_score = None
    if plain:
        plain_score = score(plain, keep_misses=args.misses)
        print_score("support tickets, descriptions (customer name/email passed)",
                    plain_score, show_misses=args.misses)  # fmt: skip
        named_score = score(named, keep_misses=args.misses)
        print_score("support tickets with the customer named in them (lower-case name, upper-case e-mail)",
                    named_score, show_misses=args.misses)  # fmt: skip

    if not args.no_phone_study:
        phone_records = [r for r in extra if any(t == "PHONE_NUMBER" for _, _, t in r.spans)]
        phone_study(
            [
                ("labelled file", records),
                ("generated phones", phone_records),
                ("ordinary numbers", ordinary_records),
                ("tickets", plain),
            ]
        )

    print()
    timing("labelled file", [r.text for r in records])
    timing("ticket descriptions", [r.text for r in plain])
    timing("generated names/addresses", [r.text for r in people])
    notes = notes_of([r.text for r in plain] + [r.text for r in records], 3000, 200)
    timing("3,000-character notes (tickets and labelled texts)", notes)

    print(
        "\ntargets (recall by the 'gone' rule, the 90%chars figure beside it): "
        + ", ".join(f"{t} >= {v}" for t, v in TARGETS.items())
        + f"; other words kept >= {TARGET_KEPT}"
    )
    scored = [("labelled file", main_score), ("faker people", people_score),
              ("faker structured", extra_score)]  # fmt: skip
    for title, sc in scored:
        for etype, target in TARGETS.items():
            ts = sc.by_type.get(etype)
            if ts is None or not ts.total:
                continue
            gone, recall = ts.gone / ts.total, ts.caught / ts.total
            print(
                f"  {title:<17} {etype:<14} gone {gone:.3f} ({ts.gone}/{ts.total}) — "
                f"{_met(gone, target)}; 90%chars {recall:.3f} — {_met(recall, target)}"
            )
    kept_sets = [*scored, ("ordinary numbers", ordinary_score)]
    if plain_score is not None and named_score is not None:
        kept_sets += [("tickets", plain_score), ("tickets, named", named_score)]
    for title, sc in kept_sets:
        kept = sc.other_kept / sc.other_words if sc.other_words else 1.0
        print(f"  {title:<17} other words kept {kept:.3f} — {_met(kept, TARGET_KEPT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
