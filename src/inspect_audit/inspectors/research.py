"""The inspector questions published research asks, as inspection-level covariates of model M1.

``InspectorModel(research=("sequence", "phase_match", "experience", "team_size", "conflict"))`` adds
these columns to the school-context fixed effects, with the lead inspector's random effect, school and
year effects still in the model (``research="all"`` takes every question):

============  =====================================================  ========================================
question      column(s) (``term`` in :func:`research_effects`)       compared with
============  =====================================================  ========================================
sequence      ``previous_grade[<lowest>]``, ``previous_grade[         the same lead inspector's previous
              <highest>]`` (adjustment: ``previous_grade[none]``)    inspection got a middle grade
phase_match   ``phase_mismatch``: a primary-background lead at a     a lead inspecting their own phase
              secondary school, or a secondary-background lead at
              a primary
experience    ``experience_years``: calendar year of the inspection  per year more
              minus the lead's ``first_year_active``
team_size     ``team_size``: inspectors on the team                  per inspector more
conflict      ``employs_serving_inspector``: the school employs a    schools not known to employ one
              serving Ofsted Inspector (``schools`` column)
============  =====================================================  ========================================

Missing values: ``experience_years`` and ``team_size`` are set to the mean with an indicator column
(``experience_missing``, ``team_size_missing``), as progress is; a lead or school of another phase (special,
mixed, all-through ...) or with no ``phase_background`` counts as not mismatched; an empty
``employs_serving_inspector`` counts as not known to employ one. The previous grade is the grade on the
modelled area of the same lead's preceding graded inspection in the data, ordered by ``start_date`` (same-day
ties by ``inspection_id``; found before rows are dropped for missing context); an inspector's first inspection in the data has
``previous_grade[none]``. What each coefficient identifies (within or between inspectors) is in the model
card, ``models/inspector-effects.md``.

Examples
--------
>>> import pandas as pd
>>> rows = pd.DataFrame({"inspection_id": ["a", "b", "c"], "lead_inspector_id": ["J1", "J1", "J1"],
...                      "start_date": pd.to_datetime(["2020-01-06", "2019-10-01", "2020-03-02"]),
...                      "grade": [2, 4, 1]})
>>> previous_grades(rows).tolist()   # b (2019) had no previous; a followed b
[4.0, nan, 2.0]
>>> resolve_terms("all")
('all',)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from inspect_audit.data import schemas
from inspect_audit.inspectors.posterior_summary import _pick, _summ


@dataclass(frozen=True)
class ResearchQuestion:
    """One research question: what it asks, the columns it needs, and what its coefficient identifies."""

    name: str
    question: str
    needs: tuple[str, ...]  #: ``table.column`` the question reads
    identified: str  #: what the data compare (within or between inspectors), in one line


QUESTIONS: dict[str, ResearchQuestion] = {q.name: q for q in (
    ResearchQuestion("sequence", "Does a lead inspector's previous judgement shift the next one, beyond the "
                     "school's own context?", ("judgements.grade", "inspections.start_date"),
                     "within inspectors: the same inspector's grades after a lowest / highest vs a middle grade, "
                     "their persistent severity held in the inspector effect"),
    ResearchQuestion("phase_match", "Does a lead grade differently outside their own phase (a primary-background "
                     "inspector at a secondary school, or a secondary-background one at a primary)?",
                     ("inspectors.phase_background", "schools.phase"),
                     "within inspectors: how the gap between an inspector's secondary and primary grades differs "
                     "between primary- and secondary-background leads (the two directions together)"),
    ResearchQuestion("experience", "Do more experienced leads grade differently?",
                     ("inspectors.first_year_active", "inspections.start_date"),
                     "between and within inspectors, beyond the year effects, assuming leads who started in "
                     "different years do not differ in severity for other reasons"),
    ResearchQuestion("team_size", "Do larger inspection teams grade differently?", ("inspections.team_size",),
                     "between inspections, given the school's context (team size follows school size)"),
    ResearchQuestion("conflict", "Do schools that employ a serving Ofsted Inspector get different grades, "
                     "inspected by others?", ("schools.employs_serving_inspector",),
                     "between schools, given their context: an association, not a cause"),
)}

#: Columns of :func:`research_effects`.
COLUMNS = ["question", "term", "role", "contrast", "estimand", "scale", "mean", "sd", "ci_low", "ci_high", "n",
           "n_inspectors"]
_TRUE = (True, "true", "True", "TRUE", 1, "1")
_PHASES = ("primary", "secondary")


def resolve_terms(research: str | Iterable[str] | None) -> tuple[str, ...]:
    """The research questions asked, in the order of :data:`QUESTIONS`; ``("all",)`` for ``"all"`` (every
    question the data can answer: see :func:`expand`).

    >>> resolve_terms(["team_size", "sequence"])
    ('sequence', 'team_size')
    >>> resolve_terms("all")
    ('all',)
    """
    if research is None or research == () or research == []:
        return ()
    names = [research] if isinstance(research, str) else list(research)
    if "all" in names:
        return ("all",)
    unknown = [n for n in names if n not in QUESTIONS]
    if unknown:
        raise ValueError(f"unknown research question(s) {', '.join(map(repr, unknown))}: choose from "
                         f"{', '.join(QUESTIONS)} or 'all'")
    return tuple(n for n in QUESTIONS if n in names)


def expand(terms: tuple[str, ...]) -> tuple[tuple[str, ...], bool]:
    """The questions to ask and whether each must be answerable (``strict``): named questions must be (a clear
    error otherwise); ``("all",)`` asks every question and leaves out those the data cannot answer.

    >>> expand(("all",))
    (('sequence', 'phase_match', 'experience', 'team_size', 'conflict'), False)
    """
    return (tuple(QUESTIONS), False) if tuple(terms) == ("all",) else (tuple(terms), True)


def _label(scale, code: int) -> str:
    return scale.label(code).lower().replace(" ", "_")


def previous_grades(rows: pd.DataFrame) -> pd.Series:
    """For each row, the grade (Ofsted code) of the same lead inspector's previous inspection, NaN for none.

    ``rows``: one graded inspection per row with ``inspection_id``, ``lead_inspector_id``, ``start_date`` and
    ``grade`` (codes as in the data). "Previous" is by ``start_date``, same-day ties by ``inspection_id``.
    """
    order = rows.assign(_date=pd.to_datetime(rows["start_date"]), _pos=np.arange(len(rows)))
    order = order.sort_values(["lead_inspector_id", "_date", "inspection_id"], kind="stable")
    prev = order.groupby("lead_inspector_id", sort=False)["grade"].shift(1)
    out = pd.Series(np.nan, index=np.arange(len(rows)), dtype=float)
    out.iloc[order["_pos"].to_numpy()] = pd.to_numeric(prev, errors="coerce").to_numpy(float)
    return out


def _lookup(keys: pd.Series, tables: Mapping[str, pd.DataFrame], table: str, key: str, column: str,
            question: str) -> pd.Series:
    """``tables[table][column]`` for each of ``keys`` (matched on ``key``); a clear error when the column is absent."""
    frame = tables.get(table)
    if frame is None or column not in frame:
        raise ValueError(f"research question {question!r} needs the column {table}.{column}, which the data do not "
                         "have (see docs/data-dictionary.md)")
    frame = frame.drop_duplicates(key)
    return keys.astype(str).map(pd.Series(frame[column].astype(object).to_numpy(), index=frame[key].astype(str)))


def _numeric_with_missing(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Missing values set to the mean of the others (as progress is), and the missing mask."""
    miss = np.isnan(values)
    return np.where(miss, float(np.nanmean(values)) if (~miss).any() else 0.0, values), miss


def research_columns(f: pd.DataFrame, tables: Mapping[str, pd.DataFrame], terms: tuple[str, ...], *, scale,
                     previous: pd.Series | None = None) -> tuple[dict[str, np.ndarray], dict]:
    """Uncentred covariate columns for the rows of ``f`` (the modelled inspections) and their description.

    ``f`` has ``inspection_id``, ``urn``, ``lead_inspector_id``, ``start_date``, ``phase``; ``previous`` maps
    ``inspection_id`` to the previous grade (:func:`previous_grades`); ``terms`` as :func:`resolve_terms` gives
    them. The info dict records, per column, its question, whether it is an effect or an adjustment, what it
    compares, and n (inspections with the characteristic, or with a value) and n_inspectors (their distinct
    leads); with ``("all",)``, the questions the data cannot answer and why (``not_asked``).
    """
    questions, strict = expand(terms)
    info = {"questions": list(questions), "strict": strict, "not_asked": {}, "columns": {}}
    cols: dict[str, np.ndarray] = {}
    for question in questions:
        try:
            new, spec = _question_columns(question, f, tables, scale=scale, previous=previous)
        except ValueError as err:
            if strict:
                raise
            info["not_asked"][question] = str(err)
            continue
        cols.update(new)
        info["columns"].update(spec)
    info["questions"] = [q for q in questions if q not in info["not_asked"]]
    return cols, info


def _question_columns(question: str, f: pd.DataFrame, tables: Mapping[str, pd.DataFrame], *, scale,
                      previous: pd.Series | None) -> tuple[dict[str, np.ndarray], dict]:
    """The columns of one question (see :func:`research_columns`)."""
    terms = (question,)
    cols: dict[str, np.ndarray] = {}
    spec: dict[str, dict] = {}
    n = len(f)
    lead = f["lead_inspector_id"].astype(str)

    def add(name, values, question, role, contrast, *, per_unit=False, observed=None, group=None):
        cols[name] = np.asarray(values, dtype=float)
        on = np.ones(n, dtype=bool) if per_unit else cols[name] > 0
        if observed is not None:
            on = on & observed
        spec[name] = {"question": question, "role": role, "kind": "per_unit" if per_unit else "indicator",
                      "contrast": contrast, "group": group or name, "n": int(on.sum()),
                      "n_inspectors": int(lead[on].nunique())}

    if "sequence" in terms:
        prev = f["inspection_id"].astype(str).map(previous).to_numpy(float) if previous is not None \
            else np.full(n, np.nan)
        low, high = max(scale.codes), min(scale.codes)
        for code in (low, high):
            add(f"previous_grade[{_label(scale, code)}]", prev == code, "sequence", "effect",
                f"the same lead's previous inspection graded {scale.label(code)} vs a middle grade",
                group="previous_grade")
        add("previous_grade[none]", np.isnan(prev), "sequence", "adjustment",
            "the lead's first inspection in the data (no previous grade) vs a middle grade", group="previous_grade")
    if "phase_match" in terms:
        bg = _lookup(lead, tables, "inspectors", "inspector_id", "phase_background", "phase_match")
        bg = bg.where(bg.notna(), "").astype(str).to_numpy()
        phase = f["phase"].astype(str).to_numpy()
        both = np.isin(bg, _PHASES) & np.isin(phase, _PHASES)
        add("phase_mismatch", both & (bg != phase), "phase_match", "effect",
            "a lead from the other phase (primary background at a secondary school, secondary at a primary) "
            "vs a lead from the school's own phase")
    if "experience" in terms:
        first = pd.to_numeric(_lookup(lead, tables, "inspectors", "inspector_id", "first_year_active",
                                      "experience"), errors="coerce").to_numpy(float)
        years = pd.to_datetime(f["start_date"]).dt.year.to_numpy(float) - first
        negative = int(np.sum(years < 0))  # an inspection before the lead's first year: counted, set to 0
        years, miss = _numeric_with_missing(np.where(years < 0, 0.0, years))
        add("experience_years", years, "experience", "effect", "one year more since the lead's first_year_active",
            per_unit=True, observed=~miss)
        spec["experience_years"]["before_first_year_set_to_0"] = negative
        if miss.any():
            add("experience_missing", miss, "experience", "adjustment", "first_year_active missing vs known")
    if "team_size" in terms:
        size = pd.to_numeric(_lookup(f["inspection_id"], tables, "inspections", "inspection_id", "team_size",
                                     "team_size"), errors="coerce").to_numpy(float)
        size, miss = _numeric_with_missing(size)
        add("team_size", size, "team_size", "effect", "one inspector more on the team", per_unit=True,
            observed=~miss)
        if miss.any():
            add("team_size_missing", miss, "team_size", "adjustment", "team_size missing vs known")
    if "conflict" in terms:
        flag = _lookup(f["urn"], tables, "schools", "urn", "employs_serving_inspector", "conflict")
        add("employs_serving_inspector", [v in _TRUE if not pd.isna(v) else False for v in flag], "conflict",
            "effect", "the school employs a serving Ofsted Inspector vs schools not known to employ one")
    return cols, spec


def drop_unanswerable(cols: dict[str, np.ndarray], info: dict) -> None:
    """Before the design matrix is built: a question whose effect column has one value for every modelled
    inspection (nothing to compare) is an error naming what it reads, or with ``("all",)`` is left out (its
    columns removed from ``cols``) and recorded in ``info["not_asked"]``."""
    for name, s in list(info["columns"].items()):
        if s["role"] != "effect" or name not in cols or np.ptp(cols[name]) > 0:
            continue
        q = s["question"]
        why = (f"no modelled inspection has {name} (the column is empty, or never true)"
               if s["kind"] == "indicator" and s["n"] == 0 else
               f"{name} is the same for every modelled inspection ({len(cols[name])})")
        message = f"research question {q!r} cannot be asked of these data: {why}; it reads " \
                  f"{', '.join(QUESTIONS[q].needs)}"
        if info.get("strict", True):
            raise ValueError(message)
        info["not_asked"][q] = message
        for col in [c for c, v in info["columns"].items() if v["question"] == q]:
            cols.pop(col, None)
            del info["columns"][col]
        info["questions"] = [x for x in info["questions"] if x != q]


def check_identified(cov_names: list[str], info: dict) -> None:
    """After the design matrix: raise ``ValueError`` when a question's effect column was dropped as a duplicate
    of an earlier column (it cannot be told apart from that column)."""
    for name, s in info["research"]["columns"].items():
        if s["role"] == "effect" and name not in cov_names:
            raise ValueError(f"research question {s['question']!r} cannot be asked of these data: {name} is a "
                             f"{info.get('dropped_columns', {}).get(name, 'constant column')}")


def research_effects(model) -> pd.DataFrame:
    """Tidy table of the research questions of a fitted :class:`~.estimator.InspectorModel`.

    Per column: a ``logit`` row (the coefficient: log-odds of a better grade, positive = better grades) and,
    for effects, two average marginal effects over the modelled inspections as observed (their inspectors,
    schools and years): the change in P(good or better) and in P(lowest grade) when every inspection has the
    characteristic vs none (indicators; the other levels of its group at the reference) or one unit more
    (experience: 5 years more). Columns :data:`COLUMNS`: question, term, role (effect / adjustment), contrast,
    estimand, scale, mean, sd, ci_low, ci_high (``ci_prob``), n (inspections with the characteristic, or with a
    value), n_inspectors (their distinct lead inspectors). A fit that failed its gates emits a
    ``ConvergenceWarning`` and says so in ``attrs["converged"]``; ``attrs["not_asked"]`` names the questions
    ``research="all"`` left out and why.
    """
    from inspect_audit.inspectors import diagnostics as diag_mod

    model._check_fitted()
    d = model.design_
    r = d.info.get("research")
    if not r:
        raise ValueError("this fit asked no research question: InspectorModel(research=('sequence', ...))")
    if "research_effects" in model._cache:
        return model._cache["research_effects"].copy()
    if not model.diagnostics_["ok"]:
        diag_mod.warn_if_failed(model.diagnostics_, stacklevel=3, repair=getattr(model, "repair_", None))
    draws = model._draw_subset()
    parts = model._eta_parts(draws)
    m_good, good, _ = model._boundary()
    sc = schemas.scale(d.scale)
    lowest = _label(sc, max(sc.codes))
    beta = model._draws["beta"]
    Xraw = d.X + d.x_mean
    everyone = {"all": np.arange(d.n_obs)}
    groups: dict[str, list[int]] = {}
    for name, s in r["columns"].items():
        if name in d.cov_names:
            groups.setdefault(s["group"], []).append(d.column(name))
    out = []
    for name, s in r["columns"].items():
        if name not in d.cov_names:
            continue
        k = d.column(name)
        base = {"question": s["question"], "term": name, "role": s["role"]}
        counts = {"n": s["n"], "n_inspectors": s["n_inspectors"]}
        out.append({**base, "contrast": s["contrast"], "estimand": "log-odds of a better grade", "scale": "logit",
                    **_pick(_summ(beta[:, k], model.ci_prob)), **counts})
        if s["role"] != "effect":
            continue
        bs = beta[draws, k][:, None]
        contrast = s["contrast"]
        if s["kind"] == "indicator":  # every inspection with the characteristic vs every one at the reference
            cols = groups[s["group"]]
            cur = (Xraw[:, cols] @ beta[draws][:, cols].T).T  # (S', n): the group's part of eta as observed
            sa, sb = bs - cur, -cur
        else:  # one unit more for every inspection (experience: 5 years, a step a reader can picture)
            step = 5.0 if name == "experience_years" else 1.0
            sa, sb = bs * step + 0.0 * parts["xb"], 0.0 * parts["xb"]
            if step != 1.0:
                contrast = contrast.replace("one year", "5 years")
        for label, m, sign in ((good, m_good, 1.0), (f"{lowest}", 1, -1.0)):
            ame = sign * model._ame(parts, draws, sa, sb, m, everyone)["all"]
            out.append({**base, "contrast": contrast, "estimand": f"change in P({label})", "scale": "probability",
                        **_pick(_summ(ame, model.ci_prob)), **counts})
    frame = pd.DataFrame(out, columns=COLUMNS)
    frame.attrs["converged"] = bool(model.diagnostics_["ok"])
    frame.attrs["not_asked"] = dict(r.get("not_asked", {}))  # research="all": questions the data cannot answer
    model._cache["research_effects"] = frame
    return frame.copy()


def summary_sentences(effects: pd.DataFrame, ci_prob: float = 0.9) -> list[str]:
    """One plain sentence per research effect on P(good or better), with its interval and n.

    >>> t = pd.DataFrame({"question": ["team_size"], "term": ["team_size"], "role": ["effect"],
    ...                   "contrast": ["one inspector more on the team"], "estimand": ["change in P(good_or_better)"],
    ...                   "scale": ["probability"], "mean": [-0.012], "sd": [0.01], "ci_low": [-0.03],
    ...                   "ci_high": [0.004], "n": [400], "n_inspectors": [25]})
    >>> print(summary_sentences(t)[0])
    team size, one inspector more on the team: P(good or better) changes by -1.2 points (90% interval -3.0 to +0.4; 400 inspections, 25 lead inspectors).
    """
    rows = effects[(effects["scale"] == "probability") & (effects["role"] == "effect")
                   & effects["estimand"].str.contains("_or_better")]
    out = []
    for r in rows.itertuples():
        what = r.estimand.split("(", 1)[1].rstrip(")").replace("_", " ")
        out.append(f"{r.question.replace('_', ' ')}, {r.contrast}: P({what}) changes by {100 * r.mean:+.1f} points "
                   f"({100 * ci_prob:.0f}% interval {100 * r.ci_low:+.1f} to {100 * r.ci_high:+.1f}; "
                   f"{int(r.n):,} inspections, {int(r.n_inspectors):,} lead inspectors).")
    return out


_SHORT = {"phase_mismatch": "lead from the other phase", "experience_years": "5 years more experience",
          "team_size": "one more team member", "employs_serving_inspector": "school employs a serving inspector"}


def _short_label(term: str) -> str:
    """A chart label: ``previous_grade[inadequate]`` -> ``previous inspection inadequate``."""
    if term.startswith("previous_grade["):
        return f"lead's previous inspection {term[len('previous_grade['):-1].replace('_', ' ')}"
    return _SHORT.get(term, term)


def plot_research_effects(effects: pd.DataFrame, path, ci_prob: float = 0.9):
    """Point-and-interval chart of each research effect on P(good or better), labelled with its n; returns ``path``.

    ``effects``: :func:`research_effects` (rows with a blank estimate, e.g. suppressed by the one writer,
    are left out).
    """
    from pathlib import Path

    from inspect_audit._core.plots import plot_estimates

    rows = effects[(effects["scale"] == "probability") & (effects["role"] == "effect")
                   & effects["estimand"].str.contains("_or_better")].copy()
    for c in ("mean", "ci_low", "ci_high", "n"):
        rows[c] = pd.to_numeric(rows[c], errors="coerce")
    rows = rows.dropna(subset=["mean", "ci_low", "ci_high", "n"])
    good = rows["estimand"].iloc[0].split("(", 1)[1].rstrip(")").replace("_", " ") if len(rows) else "good or better"
    table = pd.DataFrame({"label": [_short_label(t) for t in rows["term"]],
                          "estimate": 100 * rows["mean"].to_numpy(), "ci_low": 100 * rows["ci_low"].to_numpy(),
                          "ci_high": 100 * rows["ci_high"].to_numpy(), "n": rows["n"].astype(int).to_numpy()})
    return plot_estimates(table, "label", f"Change in P({good}), {100 * ci_prob:.0f}% intervals",
                          "percentage points (0 = no difference)", Path(path), limits=None)


__all__ = ["QUESTIONS", "COLUMNS", "ResearchQuestion", "resolve_terms", "expand", "previous_grades",
           "research_columns", "drop_unanswerable", "check_identified", "research_effects", "summary_sentences",
           "plot_research_effects"]
