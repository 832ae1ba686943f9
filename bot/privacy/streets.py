"""Street types and the regular expressions of street addresses, for :mod:`bot.privacy.addresses`."""

from __future__ import annotations

import re
from typing import Final

from bot.privacy.lexicon import _L, _LEXICON, _UP, _alternation, _load_lexicon, _words

_NUM = r"\d{1,5}[A-Za-z]?(?:[-/]\d{1,4}[A-Za-z]?)?"
_CAPWORD = rf"(?:{_UP}[\w'’.\-]*|\d{{1,4}}(?:st|nd|rd|th))"
_ANYWORD = rf"{_L}[\w'’.\-]*"
# Street types: a short list kept by hand, and libpostal's dictionaries (bot/privacy/data/
# streets.txt). A type that is also a common English word ("Edge", "View") is weak: the address
# needs more around it (see _WEAK_SUFFIXES).
_STREETS: Final = _load_lexicon("streets.txt", folded=False)
# The primary street suffix names of USPS Publication 28 (Postal Addressing Standards), Appendix
# C1, that the lists above lack; most are English words too, so they are weak (see below).
_USPS_SUFFIXES: Final[frozenset[str]] = _words(
    """
    annex arcade bayou beach bend bluff bluffs bottom branch bridge brook brooks burg burgs bypass
    camp canyon cape center centers circles cliff cliffs club common commons corner corners course
    courts cove coves creek crest crossroad crossroads curve dale dam divide drives estate estates
    extension extensions fall falls ferry field fields flat flats ford fords forest forge forges
    fork forks fort garden gateway glen glens greens groves harbor harbors haven hills hollow inlet
    island islands isle junctions key keys knoll knolls lake lakes land light lights loaf lock locks
    lodge mall manor manors meadow meadows mill mills mission motorway mount mountain mountains
    neck orchard oval overpass parks parkways pass passage pine pines plain plains points port ports
    prairie radial ramp ranch rapid rapids rest ridges river roads route run shoal shoals shore
    shores skyway spring springs spur spurs squares station stravenue stream streets summit
    throughway trace track trafficway trailer tunnel underpass union unions valley valleys viaduct
    view views village villages vista walks wall ways well wells
    """
)
_KEPT_SUFFIXES: Final[frozenset[str]] = _words(
    """
    street st road rd avenue ave av lane ln drive dr boulevard blvd way court ct place pl square sq
    terrace ter close crescent cres parkway pkwy highway hwy circle cir trail trl row mews gardens
    gdns grove hill walk alley plaza path pike loop causeway expressway freeway turnpike crossing
    heights point ridge landing junction green park wharf quay parade esplanade embankment rise
    vale wynd brae str strasse straße straat gasse weg laan plein gracht kade vej gade veien vegen
    vei gata gatan vägen tie katu kuja utca út útja tér platz allee ring damm ufer gate plads
    stræde torv
    """
) | frozenset(w.rstrip(".") for w in _STREETS["after"] if len(w.rstrip(".")) >= 3)
# Words that end street and neighbourhood names in India: nagar and colony (libpostal's Hindi
# qualifiers), and ganj, chowk, gali and vihar (kept by hand). Written apart ("Lall Nagar"),
# never glued: "Muzaffarnagar" is a town.
_INDIAN_SUFFIXES: Final[frozenset[str]] = _words("nagar colony ganj chowk gali vihar")
_SUFFIX_WORDS: Final[frozenset[str]] = _KEPT_SUFFIXES | _USPS_SUFFIXES | _INDIAN_SUFFIXES
_MORPHEME_WORDS: Final[frozenset[str]] = _words(
    """
    straat strasse straße str. gasse weg laan plein gracht kade dijk singel vej gade veien vegen
    vei gata gatan vägen väg tie katu kuja polku utca út útja tér ulica cesta platz allee ring damm
    ufer steig pfad gränd torget bakken stræde plads torv gatvė iela tee gate väylä raitti rinne
    veg vegur stig backe allé aleja dreef steeg pad
    """
) | frozenset(w for w in _STREETS["concatenated"] if w not in _LEXICON["common"])
_PREFIX_WORDS: Final[frozenset[str]] = _words(
    """
    rua r. via viale rue avenida avda avda. av. calle c/ carrer ul. ulica piazza piazzale plaza
    praça praca largo travessa estrada chemin allée allee quai boulevard bd bd. strada corso camino
    paseo ctra ctra. carretera ronda avenue place rambla vicolo contrada impasse alameda rodovia
    calçada cesta λεωφ. οδός οδος ulitsa prospekt vulica
    """
) | frozenset(w for w in _STREETS["before"] if w.rstrip(".") not in _LEXICON["common"])
_SUFFIX: Final[str] = _alternation(_SUFFIX_WORDS)
# Full street-type words that are no English word: enough, capitalised after a name, without a
# house number ("Hawkins Stravenue", "Jaydaboulevard" is a glued one).
_STRONG_SUFFIXES: Final[frozenset[str]] = frozenset(
    w
    for w in _SUFFIX_WORDS
    if len(w) >= 5
    and "." not in w
    and not any(w in _LEXICON[k] for k in ("common", "place", "first", "last"))
) - _words(
    "obere oberer oberes untere unterer unteres grosse grosser grosses große großes großser "
    "lange heiligen riviera meander thicket rosebowl broadway"
)
# Street types glued to the name end one-word street names too ("Jaydaboulevard 28").
_GLUED_WORDS: Final[frozenset[str]] = _MORPHEME_WORDS | frozenset(
    w
    for w in _SUFFIX_WORDS - _INDIAN_SUFFIXES
    if len(w) >= 4
    and "." not in w
    and not any(w in _LEXICON[k] for k in ("common", "place", "first", "last"))
)
_MORPHEME: Final[str] = _alternation(_GLUED_WORDS)
_PREFIX: Final[str] = _alternation(_PREFIX_WORDS)

# 1. House number, capitalised street name, street suffix: "3314 Harley Brook Lane", "320 St Marys Rd".
#    A comma or a line break may follow the number ("07/331, Oommen Road", "970\nChauhan
#    Circle"), and a unit or building number may lead ("Flat 3, 12 Harley Road", "H.No. 27\nBobal
#    Path", "Studio 1\nCartwright Drives": then the street needs no number of its own).
_UNIT_WORDS = r"(?:flat|apt|apartment|unit|suite|ste|studio|level|h\.?[ \t]?no|house[ \t]+no)"
_NUM_GAP = r"(?:,?[ \t]+|,?[ \t]*\n[ \t]*)"
_ADDR_NUM_FIRST_RE: Final = re.compile(
    rf"(?<![\w.,/-])(?:(?i:{_UNIT_WORDS})\.?[ \t]*#?[ \t]*{_NUM}{_NUM_GAP}(?:{_NUM}{_NUM_GAP}){{0,2}}|"
    rf"(?:{_NUM}{_NUM_GAP}){{1,2}})(?:(?:[NSEW]\.?|North|South|East|West)[ \t]+)?"
    rf"(?P<words>(?:{_CAPWORD}[ \t]+){{1,4}})(?P<suffix>(?i:{_SUFFIX}))\b\.?"
)
_WEAK_SUFFIXES: Final[frozenset[str]] = _words(
    "park green point hill way landing heights junction crossing ridge rise vale walk row loop "
    "path ring gate plaza place square circle court close grove gardens mews terrace parade "
    "pike trail quay wharf alley"
) | frozenset(
    w
    for w in _SUFFIX_WORDS
    if w in _LEXICON["common"] and w not in _words("street road avenue lane drive boulevard")
)
_ADDR_TAIL_RE: Final = re.compile(
    r"(?i)[ \t]*(?:,|\n|$|\.[ \t]*$|(?:apt|apartment|suite|ste|unit|flat|#)\b|[ \t]+\d{4,5}\b)"
)
# 1b. The same in lower case: "23 8 wressle road" (needs a word that isn't common English).
_ADDR_NUM_FIRST_LOWER_RE: Final = re.compile(
    rf"(?<![\w.,/-])(?:{_NUM}[ \t]+){{1,2}}(?P<words>(?:{_ANYWORD}[ \t]+){{1,4}})"
    rf"(?:street|road|avenue|lane|drive|boulevard|rd|st|ave|blvd|ln|way|close|crescent|terrace|court|"
    rf"place|parkway|highway|square)\b\.?"
)
# 2. Street type first: "Rua das Pedras 930", "7 rue Charles Corbeau", "ul. Podleśna 17".
# A comma may stand between the number and the street: "12, rue de la Paix", "Via Roma, 12".
_ADDR_PREFIX_RE: Final = re.compile(
    rf"(?i)(?<![\w.])(?P<pre>(?:{_NUM},?[ \t]+){{0,2}})(?P<type>{_PREFIX})(?:(?<=\.)|(?<=/)|[ \t]+)"
    rf"(?P<words>{_ANYWORD}(?:[ \t-]+{_ANYWORD}){{0,5}})(?P<post>,?[ \t]+{_NUM}\b\.?)?(?![\w])"
)
_ADDR_PREFIX_NUM_RE: Final = re.compile(
    rf"(?i)(?<![\w.])(?P<pre>(?:{_NUM},?[ \t]+){{0,2}})(?P<type>{_PREFIX})(?:(?<=\.)|(?<=/)|[ \t]+)"
    rf"(?P<words>{_ANYWORD}(?:[ \t-]+{_ANYWORD}){{0,5}}?)(?P<post>,?[ \t]+{_NUM}\b\.?)(?![\w])"
)
# 3. Street word ending in a street morpheme, then a house number: "Herfststraat 167",
#    "Albert-Schweitzer-Straße 5" (hyphenated names end in a full type word).
_ADDR_MORPH_RE: Final = re.compile(
    rf"(?i)(?<![\w.])(?:{_NUM}[ \t]+){{0,2}}(?:{_ANYWORD}[ \t]+){{0,3}}"
    rf"(?:{_L}+[-'’])*{_L}*{_MORPHEME}[ \t]+{_NUM}\b\.?"
)
# 4. Capitalised street name + full suffix word, no number: "Vizirov Street", "Abbey Road".
_ADDR_NAMED_RE: Final = re.compile(
    rf"(?<![\w])(?:{_UP}[\w'’\-]+[ \t]+){{1,3}}(?:Street|Road|Avenue|Lane|Boulevard|Strasse|Straße|"
    rf"Terrace|Crescent|Gardens|Mews|(?i:{_alternation(_STRONG_SUFFIXES)}))\b"
)
# 5. Secondary units, PO boxes, military addresses, UK/CA postcodes, US city-state-zip.
_ADDR_UNIT_RE: Final = re.compile(
    r"(?i)(?<![\w])(?:apt|apartment|flat)\.?[ \t]*#?[ \t]*\d{1,5}[a-z]?\b"
)
_ADDR_WEAK_UNIT_RE: Final = re.compile(
    r"(?i)(?<![\w])(?:suite|ste|unit|room|rm|floor|fl|bldg|building|block|dept)\.?[ \t]*#?[ \t]*"
    r"\d{1,5}[a-z]?\b"
)
_ADDR_BOX_RE: Final = re.compile(
    r"(?i)(?<![\w])(?:(?:(?:psc|unit|cmr)[ \t]+\d{3,5},?[ \t]+)?(?:p\.?[ \t]?o\.?[ \t]*box|"
    r"post[ \t]+office[ \t]+box|postfach|apartado|caixa[ \t]+postal)|(?:psc|unit|cmr)[ \t]+\d{3,5},?[ \t]+box)"
    r"[ \t]*#?[ \t]*\d{1,6}\b"
)
_ADDR_MIL_RE: Final = re.compile(
    r"(?:\b(?:USNS|USNV|USS|USCGC)[ \t]+[\w'’-]+(?:[ \t]*\n[ \t]*|,?[ \t]+))?\b[ADF]PO[ \t]+A[AEP][ \t]+\d{5}\b",
    re.IGNORECASE,
)
_ADDR_POSTCODE_RE: Final = re.compile(
    r"(?<![\w])(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2}|"
    r"[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d)(?![\w])"
)
_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|"
    "NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR|AA|AE|AP|"
    "AB|BC|MB|NB|NL|NS|NT|NU|ON|PE|QC|SK|YT"
)
_ADDR_CSZ_RE: Final = re.compile(
    rf"(?<![\w])(?:{_UP}[\w'’.\-]+[ \t]+){{0,3}}{_UP}[\w'’.\-]+,[ \t]*(?:{_STATES})\.?[ \t]+"
    rf"\d{{5}}(?:-\d{{4}})?(?![\w-])"
)
_ADDR_ZIP_CTX_RE: Final = re.compile(
    r"(?i)\b(?:zip[ \t]*code|zipcode|zip|postcode|postal[ \t]+code|post[ \t]+code|plz|cep)"
    r"(?:[ \t]*(?:is|was|:|=|-|#))*[ \t]*(?P<code>\d{5}-?\d{3}|\d{3,6}(?:[- ]\d{3,4})?|"
    r"[a-z]{1,2}\d[a-z\d]?[ ]?\d[a-z]{2}|[a-z]\d[a-z][ ]?\d[a-z]\d|\d{4}[ ]?[a-z]{2})(?![\w])"
)
# 6. "lives at ...", "address: ...", "send it to ...": the rest of the phrase when it holds a
#    number and a street word or a word that isn't common English.
_ADDR_CTX_RE: Final = re.compile(
    r"(?i)\b(?:(?:billing|shipping|home|postal|mailing|delivery|new|old|my|his|her|the|their|our)"
    r"[ \t]+address\b(?:[ \t]+(?:is|was|to|with))?[ \t]*(?:[-–][ \t]+)?|address(?:[ \t]+is)?[ \t]*:|"
    r"(?:address[ \t]+line(?:[ \t]*\d)?|street(?:[ \t]+address)?|house[ \t]+(?:no|number)\.?)[ \t]*:|"
    r"addressed[ \t]+to|(?:office|home|house|flat|apartment|shop|store|warehouse)[ \t]+at|"
    r"lives?[ \t]+at|living[ \t]+at|located[ \t]+at|moved[ \t]+to|move[ \t]+to|relocated[ \t]+to|"
    r"(?:send|sent|ship|shipped|deliver|delivered|mail|mailed|post|posted|forward|forwarded|"
    r"return|returned)(?:[ \t]+(?:it|this|them|that|one|a[ \t]+new[ \t]+one|the[ \t]+\w+))?[ \t]+to|"
    r"arrived[ \t]+at|delivered[ \t]+at|meet[ \t]+me[ \t]+at|refers[ \t]+to|address[ \t]+to|"
    r"(?:taxi|cab|ride|car|uber|lyft|courier|driver)[ \t]+to|pick[ \t]+(?:me|us|it)[ \t]+up[ \t]+(?:at|from)|"
    r"drop[ \t]+(?:me|us|it)[ \t]+off[ \t]+at|"
    r"(?:office|shop|store|house|home|flat|apartment|building|warehouse|headquarters|hq|place)"
    r"[ \t]+is[ \t]+(?:at|in|on)|(?:it|we)(?:'s|[ \t]+is|[ \t]+are)[ \t]+(?:at|in|on)|"
    r"update[ \t]+(?:my[ \t]+)?address[ \t]+to|change[ \t]+my[ \t]+address[ \t]+to|same:)"
    r"(?:(?<=:)|\b)[ \t:]*\n?[ \t]*"
)
_ADDR_STOP_RE: Final = re.compile(
    r"(?i)(?:[?!]|\.(?=\s*$|\s+[A-Z]\w*\s+[a-z])|\s+(?:for|in case|last night|if|please|thanks|"
    r"thank you|because|before|after|when|but|as soon|asap|by|within|instead|street in|"
    r"i\s+am|i'm|i\s+will|on\s+(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b|"
    r"\s+(?:and|or)\s+(?:i|we|you|my|please|then|the)\b|\n|$)"
)
_LINE_STOP_RE: Final = re.compile(_ADDR_STOP_RE.pattern.replace(r"|\n|$)", r")"))
# Cheap finder for "Word 12" pairs; the word is then checked for a street morpheme.
_WORD_NUM_RE: Final = re.compile(rf"(?<![\w])(?P<word>{_L}[\w'’\-]*\.?)[ \t]+{_NUM}\b")
_MORPHEMES: Final[tuple[str, ...]] = tuple(_GLUED_WORDS)
_STREET_WORD_RE: Final = re.compile(rf"(?i)\b(?:{_SUFFIX}|{_PREFIX})\b|{_MORPHEME}\b|\d{{5}}")
_TIME_LIKE_RE: Final = re.compile(
    r"(?i)^\s*\d{1,2}(?::\d\d)?\s*(?:am|pm|a\.m\.|p\.m\.|o'clock|h\b|hrs?\b)"
)
_LEAD_FILLER_RE: Final = re.compile(r"(?i)^(?:(?:with|is|was|to|at|as|:)[ \t]+)+")
# 7. An address line on its own: "16 salontie 6", "49 Bergshaugen 43".
_ADDR_LINE_RE: Final = re.compile(
    rf"(?m)^(?P<lead>[^\w\n]*)(?P<addr>{_NUM}[ \t]+(?:{_ANYWORD}[ \t]+){{1,5}}{_NUM}\.?)[ \t]*$"
)
_LINE_PREFIX_RE: Final = re.compile(r"^[\s>?*•·|-]*")
_CONNECTORS = (
    r"(?:and|of|de|la|del|da|do|dos|das|am|an|der|di|du|le|les|los|las|nad|upon|on|y|e|sur|en)"
)
# Postcodes after a street: US ZIP (+4), 4-5 digits, Dutch "1234 AB", Indian PIN, Brazilian CEP.
_POSTCODE = r"(?:\d{4}[ ]?[A-Z]{2}(?![\w-])|\d{5}-\d{3}|\d{4,6}(?:-\d{4})?|\d{8})"
_INLINE_EXT_RE: Final = re.compile(
    rf"(?:(?:[ \t]*,[ \t]*|[ \t]+)(?:(?i:apt|apartment|suite|ste|unit|flat)\.?[ \t]*#?\d{{1,5}}[A-Za-z]?\b|"
    rf"{_UP}[\w'’.\-]*(?:[ \t]+(?:{_UP}[\w'’.\-]*|{_CONNECTORS}\b))*"
    rf"(?:[ \t]+\d{{4,5}}(?:-\d{{4}})?\b)?|(?:{_STATES})[ \t]+\d{{5}}(?:-\d{{4}})?\b|{_POSTCODE}\b)){{1,4}}"
)

_POSTCODE_PLACE = rf"(?:{_POSTCODE}[ \t]+{_UP}[\w'’\-]*|{_UP}[\w'’\-]*,?[ \t]+{_POSTCODE})(?![\w-])"


_UNIT_LINE_RE: Final = re.compile(
    rf"(?i)[ \t>*•-]*(?:(?:flat|apt|apartment|unit|suite|studio|h\.?[ \t]?no|house[ \t]+no)\.?[ \t]*#?[ \t]*)?"
    rf"{_NUM},?[ \t]*"
)
