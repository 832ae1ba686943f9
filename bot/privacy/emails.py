"""EMAIL: plain e-mail addresses and spelled-out ones (``jane at example dot com``)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from bot.privacy.lexicon import _words

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
