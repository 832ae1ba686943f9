"""One payload's walk (its problems, block ids and largest sizes) and ``HEADROOM``, the closest
every surface came to each limit over a test run."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class _Walk:
    """Problems found so far, and the ids seen on the surface being walked."""

    problems: list[str] = field(default_factory=list)
    block_ids: Counter[str] = field(default_factory=Counter)
    sizes: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # what -> largest seen

    def add(self, pointer: str, message: str) -> None:
        self.problems.append(f"{pointer}: {message}")

    def limit(
        self, pointer: str, what: str, size: int, limit: int, unit: str = "characters"
    ) -> None:
        if size > limit:
            self.add(pointer, f"{what} is {size} {unit} (limit {limit})")
        seen = self.sizes.get(what)
        if seen is None or size / limit > seen[0] / seen[1]:
            self.sizes[what] = (size, limit, pointer)


class Headroom:
    """Per surface: how many payloads were checked and, for each limit, the closest any came
    to it (figure, limit and where). The conformance suite prints it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.kept: list[tuple[str, list[str]]] = []
        self.reset()

    def keep(self, title: str) -> None:
        """Keep the report so far under `title`, for the end of the test run."""
        self.kept.append((title, self.report()))

    def reset(self) -> None:
        with self._lock:
            self.checked: Counter[str] = Counter()
            self.calls: Counter[str] = Counter()  # Web API method -> calls checked
            self.closest: dict[str, dict[str, tuple[int, int, str]]] = {}

    def add(self, surface: str, walk: _Walk) -> None:
        with self._lock:
            self.checked[surface] += 1
            mine = self.closest.setdefault(surface, {})
            for what, (size, limit, pointer) in walk.sizes.items():
                seen = mine.get(what)
                if seen is None or size / limit > seen[0] / seen[1]:
                    mine[what] = (size, limit, pointer)

    def total(self) -> int:
        """Payloads checked so far, every surface together."""
        with self._lock:
            return sum(self.checked.values())

    def call(self, method: str) -> None:
        with self._lock:
            self.calls[method] += 1

    def report(self, top: int = 3) -> list[str]:
        """One line per surface: payloads checked and the `top` limits it came closest to."""
        with self._lock:
            lines = []
            for surface in sorted(self.checked):
                nearest = sorted(
                    self.closest.get(surface, {}).items(),
                    key=lambda item: item[1][0] / item[1][1],
                    reverse=True,
                )[:top]
                figures = "; ".join(
                    f"{what} {size:,}/{limit:,} ({size / limit:.0%})"
                    for what, (size, limit, _) in nearest
                )
                lines.append(f"{surface}: {self.checked[surface]} checked; closest: {figures}")
            calls = ", ".join(f"{m} {n}" for m, n in sorted(self.calls.items()))
            return [*lines, f"Web API calls checked against the method reference: {calls}"]


HEADROOM = Headroom()
