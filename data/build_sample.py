"""Build Debrief's bundled demo data set, ``data/sample/conversations.csv``.

Run from anywhere (standard library only)::

    python data/build_sample.py                      # --end defaults to the Sunday before today
    python data/build_sample.py --end 2025-06-01     # data ends in the week ending that Sunday
    python data/build_sample.py --report             # also print weekly means, trends, candidates

Input: ``data/sample/calls_source.csv`` (a byte-for-byte copy of the PwC call-centre exercise
data) and ``data/sample/transcripts.jsonl`` (hand-written transcripts, merged by external id).
Output: one row per rated call in the import format of SPEC §4. Every rule applied is written
down in ``data/README.md``; the constants below are its parameters. The result depends only on
the input files and on ``--end``, never on the current date or on anything random that is not
seeded.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import statistics
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLE_DIR = HERE / "sample"
SOURCE_CSV = SAMPLE_DIR / "calls_source.csv"
TRANSCRIPTS_JSONL = SAMPLE_DIR / "transcripts.jsonl"
OUTPUT_NAME = "conversations.csv"

HEADER = (
    "helpdesk",
    "external_id",
    "agent",
    "agent_email",
    "closed_at",
    "csat",
    "queue",
    "tags",
    "transcript",
    "customer_name",
    "customer_email",
    "url",
)
HELPDESK = "zendesk"
EXTERNAL_ID_OFFSET = 10_000  # ID0001 -> 10001 ... ID5000 -> 15000

# Surnames chosen for this project; the first names are the ones in the source data.
SURNAMES = {
    "Becky": "Ortiz",
    "Dan": "Whitfield",
    "Diane": "Kowalski",
    "Greg": "Mensah",
    "Jim": "Castellano",
    "Joe": "Nakamura",
    "Martha": "Lindqvist",
    "Stewart": "Adeyemi",
}
EMAIL_DOMAIN = "example.com"

# The documented decline (data/README.md, "Decline").
DECLINING_AGENTS = ("Becky", "Stewart")
DECLINE_WEEKS = 7  # the last seven calendar weeks (Monday-Sunday) of the whole data set
DECLINE_STEP = 0.18  # target: weekly mean <= baseline - DECLINE_STEP * k in week k (1..7)
SEED = "debrief-demo-2021"  # per agent: random.Random(f"{SEED}:{first name}")

# Transcript candidates (data/README.md, "Transcripts"), chosen on the unshifted data.
TRANSCRIPT_WEEKS = 2  # the last two calendar weeks of the data set
TRANSCRIPTS_PER_DECLINING_AGENT = 14
TRANSCRIPTS_PER_OTHER_AGENT = 2

TREND_WEEKS = 6  # the window --report uses for Kendall's tau of week index vs weekly mean


@dataclass
class Call:
    """One rated call of the source data, with its (possibly lowered) rating."""

    call_id: str
    agent: str
    day: date
    time: str
    topic: str
    resolved: bool
    original_csat: int
    csat: int

    @property
    def number(self) -> int:
        return int(self.call_id.removeprefix("ID"))

    @property
    def external_id(self) -> str:
        return str(EXTERNAL_ID_OFFSET + self.number)

    @property
    def week(self) -> date:
        """The Monday of the call's (unshifted) calendar week."""
        return self.day - timedelta(days=self.day.weekday())


@dataclass(frozen=True)
class Transcript:
    external_id: str
    ticket_source_row: int
    customer_name: str
    customer_email: str
    transcript: str


# --------------------------------------------------------------------------- reading


def read_calls(source: Path = SOURCE_CSV) -> list[Call]:
    """The rated calls of the source CSV, in file (= call id) order."""
    calls: list[Call] = []
    with source.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            rating = row["Satisfaction rating"].strip()
            if not rating:  # unanswered calls carry no rating
                continue
            csat = round(float(rating))
            if not 1 <= csat <= 5:
                raise ValueError(f"{source}: {row['Call Id']}: rating {rating!r} is not 1-5")
            calls.append(
                Call(
                    call_id=row["Call Id"],
                    agent=row["Agent"],
                    day=date.fromisoformat(row["Date"]),
                    time=row["Time"],
                    topic=row["Topic"],
                    resolved=row["Resolved"] == "Y",
                    original_csat=csat,
                    csat=csat,
                )
            )
    return calls


def read_transcripts(path: Path = TRANSCRIPTS_JSONL) -> list[Transcript]:
    if not path.exists():
        return []
    out: list[Transcript] = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            obj = json.loads(line)
            try:
                out.append(
                    Transcript(
                        external_id=str(obj["external_id"]),
                        ticket_source_row=int(obj["ticket_source_row"]),
                        customer_name=str(obj["customer_name"]),
                        customer_email=str(obj["customer_email"]),
                        transcript=str(obj["transcript"]),
                    )
                )
            except KeyError as exc:
                raise ValueError(f"{path}:{lineno}: missing key {exc}") from None
    return out


# --------------------------------------------------------------------------- rules


def data_weeks(calls: Iterable[Call]) -> list[date]:
    """Every calendar week (its Monday) from the first to the last call, in order."""
    days = [c.day for c in calls]
    first = min(days) - timedelta(days=min(days).weekday())
    last = max(days) - timedelta(days=max(days).weekday())
    return [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]


def apply_decline(calls: Sequence[Call]) -> None:
    """Lower the ratings of DECLINING_AGENTS over the last DECLINE_WEEKS weeks, in place.

    Baseline: the agent's mean rating over every call before the window. In week k (1..7) of
    the window the target is ``baseline - DECLINE_STEP * k``; while the agent's mean rating
    that week is above the target, one of that week's calls with a rating above 1 is drawn at
    random (``random.Random(f"{SEED}:{agent}")``, calls in call-id order) and its rating is
    lowered by one point. Weeks already at or below their target are left as they are.
    """
    window = data_weeks(calls)[-DECLINE_WEEKS:]
    for agent in DECLINING_AGENTS:
        rng = random.Random(f"{SEED}:{agent}")
        mine = [c for c in calls if c.agent == agent]
        baseline = statistics.fmean(c.csat for c in mine if c.week < window[0])
        for k, week in enumerate(window, 1):
            target = baseline - DECLINE_STEP * k
            that_week = [c for c in mine if c.week == week]
            total = sum(c.csat for c in that_week)
            while that_week and total / len(that_week) > target:
                eligible = [c for c in that_week if c.csat > 1]
                if not eligible:
                    break
                rng.choice(eligible).csat -= 1
                total -= 1


def transcript_candidates(calls: Sequence[Call]) -> list[Call]:
    """The calls that get a hand-written transcript, chosen on the unshifted data.

    From the last TRANSCRIPT_WEEKS calendar weeks of the data set, for each agent, the calls
    with the lowest rating (after the decline), lowest first and then the most recent (highest
    call id) first: the first TRANSCRIPTS_PER_DECLINING_AGENT of each declining agent and the
    first TRANSCRIPTS_PER_OTHER_AGENT of every other agent. Returned in call-id order.
    """
    recent = set(data_weeks(calls)[-TRANSCRIPT_WEEKS:])
    chosen: list[Call] = []
    for agent in sorted({c.agent for c in calls}):
        pool = sorted(
            (c for c in calls if c.agent == agent and c.week in recent),
            key=lambda c: (c.csat, -c.number),
        )
        quota = (
            TRANSCRIPTS_PER_DECLINING_AGENT
            if agent in DECLINING_AGENTS
            else TRANSCRIPTS_PER_OTHER_AGENT
        )
        chosen.extend(pool[:quota])
    return sorted(chosen, key=lambda c: c.number)


def default_end(today: date | None = None) -> date:
    """The Sunday before today, UTC (strictly before: on a Sunday, the one a week earlier)."""
    return sunday_on_or_before((today or datetime.now(UTC).date()) - timedelta(days=1))


def sunday_on_or_before(day: date) -> date:
    return day - timedelta(days=(day.weekday() + 1) % 7)


def shift_for(calls: Iterable[Call], end: date) -> timedelta:
    """Whole weeks that move the last call into the week (Monday-Sunday) ending ``end``.

    ``end`` is first moved back to the Sunday on or before it.
    """
    last_day = max(c.day for c in calls)
    last_sunday = last_day + timedelta(days=6 - last_day.weekday())
    return sunday_on_or_before(end) - last_sunday


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def agent_name(first: str) -> str:
    return f"{first} {SURNAMES[first]}"


def agent_email(first: str) -> str:
    return f"{first.lower()}.{SURNAMES[first].lower()}@{EMAIL_DOMAIN}"


# --------------------------------------------------------------------------- build


def prepare(
    source: Path = SOURCE_CSV,
) -> list[Call]:
    """The source calls with the decline applied (independent of any date)."""
    calls = read_calls(source)
    unknown = sorted({c.agent for c in calls} - SURNAMES.keys())
    if unknown:
        raise ValueError(f"{source}: agents without a surname: {', '.join(unknown)}")
    apply_decline(calls)
    return calls


def build(
    end: date | None = None,
    out_dir: Path = SAMPLE_DIR,
    source: Path = SOURCE_CSV,
    transcripts: Path = TRANSCRIPTS_JSONL,
) -> Path:
    """Write ``out_dir/conversations.csv`` and return its path."""
    end = end or default_end()
    calls = prepare(source)
    shift = shift_for(calls, end)

    by_id = {t.external_id: t for t in read_transcripts(transcripts)}
    candidates = {c.external_id for c in transcript_candidates(calls)}
    stray = sorted(set(by_id) - candidates)
    if stray:
        raise ValueError(f"{transcripts}: external ids that are not candidates: {stray}")
    for entry in by_id.values():
        if entry.customer_name not in entry.transcript:
            raise ValueError(f"{transcripts}: {entry.external_id}: transcript lacks customer name")

    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / OUTPUT_NAME
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(HEADER)
        for c in calls:
            closed = datetime.combine(c.day + shift, datetime.strptime(c.time, "%H:%M:%S").time())
            t = by_id.get(c.external_id)
            writer.writerow(
                (
                    HELPDESK,
                    c.external_id,
                    agent_name(c.agent),
                    agent_email(c.agent),
                    closed.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    c.csat,
                    c.topic,
                    f"topic:{slug(c.topic)};resolved:{'yes' if c.resolved else 'no'}",
                    t.transcript if t else "",
                    t.customer_name if t else "",
                    t.customer_email if t else "",
                    "",
                )
            )
    return out


# --------------------------------------------------------------------------- report


def kendall_tau(values: Sequence[float]) -> float:
    """Kendall's tau-b of (index, value); 0.0 when undefined."""
    n = len(values)
    conc = disc = ties = 0
    for i in range(n):
        for j in range(i + 1, n):
            d = values[j] - values[i]
            if d > 0:
                conc += 1
            elif d < 0:
                disc += 1
            else:
                ties += 1
    pairs = n * (n - 1) // 2
    denom = (pairs * (pairs - ties)) ** 0.5
    return (conc - disc) / denom if denom else 0.0


def weekly(calls: Iterable[Call], original: bool) -> dict[str, dict[date, list[int]]]:
    table: dict[str, dict[date, list[int]]] = defaultdict(lambda: defaultdict(list))
    for c in calls:
        table[c.agent][c.week].append(c.original_csat if original else c.csat)
    return table


def dips(means: Sequence[float | None], overall: float) -> list[int]:
    """Indexes of one-week dips that recover.

    A dip is a full week (not the partial first or last one) whose mean is at least 0.3 below
    the agent's overall mean while the week after is back within 0.1 of it (or above).
    """
    found = []
    for i in range(1, len(means) - 2):
        m, after = means[i], means[i + 1]
        if m is not None and after is not None and m <= overall - 0.3 and after >= overall - 0.1:
            found.append(i)
    return found


def report(end: date, source: Path = SOURCE_CSV) -> str:
    calls = prepare(source)
    shift = shift_for(calls, end)
    weeks = data_weeks(calls)
    lines: list[str] = []
    lines.append(f"shift: {shift.days // 7} weeks; data ends in the week ending {end}")
    lines.append(f"{len(calls)} rated calls; weeks by Monday (unshifted -> shifted):")
    lines.append(
        "  " + "  ".join(f"{i}:{w:%m-%d}->{w + shift:%Y-%m-%d}" for i, w in enumerate(weeks))
    )
    for label, original in (("before (source)", True), ("after (demo)", False)):
        lines.append("")
        lines.append(f"weekly mean CSAT / count, {label}:")
        lines.append("agent    " + " ".join(f"{'w' + str(i):>7}" for i in range(len(weeks))))
        table = weekly(calls, original)
        for agent in sorted(table):
            cells = []
            means: list[float | None] = []
            for w in weeks:
                vals = table[agent].get(w, [])
                m = statistics.fmean(vals) if vals else None
                means.append(m)
                cells.append(f"{m:.2f}/{len(vals):<2d}" if m is not None else "      -")
            tail = [m for m in means[-TREND_WEEKS:] if m is not None]
            tau = kendall_tau(tail)
            overall = statistics.fmean(v for vals in table[agent].values() for v in vals)
            dip = ",".join(f"w{i}" for i in dips(means, overall)) or "-"
            lines.append(
                f"{agent:8} "
                + " ".join(cells)
                + f"  all={overall:.2f} tau{TREND_WEEKS}={tau:+.2f} dips={dip}"
            )
    lines.append("")
    lines.append("transcript candidates (external_id agent unshifted-date csat topic resolved):")
    for c in transcript_candidates(calls):
        lines.append(
            f"  {c.external_id} {c.agent:8} {c.day} {c.csat} {c.topic} "
            f"{'resolved' if c.resolved else 'unresolved'}"
        )
    return "\n".join(lines)


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {value!r}") from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--end",
        type=_parse_date,
        default=None,
        help="the Sunday ending the week of the last call (default: the Sunday before today)",
    )
    parser.add_argument("--out", type=Path, default=SAMPLE_DIR, help="output directory")
    parser.add_argument(
        "--report", action="store_true", help="print weekly means, trends and candidates"
    )
    args = parser.parse_args(argv)
    end = sunday_on_or_before(args.end) if args.end else default_end()
    try:
        path = build(end=end, out_dir=args.out)
    except (OSError, ValueError) as exc:
        print(f"build_sample: {exc}", file=sys.stderr)
        return 1
    if args.report:
        print(report(end))
    print(f"wrote {path} (data ends in the week ending {end})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
