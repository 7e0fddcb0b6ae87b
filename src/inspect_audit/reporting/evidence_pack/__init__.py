"""An adjudicator's evidence pack for one contested inspection, as a document to file (HTML and A4 PDF).

Page 1 names the school, the inspection, the grades awarded (on the inspection's own scale: the four legacy
grades, or the report card's areas on the five-point scale with safeguarding met or not met), where the data
came from (real, simulated or the user's own, with file names and SHA-256 hashes in the appendix) and the
evidence in plain sentences, each with its 90% interval and n:

* the chance of the grade awarded with this inspection's lead inspector and with a typical inspector, from the
  inspector-effects model (same school, year and context);
* where the lead inspector stands among peers ("more lenient than 96% of the 40 inspectors in the model"), and
  whether they are flagged (never when the model failed its convergence checks: the pack then says so first);
* the latest grades of the most similar schools (same phase, nearest in free-school-meal share and progress),
  saying how many were found;
* complaint outcomes for inspections with the same grade, on the same scale; stakeholder survey evidence.

Figures and tables follow with human column names and rounded numbers; the technical detail (model checks,
unrounded chances, file hashes) is in an appendix. Inspectors appear as pseudonyms keyed with this
installation's secret, groups under 10 are withheld, and ``privacy.json`` beside the files records it.

Two ways in: :func:`build_pack` from tables and a fitted model (what the app calls), and :func:`from_fit` from a
fit folder written by ``inspect-audit inspectors`` (what ``inspect-audit evidence-pack`` calls).

Examples
--------
>>> from inspect_audit.reporting.evidence_pack import build_pack, from_fit
>>> pack = from_fit("fit", "SIM-000123", Dataset.from_folder("data"))  # doctest: +SKIP
>>> pack.write("packs")  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from inspect_audit._core import privacy
from inspect_audit.data.files import InputError
from inspect_audit.reporting.evidence_pack.build import (CI_LEVEL, N_SIMILAR, EvidencePack, build_pack,
                                                         similar_schools)
from inspect_audit.reporting.evidence_pack.fit import FitView, open_fit, view_of
from inspect_audit.reporting.evidence_pack.render import html_to_pdf, overflowing_boxes
from inspect_audit.reporting.evidence_pack.source import DataSource, as_source
from inspect_audit.reporting.evidence_pack.wording import in_ten


def require_converged(view: FitView) -> None:
    """Raise :class:`~inspect_audit.data.files.InputError` (one line) if the fit failed its convergence checks."""
    if view.ok:
        return
    from inspect_audit.inspectors.diagnostics import explain

    try:
        why = explain(view.diagnostics)
    except KeyError:
        why = "see diagnostics.json"
    where = f"--fit {view.folder}" if view.folder else "the fit"
    raise InputError(f"{where}: the model did not pass its convergence checks ({why}); refit with longer chains, or "
                     "ask for a pack marked as unreliable (--allow-failed-fit), which flags nobody")


def from_fit(fit: str | Path | FitView, inspection_id: str, data, *, key: str | None = None,
             allow_failed: bool = True, **options) -> EvidencePack:
    """The evidence pack for ``inspection_id`` from a fit folder and the data it was fitted on.

    Parameters
    ----------
    fit : str, Path or FitView
        The ``--out`` folder of ``inspect-audit inspectors`` (or a fit opened with :func:`open_fit`).
    inspection_id : str
        The inspection under complaint.
    data : Dataset or dict of DataFrame
        The data (a :class:`~inspect_audit.data.Dataset` names its source and file hashes in the pack).
    key : str, optional
        Pseudonym key (default this installation's). A fit made with pseudonyms must be read with the key it was
        made with; the data are pseudonymised with it so that the lead inspector is found.
    allow_failed : bool
        Build a pack from a fit that failed its convergence checks (it says so on page 1 and flags nobody);
        ``False`` raises :class:`~inspect_audit.data.files.InputError` instead.
    **options
        Passed to :func:`build_pack` (``min_n``, ``n_similar``, ``pseudonymise_ids``).

    Raises
    ------
    InputError
        A folder without a fit, another installation's key, an inspection not in the data, or (with
        ``allow_failed=False``) a fit that failed its checks: one line each, for the command line.
    """
    view = fit if isinstance(fit, FitView) else open_fit(fit)
    if not allow_failed:
        require_converged(view)
    tables = dict(data.tables) if hasattr(data, "tables") and hasattr(data, "origin") else dict(data)
    source = options.pop("source", data if hasattr(data, "origin") else None)
    if "inspections" not in tables or "judgements" not in tables or "schools" not in tables:
        missing = [t for t in ("schools", "inspections", "judgements") if t not in tables]
        raise InputError(f"the data lack the table(s) {', '.join(missing)} that an evidence pack needs")
    ids = set(tables["inspections"]["inspection_id"].astype(str))
    if str(inspection_id) not in ids:
        raise InputError(f"--inspection {inspection_id!r}: no such inspection in the data "
                         f"({len(ids):,} inspections; ids look like {sorted(ids)[0]!r})")
    where = f"--fit {view.folder}" if view.folder else "the fit"
    if view.privacy.get("pseudonymised"):
        used = privacy.key_id(key)
        if view.privacy.get("key_id") and view.privacy["key_id"] != used:
            raise InputError(f"{where}: the fit holds pseudonyms made with key id {view.privacy['key_id']}, but this "
                             f"installation's key is {used}; make the pack where the fit was made, or refit here")
        tables = privacy.pseudonymise_tables(tables, key)
    return build_pack(tables, view, str(inspection_id), key=key, source=source, **options)


__all__ = ["CI_LEVEL", "N_SIMILAR", "DataSource", "EvidencePack", "FitView", "as_source", "build_pack", "from_fit",
           "html_to_pdf", "in_ten", "open_fit", "overflowing_boxes", "require_converged", "similar_schools", "view_of"]
