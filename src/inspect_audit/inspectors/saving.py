"""A saved fit leaves the machine through the package's one writer.

:meth:`InspectorModel.save <inspect_audit.inspectors.estimator.InspectorModel.save>` and
:meth:`MultiAreaModel.save <inspect_audit.inspectors.multi_area.MultiAreaModel.save>` end here: inspector ids
become keyed pseudonyms (this installation's secret key) in every file of the fit, ``posterior.nc`` included,
unless ``pseudonymise=False`` (one's own data, stated in the record); ``inspector_effects.csv`` leaves out
inspectors with fewer than :data:`~inspect_audit._core.privacy.MIN_N` inspections; formula-like cells are
neutralised; ``privacy.json`` and the ``privacy`` field of ``diagnostics.json`` say what was done.
Pseudonymising is idempotent, so a fit of data pseudonymised before fitting (as the command line does) keeps
its pseudonyms.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import xarray as xr

from inspect_audit._core import export, privacy

#: The person-id columns a fit's files carry.
FIT_PERSON_COLUMNS = ["inspector_id", "lead_inspector_id"]  # the order privacy.PERSON_COLUMNS gives


def pseudonymise_tree(tree: xr.DataTree) -> xr.DataTree:
    """The posterior (and its design) with every inspector id replaced by its pseudonym: the ``inspector``
    coordinate of each group and the design's ``inspector_ids``."""
    def one(ds: xr.Dataset) -> xr.Dataset:
        if "inspector" in ds.coords:
            ds = ds.assign_coords(inspector=privacy.pseudonymise(pd.Series(ds["inspector"].values.astype(str))).to_numpy())
        if "inspector_ids" in ds:
            ds = ds.copy()
            ds["inspector_ids"] = ("inspector", privacy.pseudonymise(
                pd.Series(ds["inspector_ids"].values.astype(str))).to_numpy().astype(str))
        return ds

    return tree.map_over_datasets(one)


def write_posterior(tree: xr.DataTree, out: Path, pseudonymise: bool) -> Path:
    """``out/posterior.nc`` from ``tree`` (ids as pseudonyms unless ``pseudonymise=False``), written whole or not
    at all (a temporary file renamed into place)."""
    if pseudonymise:
        tree = pseudonymise_tree(tree)
    tmp = Path(out) / "posterior.nc.tmp"
    tree.to_netcdf(tmp, engine="h5netcdf")
    return tmp.replace(Path(out) / "posterior.nc")


def protect_fit_outputs(out: Path, pseudonymise: bool, n_inspectors: int) -> dict:
    """Pass a saved fit's tables through the one writer and record what was done (``privacy.json`` and a
    ``privacy`` field in ``diagnostics.json``); returns that record.

    ``inspector_effects.csv`` keeps inspectors with at least :data:`~inspect_audit._core.privacy.MIN_N`
    inspections; ``posterior.nc`` keeps every inspector (the counterfactual and reloading need them) and says so.
    """
    out = Path(out)
    people = FIT_PERSON_COLUMNS if pseudonymise else None
    effects = export.recorded(export.rewrite_csv(out / "inspector_effects.csv", pseudonymise=pseudonymise,
                                                 n_col="n_inspections"))
    for name in ("characteristic_effects.csv", "context_effects.csv", "posterior_predictive_checks.csv",
                 "area_effects.csv"):
        if (out / name).exists():  # no person ids; counts of inspections in school groups, not of people
            export.rewrite_csv(out / name, pseudonymise=pseudonymise, min_n=None)
    if (out / "research_effects.csv").exists():  # an estimate resting on a few inspectors describes those people
        export.rewrite_csv(out / "research_effects.csv", pseudonymise=pseudonymise, n_col="n_inspectors")
    ids = "pseudonyms" if pseudonymise else "ids as in the data"
    note = f"inspector_effects.csv lists inspectors with at least {privacy.MIN_N} inspections"
    has_posterior = (out / "posterior.nc").exists()
    if has_posterior:
        note += (f"; posterior.nc holds all {n_inspectors} modelled inspectors under {ids}, because `inspect-audit "
                 "counterfactual` and reloading the fit need them: keep it with the data owner and do not publish it")
    entry = {**export.identities(people), "suppression": effects["suppression"], "note": note + "."}
    if has_posterior:
        export.record(out / "posterior.nc", {**entry, "suppression": None})
    export.add_to_json(out / "diagnostics.json", entry)
    return entry


__all__ = ["FIT_PERSON_COLUMNS", "protect_fit_outputs", "pseudonymise_tree", "write_posterior"]
