"""QA rubrics: a YAML file of criteria, validated, approved by a lead as a new numbered version.

Only an approved version is ever scored against (the newest one); every draft records it.
A rubric file looks like ``bot/rubrics/default.yaml``::

    name: Support conversation quality
    criteria:
      - key: tone_empathy          # lowercase letters, digits, underscores
        name: Tone and empathy
        description: What is judged.
        good: What good looks like.
        scale: 4                   # the maximum score, an integer from 1 to 10
        weight: 1.5                # relative weight, above 0
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.core.audit import record
from bot.core.errors import InvalidInput, OutOfScope
from bot.core.scope import Viewer
from bot.core.text import unstorable
from models import Rubric

MAX_CRITERIA = 20
MAX_SCALE = 10
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_FIELDS = ("key", "name", "description", "good", "scale", "weight")
_TEXT_LIMITS = {"name": 120, "description": 1000, "good": 1000}


class RubricError(InvalidInput):
    """A rubric file that can't be used; the message is one line saying why."""

    def __init__(self, message: str) -> None:
        super().__init__("rubric", message)


@dataclass(frozen=True)
class Criterion:
    """One thing a conversation is scored on, from 0 to `scale`."""

    key: str
    name: str
    description: str
    good: str
    scale: int
    weight: float


@dataclass(frozen=True)
class RubricSpec:
    """A validated rubric: its name, criteria and (once approved) version."""

    name: str
    criteria: tuple[Criterion, ...]
    version: int | None = None

    def criterion(self, key: str) -> Criterion | None:
        """The criterion with this key, if any."""
        return next((c for c in self.criteria if c.key == key), None)

    def criteria_json(self) -> list[dict[str, Any]]:
        """The criteria as stored on the Rubric row."""
        return [asdict(c) for c in self.criteria]


def default_rubric_path() -> Path:
    """The bundled default rubric."""
    return Path(str(resources.files("bot") / "rubrics" / "default.yaml"))


def _criterion(index: int, raw: Any) -> Criterion:
    where = f"criterion {index + 1}"
    if not isinstance(raw, dict):
        raise RubricError(f"{where} is not a mapping of {', '.join(_FIELDS)}")
    unknown = sorted(set(map(str, raw)) - set(_FIELDS))
    if unknown:
        raise RubricError(f"{where} has unknown field(s) {', '.join(unknown)}")
    missing = [f for f in _FIELDS if raw.get(f) is None or raw.get(f) == ""]
    if missing:
        raise RubricError(f"{where} lacks {', '.join(missing)}")
    key = str(raw["key"]).strip()
    if not _KEY.match(key):
        raise RubricError(
            f"{where}: key {key!r} must be lowercase letters, digits and underscores "
            "(starting with a letter, at most 40)"
        )
    texts: dict[str, str] = {}
    for name, limit in _TEXT_LIMITS.items():
        value = raw[name]
        if not isinstance(value, str) or not value.strip():
            raise RubricError(f"{where} ({key}): {name} must be text")
        if why := unstorable(value, multiline=True):
            raise RubricError(f"{where} ({key}): {name} {why}")
        text = " ".join(value.split())
        if len(text) > limit:
            raise RubricError(f"{where} ({key}): {name} is longer than {limit} characters")
        texts[name] = text
    scale = raw["scale"]
    if isinstance(scale, bool) or not isinstance(scale, int) or not 1 <= scale <= MAX_SCALE:
        raise RubricError(f"{where} ({key}): scale must be a whole number from 1 to {MAX_SCALE}")
    weight = raw["weight"]
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < weight <= 100:
        raise RubricError(f"{where} ({key}): weight must be a number above 0 (at most 100)")
    return Criterion(key=key, scale=scale, weight=float(weight), **texts)


def parse_rubric(text: str, *, source: str = "rubric") -> RubricSpec:
    """Validate rubric YAML; RubricError (one line) says what is wrong."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise RubricError(f"{source} is not valid YAML{at}") from None
    if not isinstance(data, dict):
        raise RubricError(f"{source} must be a mapping with name and criteria")
    unknown = sorted(set(map(str, data)) - {"name", "criteria"})
    if unknown:
        raise RubricError(f"{source} has unknown top-level field(s) {', '.join(unknown)}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RubricError(f"{source} lacks a name")
    if why := unstorable(name):
        raise RubricError(f"{source}: name {why}")
    if len(name.strip()) > 200:
        raise RubricError(f"{source}: name is longer than 200 characters")
    raw_criteria = data.get("criteria")
    if not isinstance(raw_criteria, list) or not raw_criteria:
        raise RubricError(f"{source} lacks criteria (a list of at least one criterion)")
    if len(raw_criteria) > MAX_CRITERIA:
        raise RubricError(f"{source} has more than {MAX_CRITERIA} criteria")
    criteria = tuple(_criterion(i, raw) for i, raw in enumerate(raw_criteria))
    seen: set[str] = set()
    for c in criteria:
        if c.key in seen:
            raise RubricError(f"{source}: criterion key {c.key!r} is used twice")
        seen.add(c.key)
    return RubricSpec(name=" ".join(name.split()), criteria=criteria)


def load_rubric_file(path: Path) -> tuple[RubricSpec, str]:
    """The validated rubric in a file and the file's sha256."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RubricError(f"can't read {path} ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise RubricError(f"{path} is not UTF-8 text") from None
    return parse_rubric(text, source=path.name), hashlib.sha256(data).hexdigest()


def spec_of(rubric: Rubric) -> RubricSpec:
    """The RubricSpec of an approved Rubric row."""
    criteria = tuple(
        Criterion(
            key=str(c["key"]),
            name=str(c["name"]),
            description=str(c["description"]),
            good=str(c["good"]),
            scale=int(c["scale"]),
            weight=float(c["weight"]),
        )
        for c in rubric.criteria
    )
    return RubricSpec(name=rubric.name, criteria=criteria, version=rubric.version)


def approve_rubric(*, session: Session, actor: Viewer, path: Path | None) -> Rubric:
    """Approve a rubric file (the bundled default without one) as the next version.

    Only owners and admins approve; each approval is a new version, even of the same file,
    and is kept in the audit trail with the file's sha256.
    """
    if not actor.is_lead:
        raise OutOfScope("Only owners and admins can approve a QA rubric.")
    spec, digest = load_rubric_file(path or default_rubric_path())
    newest = session.scalar(select(func.max(Rubric.version))) or 0
    rubric = Rubric(
        version=newest + 1,
        name=spec.name,
        criteria=spec.criteria_json(),
        source_sha256=digest,
        approved_by=actor.slack_user_id,
    )
    session.add(rubric)
    session.flush()
    record(
        session=session,
        actor=actor.slack_user_id,
        action="rubric.approve",
        entity="rubric",
        entity_id=rubric.id,
        after={
            "version": rubric.version,
            "name": rubric.name,
            "criteria": [c.key for c in spec.criteria],
            "sha256": digest,
            "file": str(path) if path is not None else "default",
        },
    )
    return rubric


def current_rubric(session: Session) -> Rubric | None:
    """The newest approved rubric, or None when none has been approved."""
    return session.scalar(select(Rubric).order_by(Rubric.version.desc()).limit(1))
