"""The redaction benchmark's own rules: what counts as caught, and that its sets are fixed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.redaction_people import generate_people
from bench.redaction_score import value_gone
from bot.privacy.redaction import Span


def test_a_value_is_gone_when_any_of_it_is_redacted_at_its_place() -> None:
    text = "Ask Jane Roe, 12 Main Street. Jane Roe knows."
    start, end = 4, 12  # the first "Jane Roe"
    assert not value_gone(text, [], start, end, "Jane Roe")
    assert value_gone(text, [Span(4, 12, "NAME")], start, end, "Jane Roe")
    assert value_gone(text, [Span(9, 12, "NAME")], start, end, " jane roe ")
    # Only the place counts: redacting the copy at 30 leaves the value there.
    assert not value_gone(text, [Span(30, 38, "NAME")], start, end, "Jane Roe")
    # Spans before the value shift its place in the output.
    street = text.index("12 Main")
    spans = [Span(4, 12, "NAME")]
    assert not value_gone(text, spans, street, street + 14, "12 Main Street")
    spans.append(Span(street, street + 14, "ADDRESS"))
    assert value_gone(text, spans, street, street + 14, "12 main street")


def test_the_generated_people_set_is_the_same_on_every_run() -> None:
    one, two = generate_people(7, 60), generate_people(7, 60)
    assert [(r.text, r.spans) for r in one] == [(r.text, r.spans) for r in two]
    kinds = {t for r in one for _, _, t in r.spans}
    assert {"PERSON", "ADDRESS"} <= kinds
    for rec in one:
        for start, end, _ in rec.spans:
            assert rec.text[start:end].strip()


def test_the_generated_people_set_does_not_change_with_the_hash_seed() -> None:
    """Faker lists it_IT's cities from a set; the bench sorts them, so no process differs."""
    script = (
        "import hashlib\n"
        "from bench.redaction_people import generate_people\n"
        "texts = [r.text for r in generate_people(7, 200)]\n"
        "print(hashlib.sha256('\\x00'.join(texts).encode()).hexdigest())\n"
    )
    repo = Path(__file__).resolve().parent.parent
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=repo,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(digests) == 1
