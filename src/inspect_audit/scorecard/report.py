"""The scorecard section of the demo report: a balanced scorecard on the real England data, with its uncertainty."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pandas as pd

from inspect_audit._core.markdown import markdown_table
from inspect_audit._core.export import write_csv
from inspect_audit.scorecard.composite import nominal_composite
from inspect_audit.scorecard.indicators import indicator_summary, indicator_table
from inspect_audit.scorecard.plots import plot_band_probabilities, plot_rank_intervals, plot_sensitivity
from inspect_audit.scorecard.reliability import reliability_comparison, spec_decision
from inspect_audit.scorecard.sensitivity import SHARED_GROUP, compare_specs, effective_weights, sobol_indices
from inspect_audit.scorecard.simulate import ScorecardSimulation, simulate_composites
from inspect_audit.scorecard.spec import Spec, example_spec_paths, load_spec

#: Tables about schools, not people: neutralised and recorded, nothing to suppress.
write_table = partial(write_csv, min_n=None)

MAIN_SPEC = "primary_balanced"
OTHER_SPEC = "all_phases_rule_based"


def uncertainty_headlines(sim: ScorecardSimulation) -> dict[str, float]:
    """Plain-number summaries of a simulation: interval widths and how sure the bands are."""
    s = sim.summary
    n = len(s)
    return {
        "n_schools": n,
        "median_interval_width": float(s["rank_interval_width"].median()),
        "median_interval_share": float(s["rank_interval_width"].median() / n),
        "share_band_sure_90": float((s["p_modal_band"] >= 0.9).mean()),
        "share_band_coin_flip": float((s["p_modal_band"] < 0.6).mean()),
        "share_nominal_not_modal": float((s["band"] != s["modal_band"]).mean()),
        "share_top_decile_sure": float((s["rank_hi"] <= 0.1 * n).mean()),
    }


def demo_section(england_tables: dict[str, pd.DataFrame], out_dir: Path, seed: int = 0, *, n_rep: int = 1000,
                 n_base: int = 128, specs: dict[str, Spec] | None = None) -> dict:
    """Scorecards on the bundled England data; writes plots and CSVs; returns {title, markdown, summary}.

    Parameters
    ----------
    england_tables
        ``inspect_audit.data.bundled.load_england()``.
    out_dir
        Folder for ``scorecard_*`` CSVs and PNGs.
    seed
        Seed of the Monte Carlo and Sobol samples.
    n_rep
        Monte Carlo replicates per spec.
    n_base
        Sobol base sample (the model runs n_base x (groups + 2) times).
    specs
        The two specs to run (default: the shipped ``primary_balanced`` and ``all_phases_rule_based``).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if specs is None:
        paths = example_spec_paths()
        specs = {MAIN_SPEC: load_spec(paths[MAIN_SPEC]), OTHER_SPEC: load_spec(paths[OTHER_SPEC])}
    names = list(specs)
    main_name, other_name = names[0], names[-1]
    spec = specs[main_name]

    ind = indicator_table(england_tables, spec)
    summary_ind = indicator_summary(ind, spec)
    write_table(summary_ind, out_dir / "scorecard_indicators.csv")
    sim = simulate_composites(ind, spec, n_rep=n_rep, seed=seed)
    write_table(sim.summary, out_dir / "scorecard_schools.csv")
    write_table(sim.replicates, out_dir / "scorecard_replicates.csv")
    plot_rank_intervals(sim.summary, spec.labels, f"{spec.name}: 90% rank intervals ({n_rep:,} replicates)",
                        out_dir / "scorecard_rank_intervals.png")
    plot_band_probabilities(sim.summary, spec.labels, f"{spec.name}: how sure is each school's band?",
                            out_dir / "scorecard_band_probabilities.png")
    sobol = sobol_indices(ind, spec, n_base=n_base, seed=seed)
    write_table(sobol, out_dir / "scorecard_sobol.csv")
    sob_rank = sobol[sobol["output"] == "rank"].reset_index(drop=True)
    plot_sensitivity(sob_rank, f"{spec.name}: what drives the uncertainty in ranks? (Sobol indices)",
                     out_dir / "scorecard_sobol.png")
    eff = effective_weights(ind, spec)
    write_table(eff, out_dir / "scorecard_effective_weights.csv")
    rel = reliability_comparison(ind, spec, decision=spec_decision(england_tables, spec))
    write_table(rel, out_dir / "scorecard_reliability.csv")

    other = specs[other_name]
    ind_other = indicator_table(england_tables, other)
    sim_other = simulate_composites(ind_other, other, n_rep=max(100, n_rep // 2), seed=seed)
    write_table(sim_other.summary, out_dir / "scorecard_schools_other_spec.csv")
    comparison = compare_specs(nominal_composite(ind, spec), nominal_composite(ind_other, other),
                               labels=(main_name, other_name))
    write_table(comparison["band_table"].reset_index(), out_dir / "scorecard_spec_comparison_bands.csv")
    h, h_other = uncertainty_headlines(sim), uncertainty_headlines(sim_other)

    top = sob_rank.sort_values("ST", ascending=False).iloc[0]
    err_share = sob_rank[sob_rank["group"].str.startswith("error:")]["S1"].sum()
    judgement_groups = {f"error:{i.id}" for i in spec.indicators if i.kind == "judgement"} | {SHARED_GROUP}
    judg = sob_rank[sob_rank["group"].isin(judgement_groups)]["S1"].sum()
    head = rel.iloc[0]
    bound = rel.attrs.get("judgement_error_corr_bound", float("nan"))
    comp = rel.iloc[1:].reset_index(drop=True)
    lo_row, hi_row = comp.loc[comp["reliability"].idxmin()], comp.loc[comp["reliability"].idxmax()]
    head_text = (f"{head['reliability']:.2f} (90% interval {head['ci_low']:.2f} to {head['ci_high']:.2f}; "
                 f"n = {int(head['n'])} paired inspections)")
    md_ind = summary_ind[["indicator", "source", "weight", "n", "sd", "mean_se", "reliability", "se_method"]]
    md_eff = eff[["indicator", "weight", "pearson_r", "main_effect", "effective_weight"]]
    md_sob = sob_rank[["group", "S1", "S1_lo", "S1_hi", "ST"]]
    md = f"""A *balanced scorecard* replaces the single headline grade with several indicators. This section builds
two scorecards on the **real England data** as composite indicators (JRC/OECD *Handbook on Constructing
Composite Indicators*) and asks how firmly they can place schools. Specs: `{main_name}.json` and
`{other_name}.json` (shipped with the package).

**{spec.name}** ({h['n_schools']:,} schools). Indicators, with the sampling error used:

{markdown_table(md_ind)}

Inspection grades carry an *assumed* reliability (the default, 0.5, matches the agreement implied by Ofsted's
2017 paired short-inspection study, 22 of 24 pairs agreeing: {head_text} at this base rate, so the assumption
itself is very uncertain); progress and Parent View errors come from cohort and response counts.

**How certain are the ranks?** {n_rep:,} Monte Carlo replicates perturbed each indicator by its sampling error,
drew the weights around the spec's (Dirichlet, concentration {spec.weight_concentration:g}) and drew the
normalisation ({', '.join(spec.alt_normalisations)}) and aggregation ({', '.join(spec.alt_aggregations)}). The
median school's 90% rank interval spans **{h['median_interval_width']:,.0f} places
({h['median_interval_share']:.0%} of all schools)**. Only {h['share_band_sure_90']:.0%} of schools have a band
with probability of at least 0.9; for {h['share_band_coin_flip']:.0%} the most likely band has probability
below 0.6; {h['share_top_decile_sure']:.1%} are confidently in the top tenth (whole interval within it).

![rank intervals](scorecard_rank_intervals.png)

![band probabilities](scorecard_band_probabilities.png)

**What drives the uncertainty?** First-order (S1) and total (ST) Sobol indices of school ranks (pooled over
schools; {n_base} base samples, {int(sob_rank['n_model_runs'].iloc[0]):,} model runs; 90% bootstrap intervals):

{markdown_table(md_sob)}

Sampling error together accounts for about {err_share:.0%} of the rank variance at first order (inspection
grades alone, including the error shared by one inspection's sub-judgements, {judg:.0%}); the largest total
effect is `{top['group']}` (ST {top['ST']:.2f}).

![Sobol indices](scorecard_sobol.png)

**Effective weights.** The weight an indicator is given is not the weight it carries: correlated indicators
reinforce each other. Pearson correlation with the composite and the Paruolo-Saisana-Saltelli main effect:

{markdown_table(md_eff)}

**Reliability.** Mosier's formula gives the composite's reliability from its indicators' reliabilities and
correlations; it is set against the reliability of one headline grade (implied by a published agreement rate,
not estimated here; its 90% interval maps the Jeffreys interval of 22/24 through the same formula). The
composite's 90% intervals are Monte Carlo: each draw scales the judgement indicators' reliabilities by the
uncertainty of the 22/24 study and redraws the other indicators' variances from their n schools:

{markdown_table(rel)}

The composite is more reliable than a single grade only as far as its indicators' errors are independent.
They are not: sub-judgements from one inspection correlate so strongly that, at the assumed grade reliability,
their errors must be correlated at least {bound:.2f} (median over pairs of sub-judgements; otherwise the
observed correlations would exceed what reliable parts could produce). The row at that correlation is the most
defensible figure.

**A second spec changes the answer.** `{other_name}` (rank normalisation, arithmetic mean and a rule that no
school sits more than one band above its weakest indicator) on the {comparison['n_schools']:,} schools both
score: {comparison['rank_reversals']:,} of {comparison['n_pairs']:,} school pairs
({comparison['share_pairs_reversed']:.1%}) swap order and {comparison['band_flips']:,} schools
({comparison['share_band_flips']:.1%}) change band (Spearman {comparison['spearman_rho']:.3f}). Under its own
uncertainty analysis ({h_other['n_schools']:,} schools) the median 90% rank interval spans
{h_other['median_interval_share']:.0%} of schools.

Files: `scorecard_schools.csv` (per school: nominal and median rank, 90% interval, band probabilities),
`scorecard_replicates.csv`, `scorecard_indicators.csv`, `scorecard_sobol.csv`, `scorecard_effective_weights.csv`,
`scorecard_reliability.csv`, `scorecard_schools_other_spec.csv`, `scorecard_spec_comparison_bands.csv`.
Bands are relative (percentiles among scored schools), so they say where a school sits, not whether it is good.
"""
    summary = [
        f"{spec.name}: {h['n_schools']:,} schools; median 90% rank interval {h['median_interval_width']:,.0f} places "
        f"({h['median_interval_share']:.0%} of schools); band sure (p >= 0.9) for {h['share_band_sure_90']:.0%}",
        f"Sobol: sampling error {err_share:.0%} of rank variance at first order; largest total effect "
        f"{top['group']} (ST {top['ST']:.2f})",
        f"Reliability: composite from {lo_row['reliability']:.2f} ({lo_row['ci_low']:.2f} to {lo_row['ci_high']:.2f}) "
        f"to {hi_row['reliability']:.2f} ({hi_row['ci_low']:.2f} to {hi_row['ci_high']:.2f}) by error-correlation "
        f"assumption (Mosier, 90% intervals, n = {int(lo_row['n']):,} schools) vs headline grade {head_text}",
        f"{main_name} vs {other_name}: {comparison['share_pairs_reversed']:.1%} of school pairs reversed, "
        f"{comparison['share_band_flips']:.1%} of {comparison['n_schools']:,} schools change band",
    ]
    return {"title": "Balanced scorecards and their uncertainty (real data)", "markdown": md, "summary": summary}
