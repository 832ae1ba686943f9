"""Behaviour of `bot.privacy`: what a reader of a redacted summary or excerpt would notice."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest

from bot.privacy.redaction import KINDS, Span, find_spans, label, redact

SMALL = (
    Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "pii_generated_small.json"
)
LABELS = {f"[{k}]" for k in KINDS}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Reach me at jane.doe+shop@example.co.uk please", "Reach me at [EMAIL] please"),
        ("my email is jane dot doe at gmail dot com", "my email is [EMAIL]"),
        ("write to jdoe [at] example [dot] org", "write to [EMAIL]"),
        ("Call me at (415) 555-2671 after 5pm", "Call me at [PHONE] after 5pm"),
        ("UK office: +44 20 7946 0958.", "UK office: [PHONE]."),
        ("Mein Handy: 0151 23456789", "Mein Handy: [PHONE]"),
        ("You can call 06 12 34 56 78 tomorrow", "You can call [PHONE] tomorrow"),
        ("card 4111 1111 1111 1111 was charged twice", "card [CARD] was charged twice"),
        ("card 5500-0000-0000-0004 expired", "card [CARD] expired"),
        ("refund to 378282246310005 please", "refund to [CARD] please"),
        ("IBAN GB82 WEST 1234 5698 7654 32 thanks", "IBAN [IBAN] thanks"),
        ("iban de89370400440532013000", "iban [IBAN]"),
        ("My SSN is 123-45-6789.", "My SSN is [ID]."),
        ("social security number 123456789", "social security number [ID]"),
        ("NI number AB 12 34 56 C", "NI number [ID]"),
        ("passport number X1234567 expires soon", "passport number [ID] expires soon"),
        ("My name is Olga Petrova and I need help", "My name is [NAME] and I need help"),
        ("Please ask Dr. Kent Jaworski to call", "Please ask [NAME] to call"),
        ("Thanks,\nJennifer Lopez", "Thanks,\n[NAME]"),
        ("I'd like to add Priya Raman as a user", "I'd like to add [NAME] as a user"),
        ("Ship it to 1600 Pennsylvania Avenue NW, Washington, DC 20500.", "Ship it to [ADDRESS]."),
        ("Send it to 221B Baker Street, London NW1 6XE please.", "Send it to [ADDRESS] please."),
        ("Mail the form to PO Box 4421, Austin, TX 78701", "Mail the form to [ADDRESS]"),
        ("I live at Herengracht 182, Amsterdam", "I live at [ADDRESS]"),
    ],
)
def test_each_type_is_redacted_to_its_label(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_known_customer_name_and_email_are_redacted_in_any_case() -> None:
    names = ["Sarah Connor"]
    emails = ["Sarah.Connor@Example.com"]
    text = "hi, sarah connor here (SARAH.CONNOR@EXAMPLE.COM). CONNOR is my last name; Sarah's order"
    assert redact(text, customer_names=names, customer_emails=emails) == (
        "hi, [NAME] here ([EMAIL]). [NAME] is my last name; [NAME]'s order"
    )


def test_known_customer_name_parts_are_word_bounded() -> None:
    # "Ann" and "Lee" are parts of the name; "Annual" and "sleek" are not the name.
    out = redact("Annual plan for ann, sleek design, Lee said", customer_names=["Ann Lee"])
    assert out == "Annual plan for [NAME], sleek design, [NAME] said"


def test_name_parts_shorter_than_three_letters_are_not_matched_alone() -> None:
    assert redact("the ng box is OK", customer_names=["Jo Ng"]) == "the ng box is OK"
    assert redact("Jo Ng called", customer_names=["Jo Ng"]) == "[NAME] called"  # the full name


@pytest.mark.parametrize(
    "text",
    [
        "Order #4512 was placed on 2024-03-12 at 10:30 for $1,299.99.",
        "Your order 88213 totalling €49.95 will arrive by 14/03/2024.",
        "Ticket #4512 reopened: the Samsung Galaxy S23 restarts every 5 minutes.",
        "Refund of $23.97 for order number 2464869 approved on 09.07.2021 at 08:28.",
        "Invoice INV-1692367 for 15 licences, total 1,116.00 USD, due 22.04.2024.",
        "Tracking number 1Z999AA10123456784 left the depot at 6 pm on 19 March 2024.",
        "Version 3.2.1 of the app crashes on the Google Pixel 8 Pro since Monday.",
        "The router at 192.168.1.254 drops the connection every 30 seconds.",
        "Between 2019-2021 we shipped 12,500 units of the Apple Watch Series 9.",
        "Case 40213: customer waited 12 minutes, call started 14:05, rating 4/5.",
        "Booking reference BK482913 for 3 guests, 240 EUR paid.",
        "Fitbit Versa 4, Amazon Kindle Paperwhite and Sony WH-1000XM5 are in stock.",
    ],
)
def test_ordinary_text_is_kept(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "Will you be home to sign for it?",
        "May I also confirm the delivery address?",
        "Hope this helps. Grant access under Settings.",
        "Mark the ticket as solved once the customer confirms.",
        "Dear Customer, your replacement is on its way. Regards, The Support Team",
    ],
)
def test_ordinary_capitalised_words_at_sentence_start_are_kept(text: str) -> None:
    assert redact(text) == text


def test_luhn_failing_16_digit_numbers_are_kept() -> None:
    text = "My card 4111 1111 1111 1112 was declined, ref 1234567812345678."
    assert redact(text) == text


def test_find_spans_reports_offsets_and_kinds() -> None:
    text = "Mail jane@example.com or call 415-555-2671."
    spans = find_spans(text)
    assert spans == [Span(5, 21, "EMAIL"), Span(30, 42, "PHONE")]
    assert [text[s.start : s.end] for s in spans] == ["jane@example.com", "415-555-2671"]
    assert label("EMAIL") == "[EMAIL]"


def test_spans_are_sorted_and_disjoint_and_labels_are_the_documented_ones() -> None:
    text = (
        "Hi, I'm Olga Petrova (olga@example.com, +1 415 555 2671). Card 4111111111111111, "
        "IBAN GB82WEST12345698765432, SSN 123-45-6789, 12 Main Street, Springfield, IL 62701."
    )
    spans = find_spans(text)
    assert {s.kind for s in spans} == set(KINDS)
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))
    assert set(re.findall(r"\[[A-Z]+\]", redact(text))) == LABELS


def test_redaction_is_idempotent() -> None:
    texts = [
        "Who's coming to Costa Rica with me? Sarah Iwase, 12 Main Street, Springfield, IL 62701",
        "Thanks,\nJohn Smith\n+44 20 7946 0958\njohn@example.com",
        "Paula Bjelajac\nDemystdata\n11 Eriksbo Västergärde 98\n Suite 568\n ANGERED\n Mali\n"
        "089 72 63 41 office\n166-684-7899 fax",
        "Already redacted: [EMAIL], [PHONE], [NAME] and [ADDRESS] stay as they are.",
    ]
    if SMALL.exists():
        texts += [r["full_text"] for r in json.loads(SMALL.read_text(encoding="utf-8"))]
    for text in texts:
        once = redact(text, customer_names=["Sarah Iwase"])
        assert redact(once, customer_names=["Sarah Iwase"]) == once


def test_existing_labels_and_empty_text_pass_through() -> None:
    assert redact("") == ""
    assert find_spans("") == []
    text = "Customer [NAME] wrote from [EMAIL] about [ADDRESS]."
    assert redact(text) == text


# The labelled slice: entity types of the Presidio-style file mapped to our labels.
FLOORS = {
    "EMAIL_ADDRESS": 0.95,
    "PHONE_NUMBER": 0.95,
    "CREDIT_CARD": 0.95,
    "US_SSN": 0.95,
    "ADDRESS": 0.75,
    "PERSON": 0.6,
}


@pytest.mark.skipif(not SMALL.exists(), reason="shared/data/pii_generated_small.json is absent")
def test_recall_floor_on_the_small_labelled_file() -> None:
    """A labelled span counts as caught when >= 90% of its non-space characters are redacted."""
    records = json.loads(SMALL.read_text(encoding="utf-8"))
    caught: dict[str, int] = dict.fromkeys(FLOORS, 0)
    total: dict[str, int] = dict.fromkeys(FLOORS, 0)
    for rec in records:
        text = rec["full_text"]
        covered = [False] * len(text)
        for span in find_spans(text):
            covered[span.start : span.end] = [True] * (span.end - span.start)
        for lab in rec["spans"]:
            etype = lab["entity_type"]
            if etype not in FLOORS:
                continue
            chars = [
                i
                for i in range(lab["start_position"], lab["end_position"])
                if not text[i].isspace()
            ]
            total[etype] += 1
            caught[etype] += sum(covered[i] for i in chars) >= 0.9 * len(chars)
    for etype, floor in FLOORS.items():
        assert total[etype] > 0
        assert caught[etype] / total[etype] >= floor, (etype, caught[etype], total[etype])


def test_a_closing_parenthesis_after_a_phone_number_is_kept() -> None:
    assert redact("(call +1 415 555 0134), thanks") == "(call [PHONE]), thanks"


def test_debrief_redact_reads_stdin_and_writes_stdout() -> None:
    from click.testing import CliRunner

    from bot.cli import main

    result = CliRunner().invoke(
        main,
        ["redact", "--customer-name", "Jane Roe"],
        input="jane roe wrote from jane@example.com about order #4512\n",
    )
    assert result.exit_code == 0
    assert result.stdout == "[NAME] wrote from [EMAIL] about order #4512\n"


BLANK_LINE = re.compile(r"\n[^\S\n]*\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Customer: send it to 14 Oak Road\n\nAgent: Zendesk ticket 4412 updated",
            "Customer: send it to [ADDRESS]\n\nAgent: Zendesk ticket 4412 updated",
        ),
        (
            "Customer: ship it to 12 Main Street, Springfield\n \t\nAgent: Done, see you Monday",
            "Customer: ship it to [ADDRESS]\n \t\nAgent: Done, see you Monday",
        ),
        (
            "Customer: send it to 14 Oak Road\n\nBrighton Pier\nAgent: noted",
            "Customer: send it to [ADDRESS]\n\nBrighton Pier\nAgent: noted",
        ),
    ],
)
def test_an_address_ending_a_paragraph_keeps_the_next_turn(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_spans_of_one_kind_are_not_merged_across_a_blank_line() -> None:
    assert redact("12 Main Street,\n\nSpringfield, IL 62701") == "[ADDRESS],\n\n[ADDRESS]"
    assert redact("Jane\n\nRoe wrote", customer_names=["Jane Roe"]) == "[NAME]\n\n[NAME] wrote"
    assert redact("Jane\nRoe wrote", customer_names=["Jane Roe"]) == "[NAME] wrote"


def test_a_span_found_across_a_blank_line_is_split_there(monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.privacy.redaction

    text = "Agent: noted\nCustomer: 12 Main Street\n\n \nSpringfield\nAgent: thanks"
    start, end = text.index("12"), text.index("Springfield") + len("Springfield")
    monkeypatch.setattr(
        bot.privacy.redaction, "_candidates", lambda *a, **k: [(start, end, "ADDRESS")]
    )
    spans = find_spans(text)
    assert [text[s.start : s.end] for s in spans] == ["12 Main Street", "Springfield"]


def test_no_span_crosses_a_blank_line_in_a_transcript() -> None:
    turns = [
        "Customer: please ship it to 12 Main Street, Springfield, IL 62701",
        "Agent: Thanks Marianne Dubois, I will ship it to 4 Rue de la Paix, Paris",
        "Customer: my address is\n221B Baker Street\nLondon NW1 6XE",
        "Agent: Zendesk ticket 4412 updated, call +44 20 7946 0958 if needed",
        "Customer: Herengracht 182\nAmsterdam",
        "Agent: Regards,\nJennifer Lopez",
    ]
    if SMALL.exists():
        turns += [r["full_text"] for r in json.loads(SMALL.read_text(encoding="utf-8"))]
    for sep in ("\n\n", "\n \n", "\r\n\r\n", "\n\t\n\n"):
        text = sep.join(turns)
        for span in find_spans(text):
            assert not BLANK_LINE.search(text, span.start, span.end), text[span.start : span.end]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Send it to 12, rue de la Paix, 75002 Paris please.", "Send it to [ADDRESS] please."),
        ("Ship to Via Roma, 12 on Monday", "Ship to [ADDRESS] on Monday"),
        ("Deliver to:\nFlat 3\n12 Harley Road\nLondon", "Deliver to:\n[ADDRESS]"),
        (
            "Deliver to:\n12 Marine Drive\nMumbai 400001\n\nThanks",
            "Deliver to:\n[ADDRESS]\n\nThanks",
        ),
        ("Postal code: 01310100", "Postal code: [ADDRESS]"),
        ("address: Herengracht 182\n1016 BR Amsterdam", "address: [ADDRESS]"),
        ("I live at 490 Smith Stravenue, Lake Amy 99685.", "I live at [ADDRESS]."),
        (
            "Deliver to:\n12 Main Street\n55650 Perleberg Our officer confirmed it.",
            "Deliver to:\n[ADDRESS] Our officer confirmed it.",
        ),
        ("Customer: Via Verdi 7\nPalizzi 14037\n\nAgent: ok", "Customer: [ADDRESS]\n\nAgent: ok"),
        ("It is Kerkstraat 43, 9129 UX Beerz.", "It is [ADDRESS]."),
        ("Apt 4, 12 Main Street\n\n Norway 08093", "[ADDRESS]\n\n [ADDRESS]"),
        ("Windows 10, 2023 Edition and Galaxy S23, 2024 Update", None),
    ],
)
def test_addresses_in_european_indian_and_brazilian_shapes(text: str, expected: str | None) -> None:
    assert redact(text) == (text if expected is None else expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Can you check whether Yosuke Nakamura got it?", "Can you check whether [NAME] got it?"),
        (
            "First name: LAMBERTO\nSurname: PIRANDELLO\nTown: Monteiasi",
            "First name: [NAME]\nSurname: [NAME]\nTown: Monteiasi",
        ),
        ("Account holder: GANG LONG\nPlan: Pro", "Account holder: [NAME]\nPlan: Pro"),
        (
            "Contact person - Ana Souza; Delivery by Friday",
            "Contact person - [NAME]; Delivery by Friday",
        ),
        ("Hi, I'm Nova van de Klashorst, order 7038564", "Hi, I'm [NAME], order 7038564"),
        ("Mevr. Pastoors asked us to cancel", "[NAME] asked us to cancel"),
    ],
)
def test_names_from_outside_the_faker_lists_and_in_form_fields(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Customer: Great, thanks\nCustomer: Sorry, one more thing",
        "Name: Premium Plan\nUser: Admin",
        "Shipping to São Paulo takes a week.",
        "The bots were very happy with more than one item.",
        "Our Thai and Swiss customers need the new invoice.",
    ],
)
def test_name_rules_keep_ordinary_words(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Hyphenated street names end in a full street type.
        ("Parcel for Albert-Schweitzer-Straße 12 arrived.", "Parcel for [ADDRESS] arrived."),
        ("We were at Konrad-Adenauer-Ring 5-7 on Tuesday.", "We were at [ADDRESS] on Tuesday."),
        # USPS street suffixes (Publication 28), weak where they are English words.
        ("The box went to 40 Perkins Greens, Leeds.", "The box went to [ADDRESS]."),
        ("Customer: 841 Robinson Lights\nBristol BS1 4DJ", "Customer: [ADDRESS]"),
        ("I paid 3 Support Center fees, 2 Apple Store visits.", None),
        # A postcode and town vouch for the street before them (on its line after a comma, or on
        # the line above) and are an address themselves on a line of their own.
        ("Customer: rue des Lilas, 75011 Paris\n\nAgent: ok", "Customer: [ADDRESS]\n\nAgent: ok"),
        ("Customer: chemin des Vignes\nSaint-Rémy-de-Provence 13210", "Customer: [ADDRESS]"),
        ("Customer: Jardim das Flores, 01310100 Mooca", "Customer: [ADDRESS]"),
        ("Customer: 571 Ocean Pass\nBondi 2026", "Customer: [ADDRESS]"),
        (
            "Kind regards,\nAsha Rao\n12\nKamala Nagar\n560034 Bengaluru\nTel: 0201234567",
            "Kind regards,\n[NAME]\n[ADDRESS]\nTel: [PHONE]",
        ),
        ("Regards,\nMuzaffarnagar Uttar Pradesh 251001", "Regards,\n[ADDRESS]"),
        ("Since March, 2024 Sales grew and 12345 Units shipped.", None),
        ("Order 12345 Shipped today. Ticket 96856 was reopened.", None),
        # A form's next field is no part of the address before it.
        (
            "Street: Kerkstraat 12\nCity: Utrecht\nPostcode: 3512 AB",
            "Street: [ADDRESS]\nCity: Utrecht\nPostcode: [ADDRESS]",
        ),
        (
            "Address: 12 Harley Road\nTown: Leeds\nPostal code: LS1 4DJ",
            "Address: [ADDRESS]\nTown: Leeds\nPostal code: [ADDRESS]",
        ),
        # Cues: a street field, "our office at", "home at", "Delivery address - ".
        ("Street: Molenpad 8\nCity: Utrecht", "Street: [ADDRESS]\nCity: Utrecht"),
        ("Send it to our office at Brinkpad 649, Nijega?", "Send it to our office at [ADDRESS]?"),
        (
            "Nobody was home at 43, Bail Ganj on Tuesday.",
            "Nobody was home at [ADDRESS] on Tuesday.",
        ),
        (
            "Contact person - Pierre Roy; Delivery address - 45, avenue de Bernard, Nantes",
            "Contact person - [NAME]; Delivery address - [ADDRESS]",
        ),
        (
            "I live at H.No. 53\nKhosla and the courier keeps going to the wrong door.",
            "I live at [ADDRESS] and the courier keeps going to the wrong door.",
        ),
        ("I will be home at 5 pm, our office at Main Campus opens at 9.", None),
        # Dutch glued types; "pad" only after a stem that is no English word or brand.
        ("Thanks,\nAnna\nBeukendreef 23, Zeist", "Thanks,\n[NAME]\n[ADDRESS]"),
        (
            "The courier left it at Kerksteeg 4 yesterday.",
            "The courier left it at [ADDRESS] yesterday.",
        ),
        ("Kingsgate 5, Hauptring 12", "[ADDRESS]"),
        ("My iPad 2, Keypad 3 and ThinkPad 5 broke; Notepad 2 too, Touchpad 4.", None),
        # Indian street and neighbourhood words, apart from the name only.
        (
            "The label shows 38\nAhuja Ganj but that is our old office.",
            "The label shows [ADDRESS] but that is our old office.",
        ),
        ("Thanks,\nRavi\n42\nLall Nagar, Vijayawada", "Thanks,\n[NAME]\n[ADDRESS]"),
        ("We met in Muzaffarnagar 2 years ago.", None),
        # A comma or a line break after the house number; a unit or building number first.
        ("Send it to 07/331, Gandhi Road please.", "Send it to [ADDRESS] please."),
        ("It went to 970\nHarley Circle, not to me.", "It went to [ADDRESS], not to me."),
        (
            "Regards,\nPriya Shah\nH.No. 27\nStation Road\nTel: 0201234567",
            "Regards,\n[NAME]\n[ADDRESS]\nTel: [PHONE]",
        ),
        (
            "I live at Studio 5\nMarsh Lane and the courier never finds it.",
            "I live at [ADDRESS] and the courier never finds it.",
        ),
    ],
)
def test_street_address_shapes(text: str, expected: str | None) -> None:
    assert redact(text) == (text if expected is None else expected)
