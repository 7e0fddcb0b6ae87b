"""The fitted model behind a pack, whatever form it comes in: a model in memory or a folder written by
``inspect-audit inspectors`` (single-area fits keep their posterior; multi-area fits keep their tables)."""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from inspect_audit.data.files import InputError

#: Framework of a multi-area fit whose diagnostics do not name one (the only one ``--framework`` offers).
DEFAULT_MULTI_AREA_FRAMEWORK = "report_card_2025"


@dataclass
class FitView:
    """What a pack reads from a fit.

    ``kind`` is ``single_area`` (an :class:`~inspect_audit.inspectors.InspectorModel`: one area, with the
    grade probabilities under a typical inspector) or ``multi_area`` (every area of a framework together: the
    lead inspector's effect shared by the areas, and each area's grade probabilities where the model's draws are
    at hand: in memory, or a folder saved with ``posterior.nc``). ``effects``: one row per inspector
    (all modelled inspectors when the posterior is at hand; a saved table lists those with at least 10
    inspections only). ``privacy``: the fit's record of how person ids were treated; ``data_source``: the data it
    was fitted on (origin, source, files and their SHA-256), as ``inspect-audit inspectors`` records it.
    """

    kind: str
    diagnostics: dict
    effects: pd.DataFrame | None
    area: str | None = None
    framework: str | None = None
    model: object | None = None
    folder: Path | None = None
    privacy: dict = field(default_factory=dict)
    effects_complete: bool = True
    data_source: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the fit passed its convergence gates."""
        return bool(self.diagnostics.get("ok", False))

    @property
    def n(self) -> dict:
        """Counts of the modelled data (inspections, inspectors, ...)."""
        return dict(self.diagnostics.get("data", {}).get("n", {}))

    def counterfactual(self, inspection_id: str) -> pd.DataFrame | None:
        """Grade probabilities under this lead inspector and a typical one (None: the fit cannot say, or the
        inspection is not in its data)."""
        if self.model is None or not hasattr(self.model, "counterfactual"):
            return None
        try:
            return self.model.counterfactual(inspection_id)
        except KeyError:
            return None


def _quiet_effects(model) -> pd.DataFrame:
    from inspect_audit.inspectors.diagnostics import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a failed fit already said so; flags are empty
        return model.inspector_effects()


def view_of(model) -> FitView:
    """A :class:`FitView` of a fitted ``InspectorModel`` or ``MultiAreaModel`` (a view is returned as it is)."""
    if isinstance(model, FitView):
        return model
    from inspect_audit.inspectors.multi_area import MultiAreaModel

    diag = model.diagnostics()
    if not isinstance(model, MultiAreaModel):
        return FitView("single_area", diag, _quiet_effects(model), area=model.area, model=model)
    return FitView("multi_area", diag, _quiet_effects(model), framework=getattr(model, "framework", None),
                   model=model)


def open_fit(folder: str | Path) -> FitView:
    """The fit in a folder written by ``inspect-audit inspectors --out FOLDER``.

    Raises :class:`~inspect_audit.data.files.InputError` (one line, for the command line) when the folder is
    missing or holds no readable fit.
    """
    folder = Path(folder)
    hint = "give the --out folder of `inspect-audit inspectors`"
    if not folder.is_dir():
        raise InputError(f"--fit {folder}: no such folder; {hint}")
    diag_path = folder / "diagnostics.json"
    if not diag_path.is_file():
        raise InputError(f"--fit {folder}: not a fit folder (no diagnostics.json); {hint}")
    try:
        diag = json.loads(diag_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"--fit {folder}: diagnostics.json cannot be read ({exc}); {hint}") from None
    privacy = dict(diag.get("privacy") or {})
    data_source = dict(diag.get("data_source") or {})
    multi_area = "areas" in diag.get("data", {}).get("n", {})
    model = None
    if (folder / "posterior.nc").is_file():
        from inspect_audit.inspectors import InspectorModel
        from inspect_audit.inspectors.multi_area import MultiAreaModel

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = (MultiAreaModel if multi_area else InspectorModel).load(folder)
        except Exception as exc:  # a truncated or foreign netCDF file
            raise InputError(f"--fit {folder}: posterior.nc cannot be read ({type(exc).__name__}); {hint}") from None
        if not multi_area:
            view = view_of(model)
            view.diagnostics = {**view.diagnostics, "privacy": privacy}
            view.folder, view.privacy, view.data_source = folder, privacy, data_source
            return view
    effects_path = folder / "inspector_effects.csv"
    if not effects_path.is_file() or not multi_area:
        raise InputError(f"--fit {folder}: no posterior.nc and no multi-area inspector_effects.csv; {hint}")
    # a multi-area fit: its published table (the flags as saved), and its saved draws for the counterfactual where
    # the folder has them (fits saved before 2026-12-06 have none)
    effects = pd.read_csv(effects_path, dtype={"inspector_id": str, "flag": str}, keep_default_na=False,
                          na_values=[""])
    effects["flag"] = effects.get("flag", pd.Series("", index=effects.index)).fillna("")
    framework = diag.get("framework") or DEFAULT_MULTI_AREA_FRAMEWORK
    return FitView("multi_area", diag, effects, framework=framework, folder=folder, privacy=privacy,
                   effects_complete=False, data_source=data_source, model=model)
