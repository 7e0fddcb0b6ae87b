"""Ofsted Parent View school-level data: percentages per question, as published.

Parent View is published only as per-school percentages, so it becomes ``survey_aggregates``
(``pct_positive`` = strongly agree + agree, or yes; ``pct_negative`` = disagree + strongly
disagree, or no), with the question set in ``survey_items``.

Expected layout (the MI "School level data" sheet): a ``URN`` column, a submissions column
(``Submissions``, ``Number of submissions`` or ``Responses``) and one column per question and
answer, headed ``Q<n>[a|b] ... <answer>`` (e.g. ``Q1 Strongly agree``, ``Q7b - Agree %``,
``Q14 Yes``); values are percentages (0-100, or 0-1 fractions). Title rows and "NULL" are fine.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from inspect_audit.data.adapters.reading import AdaptedTables, normalise, read_delimited
from inspect_audit.data.files import InputError

#: The Parent View question set (2019 onwards): (question, text, dimension). Question 7 is asked
#: of parents who say their child has SEND (7a); the item here is the support question (7b).
PARENT_VIEW_ITEMS = [
    ("1", "My child is happy at this school.", "wellbeing"),
    ("2", "My child feels safe at this school.", "safety"),
    ("3", "The school makes sure its pupils are well behaved.", "behaviour"),
    ("4", "My child has been bullied and the school dealt with the bullying quickly and effectively.",
     "behaviour"),
    ("5", "The school makes me aware of what my child will learn during the school year.", "communication"),
    ("6", "When I have raised concerns with the school they have been dealt with properly.", "communication"),
    ("7b", "My child has SEND, and the school gives them the support they need to succeed.", "support"),
    ("8", "The school has high expectations for my child.", "teaching_and_learning"),
    ("9", "My child does well at this school.", "teaching_and_learning"),
    ("10", "The school lets me know how my child is doing.", "communication"),
    ("11", "There is a good range of subjects available to my child at this school.", "curriculum"),
    ("12", "My child can take part in clubs and activities at this school.", "curriculum"),
    ("13", "The school supports my child's wider personal development.", "personal_development"),
    ("14", "I would recommend this school to another parent.", "overall"),
]
POSITIVE, NEGATIVE = {"stronglyagree", "agree", "yes"}, {"disagree", "stronglydisagree", "no"}
_HEADER = re.compile(r"^q\s*(\d+)([ab])?\b.*?(strongly agree|strongly disagree|disagree|agree|don'?t know|"
                     r"not applicable|yes|no)\s*%?\s*$", re.IGNORECASE)
SUBMISSIONS = ("submissions", "numberofsubmissions", "responses", "numberofresponses")


def item_id(question: str) -> str:
    """Item id of a Parent View question: '7b' -> 'PV_Q7B'."""
    return f"PV_Q{question.upper()}"


def parent_view_items() -> pd.DataFrame:
    """The Parent View question set as a ``survey_items`` table."""
    return pd.DataFrame({"item_id": [item_id(q) for q, _, _ in PARENT_VIEW_ITEMS], "respondent_group": "parent",
                         "dimension": [d for _, _, d in PARENT_VIEW_ITEMS],
                         "text": [t for _, t, _ in PARENT_VIEW_ITEMS],
                         "scale_min": 1, "scale_max": 4, "reverse_coded": False})


def adapt_parent_view(path: str | Path, wave: str) -> AdaptedTables:
    """Read a Parent View school-level sheet into ``survey_items`` and ``survey_aggregates``.

    ``wave`` labels the release (e.g. ``"2026-06"``), since the sheet does not carry it.
    """
    raw, notes = read_delimited(path, must_contain="URN")
    by_norm = {normalise(c): c for c in raw.columns}
    urn_col = by_norm["urn"]
    sub_col = next((by_norm[k] for k in SUBMISSIONS if k in by_norm), None)
    if sub_col is None:
        raise InputError(f"{path}: no submissions column (one of: Submissions, Number of submissions, Responses)")
    answers: dict[str, dict[str, list[str]]] = {}
    for column in raw.columns:
        match = _HEADER.match(str(column).strip())
        if match:
            question = match.group(1) + (match.group(2) or "").lower()
            answers.setdefault(question, {"pos": [], "neg": []})
            kind = normalise(match.group(3))
            if kind in POSITIVE | NEGATIVE:
                answers[question]["pos" if kind in POSITIVE else "neg"].append(column)
    known = {q for q, _, _ in PARENT_VIEW_ITEMS}
    unknown = sorted(set(answers) - known)
    if unknown:
        notes.append("questions not in the Parent View item set, not used: " + ", ".join(unknown))
    if not set(answers) & known:
        raise InputError(f"{path}: no question columns like 'Q1 Strongly agree' found")
    values = raw.drop(columns=[urn_col, sub_col]).apply(pd.to_numeric, errors="coerce")
    scale = 100.0 if values.max().max() <= 1.0 else 1.0
    if scale == 100.0:
        notes.append("percentages given as fractions (0-1): multiplied by 100")
    rows = []
    for question in [q for q, _, _ in PARENT_VIEW_ITEMS if q in answers]:
        cols = answers[question]
        pos = values[cols["pos"]].sum(axis=1, min_count=1) * scale
        neg = values[cols["neg"]].sum(axis=1, min_count=1) * scale if cols["neg"] else pd.Series(pd.NA, index=raw.index)
        rows.append(pd.DataFrame({"urn": raw[urn_col], "wave": wave, "respondent_group": "parent",
                                  "item_id": item_id(question), "n_responses": raw[sub_col],
                                  "pct_positive": pos.round(1), "pct_negative": neg.round(1)}))
    aggregates = pd.concat(rows).sort_index(kind="stable").reset_index(drop=True)
    suppressed = aggregates["pct_positive"].isna()
    if suppressed.any():
        notes.append(f"{int(suppressed.sum())} school-question row(s) with no published percentage "
                     "(suppressed by Ofsted below 10 responses, or blank) not included")
        aggregates = aggregates[~suppressed].reset_index(drop=True)
    return AdaptedTables(tables={"survey_items": parent_view_items(), "survey_aggregates": aggregates},
                         notes=notes, source=str(path))
