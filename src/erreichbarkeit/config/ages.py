"""German age texts of offer lists → the age groups an offer serves.

Offer lists describe whom an offer is for in free German text: „0-3“,
„3–6, 6–10“, „ab 10 Jahre“, „U3“, „bis 6“, „Schulkinder“, „0–27 Jahre und
Eltern“.  :func:`parse_age_groups` reads such a text into the
:data:`~erreichbarkeit.config.constants.AGE_GROUPS` it overlaps, or ``None``
when it cannot be read.  No library parses German age ranges (dateparser and
friends read dates, not „ab 6 Monaten“), so the small grammar below is
written by hand.

Interval semantics
------------------
Every age group is a half-open range of years: ``"0-3"`` = ``[0, 3)``
(ages 0, 1, 2 — from birth to the 3rd birthday), ``"3-6"`` = ``[3, 6)`` and
so on.  An age text is read the same way, as the ages from its lower to
its upper bound, the upper bound *excluded* (the usual German reading:
„Krippe 0–3“ ends at the 3rd birthday, „Kinder bis 6“ are the children
before school entry at 6):

* „a–b“, „a bis b“, „von a bis b Jahren“ → ``[a, b)``; „a–a“ and a single
  „a Jahre“ → ``[a, a + 1)`` (the year of age *a*);
* „ab a“, „über a“, „Ü3“, „a+“, „a Jahre und älter“ → ``[a, ∞)``;
* „bis b“, „unter b“, „U3“, „jünger als b“, „bis zum b. Lebensjahr“ → ``[0, b)``;
* months („ab 6 Monaten“, „0–18 Monate“) are twelfths of a year.

A range ``[a, b)`` serves group ``[lo, hi)`` exactly when they overlap:
``a < hi and b > lo``.  So „0–3“ serves only ``0-3`` and „3–6, 6–10“ serves
``3-6`` and ``6-10``; „4–12“ serves ``3-6``, ``6-10`` and ``10-18``.

Words (SGB VIII § 7 for Kind/Jugendlicher/junger Volljähriger):
„Kinder“ ``[0, 14)``, „Jugendliche“ ``[14, 18)``, „junge Erwachsene“ /
„junge Volljährige“ ``[18, 27)``, „Minderjährige“ ``[0, 18)``,
„Säuglinge“/„Babys“ ``[0, 1)``, „Kleinkinder“/„Krippenkinder“ ``[0, 3)``,
„Kindergartenkinder“/„Vorschulkinder“ ``[3, 6)``, „Grundschulkinder“
``[6, 10)``, „Schulkinder“/„Schüler“ ``[6, 18)``, „Schwangere“ ``[0, 3)``
(the family's first years), „alle“ every group.  „Eltern“ and „Familien“
serve every group when the text names no ages; next to ages („Eltern mit
Kindern 0–3“) they are the parents of those children.  Numbers win over
words within one part: „Kinder von 3 bis 6 Jahren“ is ``[3, 6)``.

Parts are separated by ``,`` ``;`` ``/`` ``&`` „und“, „sowie“, „oder“;
their groups are united.  A text with a part that is neither a number
pattern nor a known word is unreadable (``None``); a text that is readable
but serves none of the groups (e.g. „ab 30“) gives an empty tuple.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence

from erreichbarkeit.config.constants import AGE_GROUPS

__all__ = [
    "AGE_TEXT_EXAMPLES_DE",
    "ages_text_de",
    "defaults_or_parsed",
    "group_bounds",
    "groups_overlapping",
    "join_groups",
    "parse_age_groups",
    "split_groups",
]

#: Examples of readable age texts, for German messages.
AGE_TEXT_EXAMPLES_DE = "„0-3“, „3–6, 6–10“, „ab 10 Jahre“, „U3“, „bis 6“, „Schulkinder“, „alle“"

#: The largest age a text may name (a bigger number is a typing error or a year).
_MAX_AGE = 120.0

Interval = tuple[float, float]

_ALL: Interval = (0.0, math.inf)
_PARENTS = "parents"

_WORDS: dict[str, Interval | str] = {
    "alle": _ALL,
    "jedes": _ALL,
    "jeden": _ALL,
    "altersgruppen": _ALL,
    "altersunabhaengig": _ALL,
    "eltern": _PARENTS,
    "elternteil": _PARENTS,
    "familie": _PARENTS,
    "familien": _PARENTS,
    "erziehungsberechtigte": _PARENTS,
    "alleinerziehende": _PARENTS,
    "muetter": _PARENTS,
    "vaeter": _PARENTS,
    "schwangere": (0.0, 3.0),
    "werdende": (0.0, 3.0),
    "saeuglinge": (0.0, 1.0),
    "babys": (0.0, 1.0),
    "baby": (0.0, 1.0),
    "kleinkinder": (0.0, 3.0),
    "krippe": (0.0, 3.0),
    "krippenkinder": (0.0, 3.0),
    "kindergarten": (3.0, 6.0),
    "kindergartenkinder": (3.0, 6.0),
    "vorschulkinder": (3.0, 6.0),
    "grundschulkinder": (6.0, 10.0),
    "grundschueler": (6.0, 10.0),
    "grundschuelerinnen": (6.0, 10.0),
    "schulkinder": (6.0, 18.0),
    "schueler": (6.0, 18.0),
    "schuelerinnen": (6.0, 18.0),
    "kind": (0.0, 14.0),
    "kinder": (0.0, 14.0),
    "kindern": (0.0, 14.0),
    "minderjaehrige": (0.0, 18.0),
    "jugend": (14.0, 18.0),
    "jugendliche": (14.0, 18.0),
    "jugendlichen": (14.0, 18.0),
    "teenager": (14.0, 18.0),
    "volljaehrige": (18.0, 27.0),
    "heranwachsende": (18.0, 27.0),
    "erwachsene": (18.0, 27.0),
}

_NUM = r"(\d+(?:\.\d+)?)"
_MONTHS = r"(?:\s*(mon(?:at(?:e|en)?)?\.?)(?![a-z]))?"
#: (pattern, kind) in the order they are tried; each match is removed from the part.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"{_NUM}{_MONTHS}\s*(?:-|bis)\s*{_NUM}{_MONTHS}"), "range"),
    (re.compile(rf"(?:\bab|\bueber|\bue|\baelter als|\bseit)\s*(?:dem\s*)?{_NUM}\.?{_MONTHS}"),
     "from"),
    (re.compile(rf"(?:\bbis|\bunter|\bu|\bjuenger als)\s*(?:zum\s*)?{_NUM}\.?{_MONTHS}"), "to"),
    (re.compile(rf"{_NUM}{_MONTHS}"), "single"),
)  # fmt: skip
_SEPARATORS = re.compile(r";|/|&|,|\bund\b|\bsowie\b|\boder\b|\bu\.\s")


def group_bounds(group: str) -> Interval:
    """The half-open year range ``(lo, hi)`` of an age group key (``"3-6"`` → ``(3, 6)``)."""
    lo, hi = group.split("-")
    return float(lo), float(hi)


def groups_overlapping(lo: float, hi: float) -> tuple[str, ...]:
    """The age groups overlapping the half-open range ``[lo, hi)`` (in :data:`AGE_GROUPS` order)."""
    out = []
    for g in AGE_GROUPS:
        glo, ghi = group_bounds(g)
        if lo < ghi and hi > glo:
            out.append(g)
    return tuple(out)


def join_groups(groups: Iterable[str]) -> str:
    """The normalised text of a set of groups: ``"0-3;3-6"`` (in :data:`AGE_GROUPS` order)."""
    wanted = set(groups)
    return ";".join(g for g in AGE_GROUPS if g in wanted)


def split_groups(text: object) -> tuple[str, ...]:
    """The groups of a normalised text (:func:`join_groups`); empty for empty/missing text.

    Unknown keys are ignored, so the result only holds :data:`AGE_GROUPS`.
    """
    if not isinstance(text, str):
        return ()
    parts = {p.strip() for p in text.split(";")}
    return tuple(g for g in AGE_GROUPS if g in parts)


def _normalise(text: str) -> str:
    """Lower case, umlauts folded (ä → ae), dashes unified, decimal commas as points."""
    s = unicodedata.normalize("NFC", text).casefold().replace("ß", "ss")
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue")):
        s = s.replace(a, b)
    s = re.sub(r"[\u2010-\u2015\u2212]", "-", s)
    # a decimal comma ("1,5 Jahre"), but not "3-6,6-10" (a list of ranges)
    s = re.sub(r"(\d),(\d+)(?!\d*\s*-)", r"\1.\2", s)
    return re.sub(r"\s+", " ", s).strip()


def _years(number: str, unit: str | None) -> float:
    value = float(number)
    return value / 12.0 if unit else value


def _read_numbers(part: str) -> tuple[list[Interval], str] | None:
    """The intervals of the number patterns of a part and the rest; ``None`` if implausible."""
    found: list[Interval] = []
    for pattern, kind in _PATTERNS:
        for m in pattern.finditer(part):
            if kind == "range":
                lo, hi = _years(m.group(1), m.group(2)), _years(m.group(3), m.group(4))
                if m.group(2) is None and m.group(4) is not None:  # "0-6 Monate"
                    lo = _years(m.group(1), m.group(4))
                hi = lo + 1.0 if hi == lo else hi
            elif kind == "from":
                lo, hi = _years(m.group(1), m.group(2)), math.inf
            elif kind == "to":
                lo, hi = 0.0, _years(m.group(1), m.group(2))
            else:
                lo = _years(m.group(1), m.group(2))
                hi = lo + (1.0 if m.group(2) is None else 1.0 / 12.0)
            if lo > _MAX_AGE or (math.isfinite(hi) and hi > _MAX_AGE + 1) or hi <= lo:
                return None
            found.append((lo, hi))
        part = pattern.sub(" ", part)
    return found, part


def _read_part(part: str) -> tuple[list[Interval], bool] | None:
    """``(intervals, mentions parents)`` of one part, ``None`` when it cannot be read."""
    numbers = _read_numbers(part)
    if numbers is None:
        return None
    found, rest = numbers
    words = re.findall(r"[a-z]+", rest)
    parents = any(_WORDS.get(w) == _PARENTS for w in words)
    if found:
        return found, parents
    for w in words:
        value = _WORDS.get(w)
        if isinstance(value, tuple):
            found.append(value)
    if not found and not parents:
        return None
    return found, parents


def parse_age_groups(text: str) -> tuple[str, ...] | None:
    """The age groups a German age text serves, ``None`` when it cannot be read.

    Parameters
    ----------
    text
        The cell of the offer list's ``Altersgruppen`` column (e.g. „0–3“,
        „ab 10 Jahre“, „U3“, „Schulkinder“, „0–27 Jahre und Eltern“, or an
        age group key like ``"3-6"``).

    Returns
    -------
    tuple of str or None
        The :data:`AGE_GROUPS` the text's ages overlap, in their order (see
        the module docstring for the reading); an empty tuple when the text
        is readable but serves none of the groups (e.g. „ab 30“); ``None``
        when a part of it is neither an age pattern nor a known word, or
        an age is implausible (over 120, a range running backwards).

    Examples
    --------
    >>> parse_age_groups("3–6, 6–10")
    ('3-6', '6-10')
    >>> parse_age_groups("U3")
    ('0-3',)
    >>> parse_age_groups("4–12")
    ('3-6', '6-10', '10-18')
    >>> parse_age_groups("Seniorenkaffee") is None
    True
    """
    s = _normalise(text)
    # "18+", "6 Jahre und älter" before "+"/"und" separate parts
    s = re.sub(r"(\d+(?:\.\d+)?)\s*(?:jahre?n?\s*)?(?:\+|und aelter|und mehr)", r"ab \1", s)
    parts = [p.strip() for p in _SEPARATORS.split(s) if p and p.strip(" .-")]
    if not parts:
        return None
    intervals: list[Interval] = []
    parents = False
    for part in parts:
        read = _read_part(part)
        if read is None:
            return None
        intervals += read[0]
        parents = parents or read[1]
    if not intervals and parents:
        intervals = [_ALL]
    groups = {g for lo, hi in intervals for g in groups_overlapping(lo, hi)}
    return tuple(g for g in AGE_GROUPS if g in groups)


def defaults_or_parsed(text: str, defaults: Sequence[str]) -> tuple[tuple[str, ...], str | None]:
    """The groups of ``text`` or ``defaults``, and why the defaults were used.

    Returns
    -------
    tuple
        ``(groups, problem)``: ``problem`` is ``None`` when the text was read
        (or is empty: the defaults, silently), ``"unreadable"`` or
        ``"no_group"`` (readable, but none of the age groups 0–27).
    """
    if not text.strip():
        return tuple(defaults), None
    parsed = parse_age_groups(text)
    if parsed is None:
        return tuple(defaults), "unreadable"
    if not parsed:
        return tuple(defaults), "no_group"
    return parsed, None


def ages_text_de(serves: object, listed: object = None) -> str:
    """The age groups an offer serves as German text: „0–3, 3–6 Jahre (laut Liste: U3)“.

    Parameters
    ----------
    serves
        The normalised groups (``"0-3;3-6"``); empty: „“.
    listed
        The list's own text (``age_groups``), added in brackets when it says
        something else.

    Examples
    --------
    >>> ages_text_de("0-3;3-6", "Kita U3 und Ü3")
    '0–3, 3–6 Jahre (laut Liste: Kita U3 und Ü3)'
    """
    groups = split_groups(serves)
    text = ", ".join(g.replace("-", "–") for g in groups) + " Jahre" if groups else ""
    own = listed.strip() if isinstance(listed, str) else ""
    if own and own.replace("–", "-") not in (join_groups(groups), ", ".join(groups)):
        text = f"{text} (laut Liste: {own})" if text else own
    return text
