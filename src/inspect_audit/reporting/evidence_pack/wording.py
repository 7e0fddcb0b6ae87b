"""Words for readers who are not statisticians: percentages with their intervals, positions among peers, labels."""

from __future__ import annotations

import math

import pandas as pd

from inspect_audit.data import schemas


def in_ten(p: float) -> str:
    """A probability as 'about N in 10'.

    >>> in_ten(0.7), in_ten(0.99), in_ten(0.01)
    ('about 7 in 10', 'nearly all', 'almost none')
    """
    if p >= 0.95:
        return "nearly all"
    if p <= 0.05:
        return "almost none"
    return f"about {int(round(10 * p))} in 10"


def pct(p: float) -> str:
    """A share as a whole percentage ('<1%' and '>99%' at the ends; a dash when missing).

    >>> pct(0.4567), pct(0.001), pct(0.9996), pct(float("nan"))
    ('46%', '<1%', '>99%', '–')
    """
    if p is None or not math.isfinite(float(p)):
        return "–"
    if 0 < p < 0.005:
        return "<1%"
    if 0.995 < p < 1:
        return ">99%"
    return f"{p:.0%}"


def with_interval(mean: float, low: float, high: float, level: float = 0.90) -> str:
    """'46% (90% interval 30% to 61%)'.

    >>> with_interval(0.46, 0.3, 0.61)
    '46% (90% interval 30% to 61%)'
    """
    return f"{pct(mean)} ({level:.0%} interval {pct(low)} to {pct(high)})"


def cell(mean: float, low: float, high: float) -> str:
    """A table cell: '46% (30–61%)'.

    >>> cell(0.46, 0.3, 0.61)
    '46% (30–61%)'
    """
    if mean is None or not math.isfinite(float(mean)):
        return "–"
    return f"{pct(mean)} ({pct(low).rstrip('%')}–{pct(high)})"


def area_name(area: str) -> str:
    """A judgement area in words.

    >>> area_name("personal_development_and_well_being"), area_name("post_16")
    ('Personal development and well-being', 'Post-16')
    """
    words = area.replace("_and_well_being", "_and_well-being").replace("post_16", "post-16").replace("_", " ")
    return words[:1].upper() + words[1:]


def region_name(region: str) -> str:
    """A region code in words.

    >>> region_name("east_of_england"), region_name("yorkshire_and_the_humber")
    ('East of England', 'Yorkshire and the Humber')
    """
    small = {"of", "and", "the"}
    words = str(region).replace("_", " ").split()
    return " ".join(w if i and w in small else w.capitalize() for i, w in enumerate(words))


def framework_name(framework: str | None) -> str:
    """The label ``scales.json`` gives a framework (the code itself if unknown).

    >>> framework_name("report_card_2025")
    'Report-card framework (November 2025)'
    """
    spec = schemas.scales()["frameworks"].get(str(framework))
    return spec["label"] if spec else str(framework)


def relative_position(share_harsher: float, low: float, high: float, n: int) -> str:
    """Where an inspector stands among ``n`` peers, from the share of peers they grade more harshly than.

    Said from the side the inspector is on: 'more leniently than 96% of ...' rather than 'more harshly than 4%'.

    >>> relative_position(0.04, 0.0, 0.2, 25)
    'grades more leniently than 96% of the 25 inspectors in the model (90% interval 80% to 100%)'
    >>> relative_position(0.75, 0.5, 0.9, 25)
    'grades more harshly than 75% of the 25 inspectors in the model (90% interval 50% to 90%)'
    """
    if share_harsher >= 0.5:
        return (f"grades more harshly than {share_harsher:.0%} of the {n} inspectors in the model "
                f"(90% interval {low:.0%} to {high:.0%})")
    return (f"grades more leniently than {1 - share_harsher:.0%} of the {n} inspectors in the model "
            f"(90% interval {1 - high:.0%} to {1 - low:.0%})")


def date_words(value) -> str:
    """'12 March 2024' (an empty string when missing)."""
    day = pd.Timestamp(value) if value is not None and not pd.isna(value) else None
    return "" if day is None else f"{day.day} {day:%B %Y}"


def number(x: float, digits: int = 2) -> str:
    """A number rounded for a reader: at most ``digits`` decimals, thousands separated, a dash when missing.

    >>> number(0.00187), number(1234.5, 0), number(float("nan"))
    ('0.00', '1,234', '–')
    """
    if x is None or (isinstance(x, float) and not math.isfinite(x)) or pd.isna(x):
        return "–"
    return f"{float(x):,.{digits}f}"
