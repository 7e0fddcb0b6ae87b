"""Assemble an evidence pack: the sentences, figures and tables for one contested inspection."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from inspect_audit import __version__
from inspect_audit._core import export, privacy
from inspect_audit._core.grades import area_grades
from inspect_audit.data import schemas
from inspect_audit.reporting.evidence_pack import figures
from inspect_audit.reporting.evidence_pack.fit import FitView, view_of
from inspect_audit.reporting.evidence_pack.render import document, html_to_pdf
from inspect_audit.reporting.evidence_pack.source import DataSource, as_source
from inspect_audit.reporting.evidence_pack.wording import (area_name, cell, date_words, framework_name, number,
                                                           pct, region_name, relative_position,
                                                           with_interval)
from inspect_audit.scorecard.reliability import better_side

CI_LEVEL = 0.90
#: Similar schools sought for the comparison of grades.
N_SIMILAR = 50
MIN_N = privacy.MIN_N


@dataclass
class EvidencePack:
    """One pack: what page 1 says (facts, banners, sentences), figures, tables, the appendix and the stamp.

    ``tables`` and ``appendix`` are display tables (human column names, rounded); ``data`` holds the tidy
    tables behind them after the one writer's protection (pseudonyms, small groups suppressed).
    """

    inspection_id: str
    sentences: list[str]
    tables: dict[str, pd.DataFrame]
    figures: dict[str, bytes] = field(default_factory=dict)
    stamp: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    subtitle: str = ""
    facts: list[tuple[str, str]] = field(default_factory=list)
    banners: list[tuple[str, str]] = field(default_factory=list)
    captions: dict[str, str] = field(default_factory=dict)
    appendix: dict[str, pd.DataFrame] = field(default_factory=dict)
    data: dict[str, pd.DataFrame] = field(default_factory=dict)
    reading_notes: list[str] = field(default_factory=list)
    source: DataSource = field(default_factory=lambda: DataSource("unknown", "not recorded"))
    privacy: dict = field(default_factory=dict)

    def to_html(self) -> str:
        """A self-contained HTML page laid out for A4 (figures embedded)."""
        return document(self)

    def to_pdf(self) -> bytes:
        """The PDF (A4) made from :meth:`to_html`."""
        return html_to_pdf(self.to_html())

    def file_stem(self) -> str:
        """``evidence_pack_<id>`` with the id reduced to letters, digits, ``-`` and ``_`` (an id is data, never a
        path) and a short hash of the id when that changed it, so two ids never share a file."""
        import re

        raw = str(self.inspection_id)
        safe = re.sub(r"[^A-Za-z0-9_-]+", "_", raw).strip("_") or "id"
        if safe != raw:
            safe += "-" + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:6]
        return f"evidence_pack_{safe}"

    def write(self, directory: str | Path, pdf: bool = True) -> dict[str, Path]:
        """Write ``evidence_pack_<id>.html`` and ``.pdf`` into ``directory`` and record in ``privacy.json`` what
        was done to protect the people in them; returns the paths."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        stem = self.file_stem()
        paths = {"html": directory / f"{stem}.html"}
        html = self.to_html()
        paths["html"].write_text(html, encoding="utf-8")
        if pdf:
            paths["pdf"] = directory / f"{stem}.pdf"
            paths["pdf"].write_bytes(html_to_pdf(html))
        entry = getattr(self, "privacy", None)
        if entry:
            for path in paths.values():
                export.record(path, entry)
        return paths


# ---------------------------------------------------------------------------------------------- helpers
def _judgements_of(tables: dict, inspection_id: str, framework: str) -> pd.DataFrame:
    """The inspection's judgements with their scale and label (areas its framework does not grade left out)."""
    areas = schemas.framework_areas(framework) if framework in schemas.scales()["frameworks"] else {}
    j = tables["judgements"]
    mine = j[j["inspection_id"].astype(str) == inspection_id]
    rows = []
    for area, grade in zip(mine["area"].astype(str), mine["grade"]):
        if area in areas and pd.notna(grade):
            sc = schemas.scale(areas[area])
            rows.append({"area": area, "grade": int(grade), "label": sc.label(int(grade)), "scale": sc.name})
    order = {a: i for i, a in enumerate(areas)}
    out = pd.DataFrame(rows, columns=["area", "grade", "label", "scale"])
    return out.sort_values("area", key=lambda s: s.map(order)).reset_index(drop=True)


def _ordinal(awarded: pd.DataFrame) -> pd.DataFrame:
    """Areas graded on an ordinal scale (not met / not met)."""
    return awarded[awarded["scale"] != "met_not_met"]


def _latest_grades(tables: dict, area: str, scale_name: str) -> pd.DataFrame:
    """Each school's latest grade on ``area`` among inspections whose framework grades it on ``scale_name``
    (index ``urn``, column ``grade``)."""
    present = tables["inspections"]["framework"].astype(str).unique()
    same = [fw for fw in present if fw in schemas.scales()["frameworks"]
            and schemas.framework_areas(fw).get(area) == scale_name]
    try:
        grades, _ = area_grades({t: tables[t] for t in ("judgements", "inspections")}, area, same) if same else (
            None, None)
    except ValueError:  # no such grade in the data
        grades = None
    if grades is None:
        return pd.DataFrame({"grade": pd.Series(dtype="Int64")}, index=pd.Index([], name="urn", dtype=str))
    grades = grades.dropna(subset=["grade"]).assign(urn=lambda g: g["urn"].astype(str))
    return grades.sort_values(["start_date", "inspection_id"]).drop_duplicates("urn", keep="last").set_index("urn")


def similar_schools(tables: dict[str, pd.DataFrame], urn: str, k: int = N_SIMILAR,
                    area: str = "overall_effectiveness", scale: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``k`` schools most like ``urn`` that have a grade on ``area``, and the shares of their latest grades.

    Similar means: the same phase, and nearest in free-school-meal share (the FSM quintile where shares are
    absent) and progress (Progress 8 for secondaries, KS2 progress otherwise; left out when the school has
    none), each standardised. Only grades on one scale are counted (``scale``: default the scale of the
    school's latest grade on ``area``), so legacy grades never stand in for report-card grades.

    Returns
    -------
    (shares, members)
        ``shares``: one row per grade of the scale, ``grade, label, count, n, share, ci_low, ci_high`` (Wilson
        90% interval; ``n`` = schools found); ``attrs``: ``sought`` (k), ``found``, ``features``, ``scale``.
        ``members``: ``urn, grade`` of the schools found (fewer than ``k`` where fewer have such a grade).

    Examples
    --------
    >>> from inspect_audit.data.simulate import SimulationConfig, simulate
    >>> tables = simulate(SimulationConfig(n_schools=300, n_inspectors=20, survey_n_schools=10), seed=1).tables()
    >>> shares, members = similar_schools(tables, tables["schools"]["urn"].iloc[0], k=20)
    >>> shares.attrs["found"], int(shares["count"].sum()), list(shares["label"])
    (20, 20, ['Outstanding', 'Good', 'Requires improvement', 'Inadequate'])
    """
    schools = tables["schools"].assign(urn=tables["schools"]["urn"].astype(str)).drop_duplicates("urn")
    schools = schools.set_index("urn")
    urn = str(urn)
    me = schools.loc[urn]
    if scale is None:
        ins = tables["inspections"]
        fws = ins.loc[ins["urn"].astype(str) == urn].sort_values("start_date")["framework"].astype(str)
        scales_here = [schemas.framework_areas(fw).get(area) for fw in fws if fw in schemas.scales()["frameworks"]]
        scale = next((s for s in reversed(scales_here) if s), "legacy_4")
    sc = schemas.scale(scale)
    grades = _latest_grades(tables, area, scale)
    fsm = "fsm_pct" if "fsm_pct" in schools and pd.notna(me.get("fsm_pct")) else "fsm_quintile"
    progress = "progress8" if me.get("phase") == "secondary" else "ks2_progress"
    features = [fsm] + ([progress] if progress in schools and pd.notna(me.get(progress)) else [])
    pool = schools[(schools["phase"] == me.get("phase")) & (schools.index != urn) & schools.index.isin(grades.index)]
    values = pool[features].apply(pd.to_numeric, errors="coerce").dropna()
    spread = values.std().replace(0, 1).fillna(1)
    target = pd.to_numeric(me[features], errors="coerce").astype(float)
    distance = ((values - target) / spread).pow(2).sum(axis=1).pow(0.5)
    nearest = distance.sort_values(kind="stable").index[:k]
    members = grades.loc[nearest, ["grade"]].reset_index()
    counts = members["grade"].astype(int).value_counts().reindex(list(sc.codes), fill_value=0).to_numpy()
    n = int(counts.sum())
    if n:
        low, high = proportion_confint(counts, n, alpha=1 - CI_LEVEL, method="wilson")
    else:
        low = high = np.full(len(counts), np.nan)
    shares = pd.DataFrame({"grade": sc.codes, "label": sc.labels, "count": counts, "n": n,
                           "share": counts / max(n, 1) if n else np.nan, "ci_low": low, "ci_high": high})
    shares.attrs.update({"sought": int(k), "found": n, "features": features, "scale": scale, "area": area})
    return shares, members


def _feature_words(features: list[str]) -> str:
    words = {"fsm_pct": "share of pupils eligible for free school meals", "fsm_quintile": "free-school-meal quintile",
             "progress8": "Progress 8", "ks2_progress": "KS2 progress"}
    return " and ".join(words[f] for f in features)


def _similar_sentence(shares: pd.DataFrame, awarded_label: str, awarded_grade: int, phase: str) -> str:
    found, sought = shares.attrs["found"], shares.attrs["sought"]
    area = area_name(shares.attrs["area"]).lower()
    if not found:
        return f"No similar {phase} school has a {area} grade on this scale, so no comparison can be made."
    row = shares.loc[shares["grade"] == awarded_grade].iloc[0]
    lead = (f"Of the {found} {phase} schools most similar to this one" if found >= sought else
            f"Only {found} similar {phase} schools have a {area} grade on this scale ({sought} were sought); of them")
    codes, words = better_side(schemas.scale(shares.attrs["scale"]))
    k = int(shares.loc[shares["grade"].isin(codes), "count"].sum())
    low, high = proportion_confint(k, found, alpha=1 - CI_LEVEL, method="wilson")
    return (f"{lead} (nearest in {_feature_words(shares.attrs['features'])}), "
            f"{with_interval(row['share'], row['ci_low'], row['ci_high'])} were judged {awarded_label} for {area} at "
            f"their latest inspection, and {with_interval(k / found, low, high)} {words} (n = {found} schools).")


def _similar_table(shares: pd.DataFrame, awarded_grade: int) -> pd.DataFrame:
    return pd.DataFrame({
        "Grade": [f"{lab} (awarded here)" if g == awarded_grade else lab for g, lab in zip(shares["grade"],
                                                                                           shares["label"])],
        "Similar schools": shares["count"].astype(int),
        "Share (90% interval)": [cell(s, lo, hi) for s, lo, hi in zip(shares["share"], shares["ci_low"],
                                                                      shares["ci_high"])]})


def _cells(frame: pd.DataFrame, prefix: str) -> list[str]:
    """``prefix``_mean with its interval, as a share, for each row."""
    return [cell(m, lo, hi) for m, lo, hi in zip(frame[f"{prefix}_mean"], frame[f"{prefix}_ci_low"],
                                                 frame[f"{prefix}_ci_high"])]


def _points(frame: pd.DataFrame, prefix: str) -> list[str]:
    """``prefix``_mean with its interval, as a difference in percentage points, for each row."""
    return [f"{m * 100:+.0f} points ({lo * 100:+.0f} to {hi * 100:+.0f})" for m, lo, hi in
            zip(frame[f"{prefix}_mean"], frame[f"{prefix}_ci_low"], frame[f"{prefix}_ci_high"])]


def _decimals(frame: pd.DataFrame, prefix: str) -> list[str]:
    """``prefix``_mean with its interval to three decimals (the appendix), for each row."""
    return [f"{m:.3f} ({lo:.3f} to {hi:.3f})" for m, lo, hi in
            zip(frame[f"{prefix}_mean"], frame[f"{prefix}_ci_low"], frame[f"{prefix}_ci_high"])]


def _grade_table(cf: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Grade": [f"{lab} (awarded)" if obs else lab for lab, obs in zip(cf["label"], cf["observed"])],
        "This lead inspector": _cells(cf, "actual"), "A typical inspector": _cells(cf, "typical"),
        "Difference (typical minus this)": _points(cf, "change")})


def _lead_table(row: pd.Series, shown_id: str, ok: bool) -> pd.DataFrame:
    out = {"Inspector (pseudonym)": shown_id, "Inspections led": int(row["n_inspections"]),
           "Severity (90% interval; 0 = typical, + = harsher)":
               f"{row['mean']:+.2f} ({row['ci_low']:+.2f} to {row['ci_high']:+.2f})"}
    if "rank_median" in row and pd.notna(row.get("rank_median")):
        out["Rank, 1 = harshest (90% interval)"] = (f"{row['rank_median']:.0f} ({row['rank_ci_low']:.0f} to "
                                                    f"{row['rank_ci_high']:.0f})")
    out["Chance notably harsher"] = pct(row["p_severe"])
    out["Chance notably more lenient"] = pct(row["p_lenient"])
    out["Flag"] = ({"severe": "notably harsh", "lenient": "notably lenient"}.get(str(row.get("flag") or ""),
                                                                                "none") if ok else
                   "none (model failed its checks)")
    return pd.DataFrame([out])


def _diagnostics_table(fit: FitView) -> pd.DataFrame:
    d = fit.diagnostics
    gates = d.get("gates", {})
    rows = [("Converged (all checks passed)", "yes" if fit.ok else "NO"),
            ("Largest R-hat (want at most {})".format(gates.get("rhat_max", 1.01)), number(d.get("max_rhat"), 3)),
            ("Smallest effective sample size, bulk (want at least {:.0f})".format(gates.get("ess_min", 400)),
             number(d.get("min_ess_bulk"), 0)),
            ("Smallest effective sample size, tail", number(d.get("min_ess_tail"), 0)),
            ("Divergent transitions (want 0)", str(d.get("divergences", "–"))),
            ("Smallest E-BFMI (want above {})".format(gates.get("bfmi_min", 0.3)), number(d.get("min_bfmi"), 2))]
    fit_settings = d.get("fit", {})
    if fit_settings:
        rows.append(("Sampling", f"{fit_settings.get('chains')} chains x {fit_settings.get('draws')} draws "
                                 f"(after {fit_settings.get('tune')} tuning), seed {fit_settings.get('seed')}"))
    for key, value in fit.n.items():
        if isinstance(value, (int, float)):
            rows.append((f"Modelled {key.replace('_', ' ')}", f"{int(value):,}"))
    return pd.DataFrame(rows, columns=["Check or setting", "Value"])


def _survey_evidence(tables: dict, urn: str, min_n: int) -> tuple[pd.DataFrame | None, str | None]:
    """(display table, sentence) of stakeholder survey evidence for the school, or (None, None)."""
    if "survey_responses" in tables and tables["survey_responses"] is not None and \
            (tables["survey_responses"]["urn"].astype(str) == urn).any():
        from inspect_audit.surveys.scoring import recode, respondent_scores, school_scores

        resp = tables["survey_responses"]
        mine = resp[resp["urn"].astype(str) == urn]
        scores = school_scores(respondent_scores(recode(mine, tables["survey_items"])), min_responses=min_n)
        latest = scores[scores["wave"] == scores["wave"].max()]
        table = pd.DataFrame({
            "Group": latest["respondent_group"].astype(str).str.replace("_", " "),
            "Dimension": latest["dimension"].astype(str).str.replace("_", " "),
            "Mean score (90% interval)": [("withheld (fewer than %d)" % min_n) if w else
                                         f"{e:.2f} ({lo:.2f} to {hi:.2f})" for e, lo, hi, w in
                                         zip(latest["estimate"], latest["ci_low"], latest["ci_high"],
                                             latest["withheld"])],
            "Respondents (n)": [f"fewer than {min_n}" if w else str(int(n)) for n, w in
                                zip(latest["n"], latest["withheld"])]})
        shown = latest[~latest["withheld"] & (latest["dimension"] == "composite")]
        if len(shown):
            items = tables["survey_items"].assign(respondent_group=lambda f: f["respondent_group"].astype(str))
            lo = items.groupby("respondent_group")["scale_min"].min()
            hi = items.groupby("respondent_group")["scale_max"].max()
            groups = "; ".join(
                f"{g.replace('_', ' ')} {r['estimate']:.2f} on a {int(lo[g])}-to-{int(hi[g])} scale (90% interval "
                f"{r['ci_low']:.2f} to {r['ci_high']:.2f}; n = {int(r['n'])})"
                for g, (_, r) in zip(shown["respondent_group"].astype(str), shown.iterrows()))
            sentence = (f"The school's own survey ({shown['wave'].iloc[0]}), mean score over all questions (higher = "
                        f"more favourable): {groups}. The table below has each dimension.")
        else:
            sentence = f"Survey results for this school are withheld: fewer than {min_n} people responded."
        return table, sentence
    agg = tables.get("survey_aggregates")
    if agg is not None and (agg["urn"].astype(str) == urn).any():
        national = agg.groupby("item_id")["pct_positive"].median().rename("national")
        mine = agg[agg["urn"].astype(str) == urn].merge(national, left_on="item_id", right_index=True)
        items = tables.get("survey_items")
        text = mine["item_id"].map(items.set_index("item_id")["text"]) if items is not None else mine["item_id"]
        n = mine["n_responses"].astype(int).to_numpy()
        k = np.round(mine["pct_positive"].to_numpy(float) / 100 * n)
        low, high = proportion_confint(k, np.maximum(n, 1), alpha=1 - CI_LEVEL, method="wilson")
        show = n >= min_n
        table = pd.DataFrame({
            "Question": text.fillna(mine["item_id"]).to_numpy(),
            "Positive answers (90% interval)": [cell(p / 100, lo, hi) if s else f"withheld (fewer than {min_n})"
                                                for p, lo, hi, s in zip(mine["pct_positive"], low, high, show)],
            "National median": [pct(v / 100) for v in mine["national"]],
            "Responses (n)": [str(int(v)) if ok else f"fewer than {min_n}" for v, ok in zip(n, show)]})
        if not show.any():
            return table, f"Parent View answers for this school are withheld: fewer than {min_n} responses."
        gap = np.array(mine["pct_positive"] - mine["national"], dtype=float)  # a writable copy (pyarrow columns)
        gap[~show] = np.inf
        i = int(np.argmin(gap))
        sentence = (f"Parent View: the question furthest below the national median is \"{table['Question'].iloc[i]}\""
                    f": {with_interval(mine['pct_positive'].iloc[i] / 100, low[i], high[i])} positive (n = {n[i]} "
                    f"responses) against a national median of {pct(mine['national'].iloc[i] / 100)}.")
        return table, sentence
    return None, None


# ---------------------------------------------------------------------------------------------- the pack
def build_pack(tables: dict[str, pd.DataFrame], model, inspection_id: str, *, pseudonymise_ids: bool = True,
               key: str | None = None, min_n: int = MIN_N, seed: int = 0, source=None,
               n_similar: int = N_SIMILAR) -> EvidencePack:
    """The evidence pack for ``inspection_id`` from validated tables and a fitted model.

    Parameters
    ----------
    tables : dict of DataFrame
        Validated tables (``schools``, ``inspections``, ``judgements``; ``complaints``, survey tables where
        available), with person ids as the model holds them.
    model : InspectorModel, MultiAreaModel or FitView
        A fitted model, or a fit folder opened with :func:`open_fit`. A single-area model gives the grade
        chances under this lead inspector and a typical one; a multi-area model (report cards) gives the lead
        inspector's effect shared by the areas.
    inspection_id : str
        The inspection under complaint.
    pseudonymise_ids : bool
        Show inspectors by pseudonyms keyed with ``key`` (default this installation's secret key; ids that are
        already pseudonyms stay as they are).
    min_n : int
        Groups (complaints, respondents, inspections led) smaller than this are withheld.
    source : DataSource, str or object, optional
        Where the data came from (real, simulated, uploaded; file names and SHA-256). An object with ``kind``,
        ``label`` and ``files`` (the app's data choice) is accepted; default a guess from the tables.
    n_similar : int
        Similar schools sought.

    Returns
    -------
    EvidencePack

    Raises
    ------
    KeyError
        If the inspection is not in the inspections table.

    Examples
    --------
    >>> from inspect_audit.data.simulate import SimulationConfig, simulate
    >>> from inspect_audit.inspectors import InspectorModel
    >>> data = simulate(SimulationConfig(n_schools=300, n_inspectors=20), seed=1)
    >>> model = InspectorModel().fit(data.tables(), chains=2, draws=200, tune=200, progress=False)  # doctest: +SKIP
    >>> pack = build_pack(data.tables(), model, data.complaints["inspection_id"].iloc[0])  # doctest: +SKIP
    >>> pack.write("packs")  # doctest: +SKIP
    """
    if hasattr(tables, "origin") and hasattr(tables, "tables"):  # a Dataset names its own source
        source = tables if source is None else source
        tables = tables.tables
    fit = view_of(model)
    src = as_source(source, tables)
    tables = {k: v for k, v in dict(tables).items() if v is not None}
    inspection_id = str(inspection_id)
    inspections = tables["inspections"].assign(inspection_id=tables["inspections"]["inspection_id"].astype(str))
    hit = inspections[inspections["inspection_id"] == inspection_id]
    if hit.empty:
        raise KeyError(f"inspection {inspection_id!r} is not in the inspections table")
    row = hit.iloc[0]
    urn, lead, framework = str(row["urn"]), row.get("lead_inspector_id"), str(row["framework"])
    schools = tables["schools"].assign(urn=tables["schools"]["urn"].astype(str)).drop_duplicates("urn")
    school = schools.set_index("urn").loc[urn] if urn in set(schools["urn"]) else pd.Series(dtype=object)
    phase = str(school.get("phase", "")) if pd.notna(school.get("phase", np.nan)) else "school"
    awarded = _judgements_of(tables, inspection_id, framework)
    ordinal = _ordinal(awarded)
    report_card = bool(len(ordinal)) and ordinal["scale"].iloc[0] == "report_card_5"
    entries: list[dict] = []

    def show(ident):
        if ident is None or pd.isna(ident):
            return "not recorded"
        return privacy.pseudonymise(pd.Series([ident]), key).iloc[0] if pseudonymise_ids else str(ident)

    def protect(frame: pd.DataFrame, **options) -> pd.DataFrame:
        out, entry = export.protect(frame, pseudonymise=pseudonymise_ids, key=key, **options)
        entries.append(entry)
        return out

    sentences, warnings_, tables_out, appendix, figs, captions, data = [], [], {}, {}, {}, {}, {}
    banners = []
    if src.simulated:
        banners.append(("SIMULATED DATA: the schools, inspections and inspectors in this pack are simulated, not "
                        "real. It shows what a pack looks like; it is evidence about no real person or school.",
                        "simulated"))
    if not fit.ok:
        msg = ("The model did not pass its convergence checks, so its estimates are unreliable: they are shown for "
               "information only and no inspector is flagged. Refit with longer chains before relying on this pack.")
        warnings_.append(msg)
        banners.append((msg, "failed"))

    fitted_on = {Path(path).name: digest for path, digest in (fit.data_source.get("sha256") or {}).items()}
    differ = sorted(name for name, digest in src.files if name in fitted_on and fitted_on[name] != digest)
    if differ:
        msg = (f"The data given for this pack are not the data the model was fitted on ({', '.join(differ)}: different "
               "SHA-256 hashes). Make the pack with the data the fit names in its appendix.")
        warnings_.append(msg)
        banners.append((msg, "failed"))

    # -- facts
    region = region_name(school.get("region")) if pd.notna(school.get("region", np.nan)) else ""
    name = f", {school.get('name')}" if pd.notna(school.get("name", np.nan)) else ""
    facts = [("School", f"URN {urn}{name} ({phase} school{', ' + region if region else ''})"),
             ("Inspection", f"{date_words(row.get('start_date'))}; {framework_name(framework)}; "
                            f"{str(row.get('inspection_type', '')).replace('_', ' ')}"),
             ("Lead inspector", show(lead))]
    if len(awarded):
        facts.append(("Grades awarded", "; ".join(f"{area_name(a)}: {lab}" for a, lab in
                                                   zip(ordinal["area"], ordinal["label"])) or "none on record"))
        safe = awarded[awarded["scale"] == "met_not_met"]
        if len(safe):
            facts.append(("Safeguarding", safe["label"].iloc[0]))
    facts.append(("Data", src.sentence()))
    n = fit.n
    model_words = ("all report-card areas together (the lead inspector's effect shared by the areas)"
                   if fit.kind == "multi_area" else f"{area_name(fit.area or '').lower()} grades")
    facts.append(("Model", f"inspector-effects model of {model_words}; n = {n.get('inspections', 0):,} "
                           f"inspections by {n.get('inspectors', 0):,} inspectors; "
                           + ("passed its convergence checks" if fit.ok else "FAILED its convergence checks")))

    # -- the grade awarded
    when = date_words(row.get("start_date"))
    if report_card:
        counts = ordinal["label"].value_counts()
        sc = schemas.scale("report_card_5")
        parts = [f"{counts[lab]} area{'s' * int(counts[lab] > 1)} {lab}" for lab in sc.labels if lab in counts]
        safe = awarded[awarded["scale"] == "met_not_met"]
        sentences.append(f"Report card ({phase} school, inspected {when}): " + ", ".join(parts)
                         + (f"; safeguarding {safe['label'].iloc[0].lower()}" if len(safe) else "")
                         + ". Report cards have no overall grade; each area is graded on the five-point scale "
                           "from Exceptional to Urgent improvement.")
    headline_area = fit.area if fit.kind == "single_area" and fit.area in set(ordinal["area"]) else (
        "overall_effectiveness" if "overall_effectiveness" in set(ordinal["area"]) else None)
    if headline_area is None and len(ordinal):  # report cards: the lowest-graded area leads
        headline_area = ordinal.sort_values("grade", kind="stable")["area"].iloc[-1]
    head = ordinal[ordinal["area"] == headline_area].iloc[0] if headline_area else None
    if head is not None and not report_card:
        sentences.append(f"Grade awarded for {area_name(headline_area).lower()}: {head['label']} ({phase} school, "
                         f"inspected {when}, {framework_name(framework)}).")
    if head is None:
        sentences.append("No graded judgement of this inspection is on record, so no grade can be compared.")

    # -- grade chances under this lead inspector and a typical one
    n_words = f"model of n = {n.get('inspections', 0):,} inspections by {n.get('inspectors', 0):,} inspectors"
    cf = fit.counterfactual(inspection_id)  # None: an older multi-area folder keeps no draws
    if cf is not None and fit.kind == "multi_area":
        got = cf[cf["observed"] & (cf["grade"] > 1)].reset_index(drop=True)  # the best grade has none better
        tables_out["Chance of a better grade than awarded, area by area: this lead inspector and a typical "
                   "inspector"] = pd.DataFrame({
            "Area": [area_name(a) for a in got["area"]], "Grade awarded": got["label"],
            "This lead inspector": _cells(got, "better_actual"), "A typical inspector": _cells(got, "better_typical"),
            "Difference (typical minus this)": _points(got, "better_change")})
        if len(got):
            big = got.loc[got["better_change_mean"].abs().idxmax()]
            this = with_interval(big["better_actual_mean"], big["better_actual_ci_low"], big["better_actual_ci_high"])
            typical = with_interval(big["better_typical_mean"], big["better_typical_ci_low"],
                                    big["better_typical_ci_high"])
            sentences.append(
                f"With a typical inspector instead of this inspection's lead inspector (same school, visit and "
                f"context), the chance of a better grade than the one awarded changes by "
                f"{got['better_change_mean'].min() * 100:+.0f} to {got['better_change_mean'].max() * 100:+.0f} points "
                f"across the {len(got)} areas not graded {schemas.scale('report_card_5').label(1)}; most in "
                f"{area_name(big['area']).lower()} (awarded {big['label']}): {this} with this lead inspector, against "
                f"{typical} with a typical inspector ({n_words}).")
        data["grade_chances"] = cf
    elif cf is not None:
        area_w = area_name(fit.area).lower()
        got = cf.loc[cf["observed"]].iloc[0]
        typ = cf.loc[cf["typical_mean"].idxmax()]
        act = cf.loc[cf["actual_mean"].idxmax()]
        sentences.append(
            f"The chance of the grade awarded ({got['label']}) for {area_w}: "
            f"{with_interval(got['actual_mean'], got['actual_ci_low'], got['actual_ci_high'])} with this inspection's "
            f"lead inspector, against "
            f"{with_interval(got['typical_mean'], got['typical_ci_low'], got['typical_ci_high'])}"
            f" with a typical inspector ({n_words}).")
        same = typ["grade"] == act["grade"]
        sentences.append(
            f"With a typical inspector the most likely {area_w} grade for this school is {typ['label']}, with a chance "
            f"of {with_interval(typ['typical_mean'], typ['typical_ci_low'], typ['typical_ci_high'])}; with this lead "
            f"inspector it is {'also ' if same else ''}{act['label']}, with a chance of "
            f"{with_interval(act['actual_mean'], act['actual_ci_low'], act['actual_ci_high'])}.")
        figs["counterfactual"] = figures.grade_chances(cf, area_name(fit.area))
        captions["counterfactual"] = (f"The chance of each {area_w} grade for this school with this inspection's lead "
                                     "inspector (orange) and with a typical inspector (blue): same school, year and "
                                     f"context; bars are estimates, lines 90% intervals; {n_words}.")
        tables_out[f"Chance of each {area_w} grade: this lead inspector and a typical inspector"] = _grade_table(cf)
        data["grade_chances"] = cf
    elif fit.kind == "single_area":
        sentences.append("This inspection is not in the model's data (another area or framework, a missing lead "
                         "inspector or school context), so the model cannot say what a typical inspector would "
                         "have awarded.")
    else:
        sentences.append("This report-card fit was saved without its draws (a folder written before December 2026): "
                         "it gives the lead inspector's effect across all areas, but not this school's grade chances "
                         "under a typical inspector (refit to get them).")

    # -- the lead inspector among peers
    effects = fit.effects if fit.effects is not None else pd.DataFrame(columns=["inspector_id"])
    model_lead = None if lead is None or pd.isna(lead) else str(lead)
    mine = effects[effects["inspector_id"].astype(str) == model_lead] if model_lead else effects.iloc[:0]
    if model_lead is None:
        sentences.append("No lead inspector is recorded for this inspection, so nothing is said about one.")
    elif mine.empty:
        sentences.append("The lead inspector is not in the model's data, so nothing is said about them."
                         if fit.effects_complete else
                         f"The fit's published table lists only inspectors with at least {min_n} inspections; this "
                         "lead inspector is not among them, so nothing is said about them.")
    elif int(mine.iloc[0]["n_inspections"]) < min_n:
        sentences.append(f"The lead inspector led fewer than {min_n} inspections in these data: too few to say "
                         "anything reliable about them, so their estimate is withheld.")
    else:
        me = mine.iloc[0]
        J = len(effects)
        if "rank_median" in effects and fit.effects_complete:
            share = (J - me["rank_median"]) / (J - 1)
            lo, hi = (J - me["rank_ci_high"]) / (J - 1), (J - me["rank_ci_low"]) / (J - 1)
            position = relative_position(share, lo, hi, J)
        else:
            odds = (math.exp(-me["mean"]), math.exp(-me["ci_high"]), math.exp(-me["ci_low"]))
            position = (f"is estimated to give the odds of a better grade {odds[0]:.2f} times those of a typical "
                        f"inspector (90% interval {odds[1]:.2f} to {odds[2]:.2f}; below 1 = harsher)")
        sentences.append(f"Compared with other inspectors, this inspection's lead inspector {position}; n = "
                         f"{int(me['n_inspections'])} inspections they led.")
        flag = str(me.get("flag") or "")
        verdict = ("No inspector is flagged, because the model did not pass its checks." if not fit.ok else
                   "Flagged as notably harsh." if flag == "severe" else
                   "Flagged as notably lenient." if flag == "lenient" else "Not flagged.")
        sentences.append(f"The chance that this lead inspector grades notably more harshly than a typical inspector "
                         f"is {pct(me['p_severe'])}; notably more leniently, {pct(me['p_lenient'])}. {verdict}")
        shown_effects = protect(effects, n_col="n_inspections")
        figs["severity"] = figures.among_peers(shown_effects, show(model_lead))
        captions["severity"] = (f"Each inspector's estimated severity with its 90% interval: the {len(shown_effects)} "
                                   f"inspectors with at least {min_n} inspections (of {n.get('inspectors', J)} in the "
                                   "model); 0 is a "
                                   "typical inspector.")
        lead_row = shown_effects[shown_effects["inspector_id"] == show(model_lead)]
        if len(lead_row):
            appendix["The lead inspector's estimates"] = _lead_table(lead_row.iloc[0], show(model_lead), fit.ok)
            data["lead_inspector"] = lead_row

    # -- similar schools, on the inspection's own scale
    if head is not None:
        areas = list(ordinal["area"]) if report_card else [headline_area]
        per_area = []
        for area in areas:
            mine_area = ordinal[ordinal["area"] == area].iloc[0]
            shares, _ = similar_schools(tables, urn, k=n_similar, area=area, scale=mine_area["scale"])
            per_area.append((area, mine_area, shares))
        area, mine_area, shares = next(p for p in per_area if p[0] == headline_area)
        sentences.append(_similar_sentence(shares, mine_area["label"], int(mine_area["grade"]), phase))
        if report_card:
            rows = []
            for area, g, shares in per_area:
                r = shares.loc[shares["grade"] == g["grade"]].iloc[0]
                rows.append({"Area": area_name(area), "Grade awarded": g["label"],
                             "Similar schools with this grade (90% interval)": cell(r["share"], r["ci_low"],
                                                                                   r["ci_high"]),
                             "Similar schools found": f"{shares.attrs['found']} of {shares.attrs['sought']} sought"})
            tables_out["Similar schools' latest report-card grades, area by area"] = pd.DataFrame(rows)
        else:
            tables_out[f"Latest {area_name(headline_area).lower()} grades of the {shares.attrs['found']} most similar "
                       f"{phase} schools"] = _similar_table(shares, int(mine_area["grade"]))
        data["similar_schools"] = shares

    # -- complaints about comparable inspections
    complaints = tables.get("complaints")
    if complaints is not None and len(complaints) and head is not None:
        from inspect_audit.complaints import upheld_rates
        from inspect_audit.complaints._data import inspection_grades

        grades = inspection_grades(tables["inspections"], tables["judgements"])
        g = grades[grades["inspection_id"] == inspection_id]
        if len(g) and pd.notna(g["grade"].iloc[0]):
            rates = upheld_rates(complaints, tables["inspections"], tables["judgements"], tables.get("schools"),
                                 by=["grade"])
            grade_words, scale_name = str(g["group"].iloc[0]), str(g["scale"].iloc[0])
            pooled = rates[(rates["dimension"] == "grade") & (rates["statistic"] == "pooled_rate")
                           & (rates["scale"] == scale_name)]
            pooled = protect(pooled, min_n=min_n)
            mine_rate = pooled[pooled["group"] == grade_words]
            what = str(g["grade_words"].iloc[0])
            if len(mine_rate) and not mine_rate.iloc[0]["suppressed"]:
                p = mine_rate.iloc[0]
                sentences.append(f"Of decided complaints about inspections {what}, "
                                 f"{with_interval(p['estimate'], p['ci_low'], p['ci_high'])} were upheld in full or "
                                 f"in part (n = {int(p['n'])} complaints).")
            else:
                sentences.append(f"Complaint outcomes for inspections {what} are withheld: fewer than {min_n} "
                                 "decided complaints.")
            tables_out["Complaints upheld, by grade awarded (same grade scale)"] = pd.DataFrame({
                "Grade awarded": pooled["group"].str.replace(r"^\d+ ", "", regex=True),
                "Decided complaints": pooled["n"],
                "Upheld in full or in part (90% interval)": [
                    "withheld" if s else cell(e, lo, hi) for e, lo, hi, s in
                    zip(pooled["estimate"], pooled["ci_low"], pooled["ci_high"], pooled["suppressed"])]})
            data["complaints"] = pooled
        own = complaints[complaints["inspection_id"].astype(str) == inspection_id]
        if len(own):
            cols = [c for c in ("complaint_id", "received_date", "furthest_stage", "outcome", "grounds") if c in own]
            shown = own[cols].astype(str).replace({"<NA>": "–", "nan": "–", "NaT": "–", "None": "–"})
            for col in ("furthest_stage", "outcome", "grounds"):
                if col in shown:
                    shown[col] = shown[col].str.replace("_", " ").str.replace(";", "; ")
            tables_out["Complaints about this inspection"] = shown.rename(columns={
                "complaint_id": "Complaint", "received_date": "Received", "furthest_stage": "Furthest stage",
                "outcome": "Outcome", "grounds": "Grounds"})

    # -- stakeholder surveys
    survey, sentence = _survey_evidence(tables, urn, min_n)
    if survey is not None:
        tables_out["Stakeholder survey evidence for this school"] = survey
        sentences.append(sentence)
    else:
        sentences.append("No stakeholder survey results are available for this school.")

    appendix["Model checks and settings"] = _diagnostics_table(fit)
    if fit.data_source:
        sha = fit.data_source.get("sha256") or {}
        appendix[f"Data the model was fitted on: {fit.data_source.get('source', 'not recorded')}"] = pd.DataFrame(
            [(Path(path).name, digest) for path, digest in sha.items()], columns=["File", "SHA-256"])
    if cf is not None:
        detail = {"Grade": cf["label"], "Awarded": np.where(cf["observed"], "yes", ""),
                  "This lead inspector": _decimals(cf, "actual"), "Typical inspector": _decimals(cf, "typical")}
        if fit.kind == "multi_area":
            appendix["Grade chances in detail, area by area"] = pd.DataFrame(
                {"Area": [area_name(a) for a in cf["area"]], **detail})
        else:
            appendix["Grade chances in detail"] = pd.DataFrame(
                {**detail, "Same error, typical inspector": [f"{u:.3f}" for u in cf["unit_level"]]})

    reading = [
        "Every figure carries a 90% interval: the range the true value lies in with 90% probability given the model "
        "and the data, and the number of cases (n) it rests on. Wide intervals mean the data say little.",
        "The model compares inspectors across the schools each of them inspected, taking account of each school's "
        "context (free-school-meal share, progress, phase, region) and, where schools were inspected more than "
        "once, of the school itself. It cannot see everything an inspector saw: a grade under a typical inspector "
        "is what the model expects, not what would have happened.",
        "A flag needs a chance above 90% that the inspector is notably harsh (or lenient) beyond the model's "
        "threshold, with at most 1 in 10 flags expected to be wrong; no one is flagged when the model fails its "
        "checks.",
        f"People are protected: inspectors appear only as pseudonyms, and groups of fewer than {min_n} (complaints, "
        "respondents, inspections led) are withheld."] + ([
            "\"Same error, typical inspector\" in the appendix keeps this inspection's own unexplained variation and "
            "swaps only the inspector: a sensitivity check, not the headline."] if cf is not None and
        fit.kind == "single_area" else []) + ([
            "A report card's areas share one inspection effect (the school and the visit) and the lead inspector's "
            "effect; the typical inspector replaces only the latter. With one report card per school, the model "
            "assumes that which lead a school gets is unrelated to its standard, given its context."]
        if fit.kind == "multi_area" else []) + ([src.note] if src.note else [])
    privacy_entry = {**export.identities(privacy.person_columns(tables) if pseudonymise_ids else None, key),
                     "suppression": {"min_n": int(min_n), "rows_suppressed": int(sum(
                         (e.get("suppression") or {}).get("rows_suppressed", 0) for e in entries)),
                                     "person_rows_dropped": int(sum((e.get("suppression") or {}).get(
                                         "person_rows_dropped", 0) for e in entries))},
                     "note": "evidence pack: inspectors shown by pseudonym; groups under the threshold withheld"}
    stamp = {"inspection": inspection_id, "data": f"{src.kind}: {src.label}",
             "model": (f"inspect_audit {__version__}, {fit.kind.replace('_', '-')} inspector model; "
                       f"{'passed' if fit.ok else 'FAILED'} its convergence checks"),
             "seed": str(fit.diagnostics.get("fit", {}).get("seed", seed)),
             "fit folder": str(fit.folder) if fit.folder else "fitted in this session",
             "made": f"{pd.Timestamp.now():%Y-%m-%d %H:%M}",
             "identities": (f"pseudonymised (key id {privacy.key_id(key)})" if pseudonymise_ids else
                            "as in the data (pseudonymisation turned off)")}
    subtitle = (f"{framework_name(framework)} · {phase} school · inspected {when}" +
                (" · SIMULATED DATA" if src.simulated else ""))
    return EvidencePack(inspection_id=inspection_id, sentences=sentences, tables=tables_out, figures=figs,
                        stamp=stamp, warnings=warnings_, subtitle=subtitle, facts=facts, banners=banners,
                        captions=captions, appendix=appendix, data=data, reading_notes=reading, source=src,
                        privacy=privacy_entry)
