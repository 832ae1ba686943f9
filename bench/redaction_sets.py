"""The texts the redaction benchmark scores: the labelled file, Faker-generated sentences with
the structured kinds thin in it, sentences full of ordinary numbers, and support tickets (the
generated names and addresses: bench/redaction_people.py)."""

from __future__ import annotations

import csv
import json
import random
import re
from collections.abc import Callable
from pathlib import Path

from faker import Faker

from bench.redaction_score import Record

REPO = Path(__file__).resolve().parent.parent
DEFAULT_FILE = REPO.parent / "shared" / "data" / "pii_generated_large.json"
TICKETS_FILE = REPO.parent / "shared" / "data" / "customer_support_tickets.csv"
HONORIFICS = {"mr", "mrs", "ms", "miss", "dr", "prof"}


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


def fill(template: str, values: dict[str, tuple[str, str]]) -> Record:
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
            out.append(fill(tpl, values))
    for i in range(per_type // 4):
        tpl = OBF_EMAIL_TEMPLATES[i % len(OBF_EMAIL_TEMPLATES)]
        out.append(fill(tpl, {"email": (obf_email(), "EMAIL_ADDRESS")}))
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
