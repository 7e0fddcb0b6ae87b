"""People's names as reports write them: one spelling per person, and the pairs a person must decide.

Published reports name each inspector in words, and one person is sometimes written two ways ("Jo Smith"
and "Joanne Smith", with or without a middle initial, in capitals, with or without accents). Guessing
would either merge two people or split one, and both bias an inspector-level analysis. So the rule is:

* names that are the **same text** after :func:`clean_name` (Unicode NFC, spaces, typographic apostrophes
  and dashes, titles such as "Mrs") are one person;
* every other pair that **might** be one person (:func:`similar`) stays two people and is listed by
  :func:`ambiguous_pairs` for the user to decide;
* the user's decisions (``same`` / ``different``, :func:`read_decisions`) are applied by
  :class:`NameBook`; a ``same`` pair keeps the spelling of ``name_a``.

Gender is never inferred from a name.

>>> book = NameBook(["Jo Smith", "Joanne Smith", "Ann Lee"])
>>> [(p.name_a, p.name_b, p.reason) for p in book.ambiguous()]
[('Jo Smith', 'Joanne Smith', 'one first name is a short form of the other')]
>>> book.decide("Joanne Smith", "Jo Smith", "same")
>>> book.person("Jo Smith"), book.ambiguous()
('Joanne Smith', [])
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

#: Titles left out of a name ("Mrs Jane Doe" is "Jane Doe").
TITLES = ("mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "dame", "rev", "revd")
#: Typographic characters written the plain way before names are compared.
TYPOGRAPHY = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2010": "-", "\u2011": "-",
                            "\u2013": "-", "\u00a0": " ", "\u00ad": ""})
#: Common short forms of English first names (either way round), beside the prefix rule ("Jo"/"Joanne").
SHORT_FORMS: dict[str, tuple[str, ...]] = {
    "bob": ("robert",), "rob": ("robert",), "bill": ("william",), "will": ("william",), "liz": ("elizabeth",),
    "beth": ("elizabeth", "bethan"), "betty": ("elizabeth",), "jim": ("james",), "jamie": ("james",),
    "sue": ("susan", "suzanne"), "kate": ("katherine", "catherine", "kathryn"), "kath": ("katherine", "kathryn"),
    "cathy": ("catherine",), "dick": ("richard",), "rick": ("richard",), "ted": ("edward",), "ned": ("edward",),
    "peggy": ("margaret",), "maggie": ("margaret",), "meg": ("margaret",), "tony": ("anthony",),
    "sandy": ("alexander", "sandra"), "alex": ("alexander", "alexandra"), "chris": ("christopher", "christine"),
    "mike": ("michael",), "mick": ("michael",), "nick": ("nicholas", "nicola"), "steve": ("stephen", "steven"),
    "dave": ("david",), "dai": ("david",), "gwen": ("gwenllian", "gwendolyn"), "jack": ("john",),
    "jenny": ("jennifer",), "jen": ("jennifer",), "pat": ("patricia", "patrick"), "andy": ("andrew",),
    "matt": ("matthew",), "sam": ("samuel", "samantha"), "tom": ("thomas",), "harry": ("henry", "harold"),
}
DECISIONS = ("same", "different")


def clean_name(text: str) -> str:
    """A name as written, tidied only where typography differs: NFC, one space, plain apostrophes and
    hyphens, no title, no stray separators at either end.

    >>> clean_name("  Mrs  Siân   O’Brien–Jones, ")
    "Siân O'Brien-Jones"
    """
    text = unicodedata.normalize("NFC", str(text)).translate(TYPOGRAPHY)
    text = re.sub(r"\s+", " ", text).strip(" ,;:-\u2014()")
    words = text.split(" ")
    while len(words) > 1 and words[0].lower().rstrip(".") in TITLES:
        words = words[1:]
    return " ".join(words)


def fold(text: str) -> str:
    """Case and accents dropped (ŵ -> w, â -> a), for finding similar names; never for merging them.

    >>> fold("Gwenllïan ŴYN-Prŷs")
    'gwenllian wyn-prys'
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _parts(name: str) -> tuple[list[str], str]:
    words = [w.strip(".") for w in fold(name).split(" ") if w.strip(".")]
    return words[:-1], (words[-1] if words else "")


def _same_first(a: str, b: str) -> str | None:
    """Why two (folded) first names could be one person's, or ``None``."""
    if a == b:
        return None
    if len(a) == 1 or len(b) == 1:
        return "a first name and its initial" if a[0] == b[0] else None
    short, long = sorted((a, b), key=len)
    if long.startswith(short) and len(short) >= 2:
        return "one first name is a short form of the other"
    if long in SHORT_FORMS.get(short, ()) or short in SHORT_FORMS.get(long, ()):
        return "one first name is a short form of the other"
    return None


def similar(a: str, b: str) -> str | None:
    """Why the names ``a`` and ``b`` (cleaned, different) might be one person, or ``None``.

    >>> similar("Jane Doe", "JANE DOE"), similar("Jane A. Doe", "Jane Doe"), similar("Jane Doe", "John Doe")
    ('they differ only in case or accents', 'a middle name or initial differs', None)
    >>> similar("Jane Doe-Smith", "Jane Smith")
    'one surname is part of the other (double-barrelled)'
    """
    if a == b:
        return None
    if fold(a) == fold(b):
        return "they differ only in case or accents"
    (first_a, last_a), (first_b, last_b) = _parts(a), _parts(b)
    if not first_a or not first_b:
        return None
    if last_a != last_b:
        barrels_a, barrels_b = set(last_a.split("-")), set(last_b.split("-"))
        if barrels_a & barrels_b and (first_a[0] == first_b[0] or _same_first(first_a[0], first_b[0])):
            return "one surname is part of the other (double-barrelled)"
        return None
    if first_a[0] == first_b[0]:
        if first_a[1:] != first_b[1:]:
            return "a middle name or initial differs"
        return None
    return _same_first(first_a[0], first_b[0])


@dataclass(frozen=True)
class Pair:
    """Two spellings that might be one person, and why."""

    name_a: str
    name_b: str
    reason: str


class NameBook:
    """Every spelling met, the people they stand for, and the decisions that joined or parted them.

    Parameters
    ----------
    names : iterable of str
        Names as found (cleaned with :func:`clean_name`).

    Examples
    --------
    >>> book = NameBook(["Jane Doe", "JANE DOE", "Rhys Ap Iorwerth"])
    >>> len(book.ambiguous()), book.person("JANE DOE")
    (1, 'JANE DOE')
    >>> book.decide("Jane Doe", "JANE DOE", "different"); book.ambiguous()
    []
    """

    def __init__(self, names: Iterable[str]):
        self.names: list[str] = sorted({clean_name(n) for n in names if clean_name(n)})
        self._parent: dict[str, str] = {n: n for n in self.names}
        self._different: set[frozenset[str]] = set()

    def person(self, name: str) -> str:
        """The spelling that stands for the person written ``name`` (itself unless joined by a decision)."""
        name = clean_name(name)
        while self._parent.get(name, name) != name:
            name = self._parent[name]
        return name

    def decide(self, name_a: str, name_b: str, decision: str) -> None:
        """Record that ``name_a`` and ``name_b`` are the ``same`` person (``name_a``'s spelling is kept) or
        ``different`` people. Names not met in the reports raise ``KeyError``."""
        a, b = clean_name(name_a), clean_name(name_b)
        for name in (a, b):
            if name not in self._parent:
                raise KeyError(name)
        if decision == "same":
            root_a, root_b = self.person(a), self.person(b)
            if root_a != root_b:
                self._parent[root_b] = root_a
        elif decision == "different":
            self._different.add(frozenset((a, b)))
        else:
            raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")

    def spellings(self, person: str) -> list[str]:
        """Every spelling joined into ``person``."""
        return [n for n in self.names if self.person(n) == person]

    def ambiguous(self) -> list[Pair]:
        """Pairs of spellings that might be one person and that no decision has settled."""
        by_surname: dict[str, list[str]] = {}
        for name in self.names:
            for barrel in _parts(name)[1].split("-"):
                by_surname.setdefault(barrel, []).append(name)
        pairs: dict[tuple[str, str], str] = {}
        for group in by_surname.values():
            for i, a in enumerate(group):
                for b in group[i + 1:]:
                    if (a, b) in pairs or self.person(a) == self.person(b) or frozenset((a, b)) in self._different:
                        continue
                    reason = similar(a, b)
                    if reason:
                        pairs[(a, b)] = reason
        return [Pair(a, b, r) for (a, b), r in sorted(pairs.items())]


def read_decisions(path: str | Path) -> pd.DataFrame:
    """The user's decisions on ambiguous names: a CSV with ``name_a``, ``name_b`` and ``decision``
    (``same`` or ``different``; rows left blank are undecided and skipped; a file without the
    column means ``same`` throughout). ``ambiguous_names.csv`` with its ``decision`` column filled in
    is such a file.

    Raises ``ValueError`` (one line naming the file, row and problem) on a file it cannot use.

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "same.csv"
    >>> _ = path.write_text("name_a,name_b,decision\\nJo Smith,Joanne Smith,same\\nA B,A C,\\n", encoding="utf-8")
    >>> read_decisions(path).to_dict("records")
    [{'name_a': 'Jo Smith', 'name_b': 'Joanne Smith', 'decision': 'same'}]
    """
    path = Path(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise ValueError(f"{path}: cannot be read as a CSV of name decisions ({err})".splitlines()[0]) from None
    missing = [c for c in ("name_a", "name_b") if c not in table]
    if missing:
        raise ValueError(f"{path}: needs columns name_a and name_b (and decision: same/different); "
                         f"missing {', '.join(missing)}")
    if "decision" not in table:
        table["decision"] = "same"
    table["decision"] = table["decision"].str.strip().str.lower()
    bad = table[~table["decision"].isin(DECISIONS + ("",))]
    if len(bad):
        row = int(bad.index[0]) + 2
        raise ValueError(f"{path}: row {row}: decision must be same, different or empty, "
                         f"not {bad['decision'].iloc[0]!r}")
    table = table[table["decision"] != ""]
    return table[["name_a", "name_b", "decision"]].reset_index(drop=True)


__all__ = ["DECISIONS", "NameBook", "Pair", "clean_name", "fold", "read_decisions", "similar"]
