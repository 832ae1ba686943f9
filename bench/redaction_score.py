"""The redaction benchmark's scoring: what counts as caught (90%chars and gone), the words kept,
and one table of it all per set of texts."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.privacy.redaction import Span, find_spans, label, redact, redact_spans

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


def met(value: float, target: float) -> str:
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
            verdict = f"{met(gone, target)} / {met(recall, target)}"
        print(
            f"{etype:<20}{lab:<9}{ts.total:>7}{recall:>9.3f}{gone:>7.3f}{goal:>8}  "
            f"{verdict:<22}{mism}"
        )
    kept = sc.other_kept / sc.other_words if sc.other_words else 1.0
    per_k = 1000 * (sc.other_words - sc.other_kept) / sc.all_words if sc.all_words else 0.0
    initial = sc.initial_caps_kept / sc.initial_caps if sc.initial_caps else 1.0
    print(
        f"other words kept: {sc.other_kept}/{sc.other_words} = {kept:.3f} "
        f"(target {TARGET_KEPT:.2f}: {met(kept, TARGET_KEPT)}); "
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
