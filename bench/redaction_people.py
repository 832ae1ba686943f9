"""The redaction benchmark's second labelled set: person names and street addresses of several
locales (Faker, seeded), in sentences, lists, signatures, forms and transcripts."""

from __future__ import annotations

import random

from faker import Faker

from bench.redaction_score import Record
from bench.redaction_sets import fill

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
        rec = fill(text.replace("{body}", filled), values)
        rec.unseen_names = unseen is not None
        out.append(rec)
    return out
