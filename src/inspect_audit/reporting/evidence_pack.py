"""An adjudicator's evidence pack for one contested inspection.

Side by side, each with its uncertainty and sample size: the grade awarded; the grades the
inspector-effects model expects for this school under a typical inspector; the lead
inspector's estimated severity relative to peers; grades of similar schools; complaint
outcomes for comparable inspections; stakeholder survey evidence for the school. Exported as
HTML (tables and charts embedded) and PDF, stamped with data version, model version, seed and date.
Inspector identities are pseudonymised with this installation's secret key unless the caller passes
``pseudonymise_ids=False``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from inspect_audit import __version__
from inspect_audit.data import schemas
from inspect_audit._core.privacy import MIN_N, key_id, pseudonymise, suppress

CI_LEVEL = 0.90
N_SIMILAR = 50


def in_ten(p: float) -> str:
    """A probability as 'about N in 10' for readers who are not statisticians."""
    if p >= 0.95:
        return "nearly all"
    if p <= 0.05:
        return "almost none of"
    return f"about {int(round(10 * p))} in 10"


def data_version(tables: dict[str, pd.DataFrame]) -> str:
    """Short content hash of the tables (the same data always give the same version)."""
    digest = hashlib.sha256()
    for name in sorted(tables):
        digest.update(name.encode())
        digest.update(pd.util.hash_pandas_object(tables[name], index=False).to_numpy().tobytes())
    return digest.hexdigest()[:12]


@dataclass
class EvidencePack:
    """Everything in one pack: headline sentences, tables and figures (PNG bytes), and its stamp."""

    inspection_id: str
    sentences: list[str]
    tables: dict[str, pd.DataFrame]
    figures: dict[str, bytes] = field(default_factory=dict)
    stamp: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_html(self) -> str:
        """A self-contained HTML page (charts as embedded PNGs, tables in full)."""
        from jinja2 import Environment

        template = Environment(autoescape=True).from_string(_TEMPLATE)
        figures = {k: base64.b64encode(v).decode() for k, v in self.figures.items()}
        tables = {k: v.to_html(index=False, float_format=lambda x: f"{x:.3g}", na_rep="")
                  for k, v in self.tables.items()}
        return template.render(pack=self, figures=figures, tables=tables)

    def write(self, directory: str | Path, pdf: bool = True) -> dict[str, Path]:
        """Write ``evidence_pack_<id>.html`` and (if WeasyPrint can run here) ``.pdf``; returns the paths."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        html = self.to_html()
        stem = "evidence_pack_" + (re.sub(r"[^A-Za-z0-9_-]+", "_", str(self.inspection_id)).strip("_") or "id")
        paths = {"html": directory / f"{stem}.html"}  # an id is data: never a path, whatever it holds
        paths["html"].write_text(html, encoding="utf-8")
        if pdf:
            paths["pdf"] = directory / f"{stem}.pdf"
            paths["pdf"].write_bytes(html_to_pdf(html))
        return paths


def html_to_pdf(html: str) -> bytes:
    """PDF bytes of an HTML page (WeasyPrint; needs the system Pango library)."""
    try:
        from weasyprint import HTML
    except OSError as exc:  # Pango missing
        raise RuntimeError("PDF export needs the Pango library (Debian: apt-get install libpango-1.0-0 "
                           f"libpangoft2-1.0-0); the HTML pack is complete without it ({exc})") from exc
    return HTML(string=html).write_pdf()


def _png(draw) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = draw(plt)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return buffer.getvalue()


def _counterfactual_figure(cf: pd.DataFrame) -> bytes:
    def draw(plt):
        fig, ax = plt.subplots(figsize=(7, 3.2))
        x = np.arange(len(cf))
        for offset, col, name, colour in ((-0.18, "actual", "this lead inspector", "#c06000"),
                                          (0.18, "typical", "a typical inspector", "#1f5c99")):
            mean = cf[f"{col}_mean"]
            ax.bar(x + offset, mean, width=0.36, color=colour, alpha=0.8, label=name)
            ax.errorbar(x + offset, mean, yerr=[mean - cf[f"{col}_ci_low"], cf[f"{col}_ci_high"] - mean],
                        fmt="none", ecolor="black", capsize=3, lw=1)
        ax.set_xticks(x, [f"{lab}{' (awarded)' if obs else ''}" for lab, obs in zip(cf["label"], cf["observed"])],
                      fontsize=8)
        ax.set_ylabel("probability", fontsize=9)
        ax.set_ylim(0, 1)
        ax.set_title("Grades the model expects for this school (90% intervals)", fontsize=10)
        ax.legend(fontsize=8)
        fig.tight_layout()
        return fig

    return _png(draw)


def _severity_figure(effects: pd.DataFrame, inspector: str) -> bytes:
    def draw(plt):
        part = effects.sort_values("mean").reset_index(drop=True)
        fig, ax = plt.subplots(figsize=(7, 3.2))
        colours = np.where(part["inspector_id"] == inspector, "#c06000", "#9bb5d0")
        ax.vlines(np.arange(len(part)), part["ci_low"], part["ci_high"], colors=colours, lw=1.5)
        ax.scatter(np.arange(len(part)), part["mean"], c=colours, s=8, zorder=3)
        ax.axhline(0, color="grey", lw=0.8, ls="--")
        ax.set_xticks([])
        ax.set_xlabel(f"{len(part)} inspectors ordered by estimated severity (orange: this inspection's lead)",
                      fontsize=8)
        ax.set_ylabel("severity (logits; + = harsher)", fontsize=8)
        ax.set_title("Lead inspector's severity among peers (90% intervals)", fontsize=10)
        fig.tight_layout()
        return fig

    return _png(draw)


def similar_schools(tables: dict[str, pd.DataFrame], urn: str, k: int = N_SIMILAR,
                    area: str = "overall_effectiveness") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``k`` schools of the same phase nearest in FSM % and progress, and their latest grades' shares."""
    schools = tables["schools"].set_index("urn")
    me = schools.loc[urn]
    progress = "progress8" if me["phase"] == "secondary" else "ks2_progress"
    pool = schools[(schools["phase"] == me["phase"]) & (schools.index != urn)].copy()
    features = ["fsm_pct", progress]
    values = pool[features].astype(float)
    scale = values.std().replace(0, 1)
    distance = ((values - me[features].astype(float)) / scale).pow(2).sum(axis=1, min_count=1).pow(0.5)
    nearest = distance.dropna().nsmallest(k * 3).index
    grades = (tables["judgements"][tables["judgements"]["area"] == area]
              .merge(tables["inspections"][["inspection_id", "urn", "start_date"]], on="inspection_id"))
    latest = grades[grades["urn"].isin(nearest)].sort_values("start_date").groupby("urn").tail(1)
    latest = latest.set_index("urn").loc[[u for u in nearest if u in set(latest["urn"])][:k]]
    sc = schemas.scale("legacy_4")
    counts = latest["grade"].value_counts().reindex(list(sc.codes), fill_value=0)
    n = int(counts.sum())
    low, high = proportion_confint(counts.to_numpy(), n, alpha=1 - CI_LEVEL, method="wilson") if n else (np.nan, np.nan)
    shares = pd.DataFrame({"grade": sc.codes, "label": sc.labels, "count": counts.to_numpy(), "n": n,
                           "share": counts.to_numpy() / max(n, 1), "ci_low": low, "ci_high": high})
    return shares, latest.reset_index()[["urn", "grade"]]


def _survey_evidence(tables: dict[str, pd.DataFrame], urn: str, min_responses: int) -> pd.DataFrame | None:
    if "survey_responses" in tables and (tables["survey_responses"]["urn"] == urn).any():
        from inspect_audit.surveys.scoring import recode, respondent_scores, school_scores

        mine = tables["survey_responses"][tables["survey_responses"]["urn"] == urn]
        scores = school_scores(respondent_scores(recode(mine, tables["survey_items"])), min_responses=min_responses)
        latest = scores[scores["wave"] == scores["wave"].max()]
        return latest[["respondent_group", "dimension", "estimate", "ci_low", "ci_high", "n", "withheld"]]
    if "survey_aggregates" in tables and (tables["survey_aggregates"]["urn"] == urn).any():
        agg = tables["survey_aggregates"]
        national = agg.groupby("item_id")["pct_positive"].median().rename("national_median")
        mine = agg[agg["urn"] == urn].merge(national, left_on="item_id", right_index=True)
        items = tables.get("survey_items")
        if items is not None:
            mine = mine.merge(items[["item_id", "text"]], on="item_id", how="left")
        mine = mine.rename(columns={"n_responses": "n"})
        mine = mine[mine["n"] >= min_responses]
        return mine[[c for c in ("item_id", "text", "pct_positive", "national_median", "n") if c in mine]]
    return None


def build_pack(tables: dict[str, pd.DataFrame], model, inspection_id: str, *, pseudonymise_ids: bool = True,
               key: str | None = None, min_n: int = MIN_N, seed: int = 0) -> EvidencePack:
    """Assemble the evidence pack for ``inspection_id`` from validated tables and a fitted InspectorModel.

    Inspector ids are shown as pseudonyms keyed with ``key`` (default: this installation's secret,
    :func:`~inspect_audit._core.privacy.pseudonym_key`; ids that are already pseudonyms stay as they are), unless
    ``pseudonymise_ids=False``; the stamp says which.
    """
    inspections = tables["inspections"].set_index("inspection_id")
    if inspection_id not in inspections.index:
        raise KeyError(f"inspection {inspection_id!r} is not in the inspections table")
    row = inspections.loc[inspection_id]
    urn, lead = row["urn"], row["lead_inspector_id"]
    school = tables["schools"].set_index("urn").loc[urn]
    diag = model.diagnostics()
    sentences, warnings, out_tables, figures = [], [], {}, {}
    show = (lambda ids: pseudonymise(ids, key)) if pseudonymise_ids else (lambda ids: ids)

    cf = model.counterfactual(inspection_id, seed=seed)
    awarded = cf.loc[cf["observed"]].iloc[0]
    good = cf[cf["grade"].isin(schemas.scale("legacy_4").boundaries["good_or_better"])]
    p_typ, p_act = good["typical_mean"].sum(), good["actual_mean"].sum()
    sentences.append(f"Grade awarded: **{awarded['label']}** ({school['phase']} school, inspected "
                     f"{pd.Timestamp(row['start_date']):%d %B %Y}).")
    sentences.append(f"Under a typical inspector, the model expects this school to be judged Good or better in "
                     f"{in_ten(p_typ)} comparable inspections ({p_typ:.0%}); under this lead inspector, "
                     f"{in_ten(p_act)} ({p_act:.0%}). The chance of the grade awarded: {awarded['actual_mean']:.0%} "
                     f"with this inspector, {awarded['typical_mean']:.0%} (90% interval "
                     f"{awarded['typical_ci_low']:.0%}-{awarded['typical_ci_high']:.0%}) with a typical one; model fitted on "
                     f"n = {diag['data']['n']['inspections']:,} inspections by {diag['data']['n']['inspectors']} "
                     "inspectors.")
    out_tables["Grade probabilities: this inspector vs a typical inspector"] = cf
    figures["counterfactual"] = _counterfactual_figure(cf)

    effects = model.inspector_effects()
    mine = effects[effects["inspector_id"] == lead]
    if not diag["ok"]:
        warnings.append("The model did not pass its convergence checks: its estimates are shown for information "
                        "only and no inspector is flagged.")
    if len(mine):
        me = mine.iloc[0]
        harsher = float((effects["mean"] < me["mean"]).mean())
        sentences.append(f"The lead inspector's estimated severity is {me['mean']:+.2f} logits (90% interval "
                         f"{me['ci_low']:+.2f} to {me['ci_high']:+.2f}; {int(me['n_inspections'])} inspections), harsher "
                         f"than {harsher:.0%} of inspectors; probability of being notably severe "
                         f"{me['p_severe']:.0%}. " + (f"Flagged as {me['flag']}." if me["flag"] else "Not flagged."))
        shown = effects.assign(inspector_id=show(effects["inspector_id"]))
        figures["severity"] = _severity_figure(shown, show(pd.Series([lead])).iloc[0])
        out_tables["Lead inspector's estimated severity"] = mine.assign(inspector_id=show(mine["inspector_id"]))

    shares, _ = similar_schools(tables, urn)
    same = shares.loc[shares["grade"] == awarded["grade"]].iloc[0]
    sentences.append(f"Among the {int(same['n'])} most similar {school['phase']} schools (FSM and progress), "
                     f"{same['share']:.0%} (90% interval {same['ci_low']:.0%}-{same['ci_high']:.0%}) were judged "
                     f"{awarded['label']} at their latest inspection (n = {int(same['n'])}).")
    out_tables["Latest grades of similar schools"] = shares

    if "complaints" in tables and len(tables["complaints"]):
        from inspect_audit.complaints import upheld_rates

        rates = upheld_rates(tables["complaints"], tables["inspections"], tables["judgements"], tables["schools"],
                             by=["grade"])
        pooled = rates[(rates["statistic"] == "pooled_rate") & rates["group"].astype(str).str.startswith(
            f"{int(awarded['grade'])} ")]
        pooled = suppress(pooled, min_n=min_n)
        if len(pooled) and not pooled.iloc[0]["suppressed"]:
            p = pooled.iloc[0]
            sentences.append(f"Of decided complaints about inspections graded {awarded['label']}, "
                             f"{p['estimate']:.0%} (90% interval {p['ci_low']:.0%}-{p['ci_high']:.0%}; n = {int(p['n'])}) "
                             "were upheld or partially upheld.")
        elif len(pooled):
            sentences.append(f"Complaint outcomes for inspections graded {awarded['label']} are withheld: fewer than "
                             f"{min_n} decided complaints.")
        out_tables["Complaint outcomes for comparable inspections"] = suppress(pooled, min_n=min_n, hide_n=True)
        own = tables["complaints"][tables["complaints"]["inspection_id"] == inspection_id]
        if len(own):
            out_tables["Complaints about this inspection"] = own.drop(columns=[], errors="ignore")

    survey = _survey_evidence(tables, urn, min_n)
    if survey is not None and len(survey):
        out_tables["Stakeholder survey evidence for this school"] = survey
        sentences.append("Stakeholder survey results for this school are in the table below (withheld where "
                         f"fewer than {min_n} responded).")
    else:
        sentences.append("No stakeholder survey results are available for this school.")

    stamp = {"inspection": inspection_id, "data version": data_version(tables),
             "model": f"inspect_audit {__version__} InspectorModel ({diag['fit'].get('sampler', '')}, "
                      f"{diag['fit'].get('chains')} chains x {diag['fit'].get('draws')} draws, converged: {diag['ok']})",
             "seed": str(diag["fit"].get("seed", seed)), "date": f"{pd.Timestamp.now():%Y-%m-%d %H:%M}",
             "identities": (f"pseudonymised (key id {key_id(key)})" if pseudonymise_ids else "as in the data")}
    return EvidencePack(inspection_id=inspection_id, sentences=sentences, tables=out_tables, figures=figures,
                        stamp=stamp, warnings=warnings)


_TEMPLATE = """<!doctype html><html><head><meta charset="utf-8"><title>Evidence pack {{ pack.inspection_id }}</title>
<style>body{font-family:sans-serif;max-width:52em;margin:1.5em auto;line-height:1.45;font-size:11pt}
table{border-collapse:collapse;font-size:8.5pt;margin-bottom:1em}td,th{border:1px solid #bbb;padding:.15em .4em}
img{max-width:100%}.warn{background:#fde2cf;padding:.5em;border-left:4px solid #c06000}
.stamp{font-size:8pt;color:#555}</style></head><body>
<h1>Evidence pack: inspection {{ pack.inspection_id }}</h1>
{% for w in pack.warnings %}<p class="warn">{{ w }}</p>{% endfor %}
<ul>{% for s in pack.sentences %}<li>{{ s | replace("**", "") }}</li>{% endfor %}</ul>
{% for name, png in figures.items() %}<img alt="{{ name }}" src="data:image/png;base64,{{ png }}">{% endfor %}
<h2>Tables</h2>
{% for name, html in tables.items() %}<h3>{{ name }}</h3>{{ html | safe }}{% endfor %}
<h2>How to read this</h2><p>Every figure has a 90% interval and the number of cases behind it. The model compares
inspectors across the schools each of them inspected, adjusting for school context and progress; it cannot see
everything an inspector saw. A typical-inspector grade is what the model expects, not what would have happened.</p>
<p class="stamp">{% for k, v in pack.stamp.items() %}{{ k }}: {{ v }}<br>{% endfor %}</p>
</body></html>"""
