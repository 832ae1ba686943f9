"""ID: national identifiers (SSNs, UK NI numbers, numbers said to be ids, checksummed ids)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from stdnum.br import cpf as _stdnum_cpf
from stdnum.es import dni as _stdnum_dni
from stdnum.es import nie as _stdnum_nie
from stdnum.fi import hetu as _stdnum_hetu
from stdnum.fr import nir as _stdnum_nir
from stdnum.in_ import aadhaar as _stdnum_aadhaar
from stdnum.in_ import pan as _stdnum_pan
from stdnum.it import codicefiscale as _stdnum_cf
from stdnum.se import personnummer as _stdnum_pnr

_SSN_RE: Final = re.compile(r"(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])")
_SSN_CTX_RE: Final = re.compile(
    r"(?i)\b(?:ssn|ss#|ss\s+(?:number|no)|social\s+security(?:\s+(?:number|no\.?|#|num))?|"
    r"soc\.?\s*sec\.?(?:\s+(?:number|no\.?|#))?|itin|tin|ein)\b[^\d\n]{0,25}?"
    r"(?P<num>(?<!\d)\d{3}[ .-]?\d{2}[ .-]?\d{4}(?!\d))"
)
_NINO_RE: Final = re.compile(
    r"(?i)(?<![\w])(?!bg|gb|kn|nk|nt|tn|zz)[a-ceghj-pr-tw-z][a-ceghj-npr-tw-z]"
    r"\s?\d{2}\s?\d{2}\s?\d{2}\s?[a-d](?!\w)"
)
_ID_CTX_RE: Final = re.compile(
    r"(?i)\b(?:passport|driver'?s?\s+licen[cs]e|driving\s+licen[cs]e|licen[cs]e\s+(?:number|no\b)|"
    r"national\s+(?:id|identity|identification|insurance)|id\s+card|identity\s+(?:card|number|document)|"
    r"tax\s+(?:id|identification|file|number|code)|social\s+insurance|sin|ni\s+number|nino|dni|nie|nif|"
    r"aadhaa?r|pan\s+(?:card|number|no)|bsn|personnummer|cpf|curp|steuer-?id|codice\s+fiscale|"
    r"medicare\s+(?:number|card)|nhs\s+(?:number|no)|health\s+(?:card|insurance)\s+(?:number|no))\b"
    r"(?:[\s:#.=-]|\b(?:number|no|num|is|was|card|id)\b)*"
    r"(?P<num>(?=[A-Za-z0-9-]*\d)[A-Za-z0-9](?:[A-Za-z0-9-]|\s(?=\d)){3,22}[A-Za-z0-9])(?![\w])"
)
# Formats that are distinctive enough with a checksum (python-stdnum).
_STDNUM_RE: Final = re.compile(
    r"(?<![\w-])(?:"
    r"(?P<cf>[A-Za-z]{6}\d{2}[A-Za-z]\d{2}[A-Za-z]\d{3}[A-Za-z])|"
    r"(?P<dni>\d{8}-?[A-Z])|"
    r"(?P<nie>[XYZ]-?\d{7}-?[A-Z])|"
    r"(?P<cpf>\d{3}\.\d{3}\.\d{3}-\d{2})|"
    r"(?P<pan>[A-Z]{3}[ABCFGHLJPT][A-Z]\d{4}[A-Z])|"
    r"(?P<aadhaar>[2-9]\d{3}[ -]\d{4}[ -]\d{4})|"
    r"(?P<nir>[12][ ]?\d{2}[ ]?(?:0[1-9]|1[0-2]|[2-9]\d)[ ]?(?:\d{2}|2[AB])[ ]?\d{3}[ ]?\d{3}[ ]?\d{2})|"
    r"(?P<pnr>(?:19|20)?\d{6}[-+]\d{4})|"
    r"(?P<hetu>\d{6}[-+A]\d{3}[0-9A-Y])"
    r")(?![\w-])"
)
_STDNUM_CHECKS: Final = {
    "cf": _stdnum_cf.is_valid,
    "dni": _stdnum_dni.is_valid,
    "nie": _stdnum_nie.is_valid,
    "cpf": _stdnum_cpf.is_valid,
    "pan": _stdnum_pan.is_valid,
    "aadhaar": _stdnum_aadhaar.is_valid,
    "nir": _stdnum_nir.is_valid,
    "pnr": _stdnum_pnr.is_valid,
    "hetu": _stdnum_hetu.is_valid,
}


def _id_spans(text: str) -> Iterable[tuple[int, int]]:
    """SSNs, UK NI numbers, numbers said to be ids, and checksummed national ids."""
    for m in _SSN_RE.finditer(text):
        yield m.start(), m.end()
    for m in _SSN_CTX_RE.finditer(text):
        yield m.start("num"), m.end("num")
    for m in _NINO_RE.finditer(text):
        yield m.start(), m.end()
    for m in _ID_CTX_RE.finditer(text):
        yield m.start("num"), m.end("num")
    for m in _STDNUM_RE.finditer(text):
        kind = m.lastgroup
        if kind is not None and _STDNUM_CHECKS[kind](m.group(0)):
            yield m.start(), m.end()
