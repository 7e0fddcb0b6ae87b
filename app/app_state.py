"""Per-session state shared by the pages: the dataset in use, where it came from, and the fits made on it.

The dataset chosen on the Data page lives in this browser session's ``st.session_state`` and is shown on
every page ("Data: uploaded files a.csv, b.csv (validated 12:03)"). Uploaded files, a workspace's
tables and every fit made on them stay in this session's state only: nothing of a user's own data
enters a process-wide cache, so it ends with the session and one user's data cannot reach another.
The bundled England data (public) and the simulated data (no real people) are cached for everyone.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import streamlit as st

from inspect_audit.data import Dataset

#: Session-state keys this module owns.
DATA_KEY, LOST_KEY, FITS_KEY, FIT_FOLDER_KEY = "data_choice", "upload_lost", "session_fits", "fit_folder"
#: At most this many fits of a user's own data are kept in one session (each holds its posterior).
SESSION_FITS = 4

BUNDLED_LABEL = "bundled England data (real, public)"
SIMULATED_LABEL = "simulated data (simulated schools and inspectors, not real people)"


@dataclass(frozen=True)
class DataChoice:
    """The dataset a page reads (an :class:`inspect_audit.data.Dataset`) and the words that name it.

    ``kind`` is ``bundled``, ``simulated``, ``uploaded`` or ``workspace``; ``token`` identifies the data for
    caches (a hash of the uploaded bytes, the workspace's data version); ``files`` the files read as (name,
    SHA-256 in hex).
    """

    kind: str
    label: str
    dataset: Dataset = field(repr=False, compare=False, hash=False)
    token: str
    files: tuple[tuple[str, str], ...] = ()
    path: str = ""

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return self.dataset.tables

    @property
    def own(self) -> bool:
        """The user's own data (uploaded or a workspace): kept in this session only."""
        return self.kind in ("uploaded", "workspace")


@st.cache_resource(show_spinner="Loading the bundled England data ...")
def _bundled() -> Dataset:
    return Dataset.bundled()


@st.cache_resource(show_spinner="Simulating inspection data with known truth ...")
def _simulated(seed: int = 2024) -> Dataset:
    return Dataset.simulated(seed=seed, n_schools=1500, n_inspectors=80, survey_n_schools=120)


@st.cache_resource(show_spinner="Simulating report cards with known truth ...")
def _simulated_report_cards(seed: int = 1) -> Dataset:
    from inspect_audit.data.simulate.designs import simulate_report_cards

    cards = simulate_report_cards(n_inspections=400, n_inspectors=20, seed=seed)
    return Dataset.from_frames(dict(cards), origin="simulated",
                               source="simulated report cards (seed 1; 400 inspections, 20 inspectors; not real people)")


def simulated_report_cards() -> DataChoice:
    """Simulated report cards with lead inspectors (for the multi-area model: public report cards name none)."""
    return DataChoice("simulated", "simulated report cards (400 inspections by 20 simulated inspectors, not real "
                      "people)", _simulated_report_cards(), "simulated-report-cards-1")


def bundled() -> DataChoice:
    """The bundled real England data (public: cached across sessions)."""
    return DataChoice("bundled", BUNDLED_LABEL, _bundled(), "bundled")


def simulated() -> DataChoice:
    """Simulated data with inspector identities (public data never name inspectors)."""
    return DataChoice("simulated", SIMULATED_LABEL, _simulated(), "simulated-2024")


def uploaded(files: dict[str, tuple[str, bytes]]) -> DataChoice:
    """Uploaded files (``files``: table -> (file name, bytes)) checked together by the validator.

    Raises :class:`~inspect_audit.data.validation.ValidationError` (its ``report`` lists every problem) when a
    file breaks a rule."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for name, raw in files.values():
            path = Path(tmp) / Path(name).name
            path.write_bytes(raw)
            paths.append(path)
        dataset = Dataset.from_files(paths)
    digests = tuple((name, hashlib.sha256(raw).hexdigest()) for name, raw in files.values())
    token = hashlib.sha256("".join(d for _, d in digests).encode()).hexdigest()[:16]
    label = f"uploaded files {', '.join(n for n, _ in digests)} (validated {time.strftime('%H:%M')})"
    return DataChoice("uploaded", label, dataset, "upload-" + token, digests)


def workspace(path: str | Path) -> DataChoice:
    """The tables of a local workspace (a DuckDB file that ``inspect-audit ingest`` filled)."""
    from inspect_audit.data import workspace as ws

    path = Path(path).expanduser()
    dataset = Dataset.from_workspace(path)
    version = ws.data_version(path)
    return DataChoice("workspace", f"workspace {path.name} ({version}, opened {time.strftime('%H:%M')})", dataset,
                      f"workspace-{path.resolve()}-{version}", path=str(path))


def current() -> DataChoice:
    """This session's dataset (the bundled data until the user chooses another on the Data page).

    A new session whose address says it had uploaded data (``?data=uploaded``, kept in the address bar by
    :func:`show_source`) lost that upload to a browser reload: :data:`LOST_KEY` is set so every page says so;
    a workspace is reopened from its path.
    """
    choice = st.session_state.get(DATA_KEY)
    if choice is None:
        was = st.query_params.get("data")
        choice = bundled()
        if was == "uploaded":
            st.session_state[LOST_KEY] = ("Your uploaded files were lost when the page was reloaded: uploads live "
                                          "only in this browser session and are never stored. Upload them again "
                                          "on the Data page; until then the bundled England data are in use.")
        elif was == "workspace" and st.query_params.get("workspace"):
            try:
                choice = workspace(st.query_params["workspace"])
            except Exception as exc:  # noqa: BLE001  (a moved or locked file: say so, use the bundled data)
                st.session_state[LOST_KEY] = (f"The workspace {st.query_params['workspace']} could not be reopened "
                                              f"({(str(exc).splitlines() or [''])[0]}); the bundled England data "
                                              "are in use. Open it again on the Data page.")
        st.session_state[DATA_KEY] = choice
    return choice


def use(choice: DataChoice) -> None:
    """Make ``choice`` this session's dataset (the fits of earlier uploads are let go)."""
    old = st.session_state.get(DATA_KEY)
    if old is not None and old.own and old.token != choice.token:
        st.session_state.pop(FITS_KEY, None)
    st.session_state[DATA_KEY] = choice
    st.session_state.pop(LOST_KEY, None)
    _remember(choice)


def _remember(choice: DataChoice) -> None:
    """Keep the kind of data (never the data) in the address bar, so a reload can say what it lost."""
    wanted = {"data": choice.kind, **({"workspace": choice.path} if choice.kind == "workspace" else {})}
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)


def show_source(choice: DataChoice, note: str = "") -> None:
    """The line under each page title: which data the page shows (and why, when not the session's own)."""
    st.caption(f"**Data:** {choice.label}" + (f" ({note})" if note else ""))
    if st.session_state.get(LOST_KEY):
        st.warning(st.session_state[LOST_KEY])
    _remember(current())


def open_page(title: str, needs: Sequence[str], why: str, fallback: str | None = "simulated",
              check: Callable[[dict[str, pd.DataFrame]], str] | None = None) -> DataChoice:
    """Title, the data line and the data this page can use.

    ``needs``: the tables the page reads; ``why``: what it reads them for (shown when one is absent);
    ``check``: a further test of the tables returning what is missing ('' when nothing). When the session's
    data lack something, the bundled data move on to ``fallback`` (``simulated``, ``bundled``, ``report_cards``
    or ``None``)
    and say so; the user's own data are never swapped silently: the page names what is missing and offers
    the fallback as an example.
    """
    st.title(title)
    choice = current()
    missing = _missing(choice.tables, needs, check)
    if not missing:
        show_source(choice)
        return choice
    alternative = {"simulated": simulated, "bundled": bundled,
                   "report_cards": simulated_report_cards}.get(fallback or "", lambda: None)()
    if alternative is not None and (_missing(alternative.tables, needs, check) or alternative.token == choice.token):
        alternative = None
    reason = f"the {choice.label.split(' (')[0]} {missing}; this page needs {why}"
    if alternative is None:
        show_source(choice)
        st.warning(f"Nothing to show: {reason[0].upper() + reason[1:]}.")
        st.stop()
    if choice.own:
        st.warning(f"Your data cannot be used here: {reason}.")
        if not st.toggle(f"Show an example on the {alternative.label.split(' (')[0]} instead", value=False,
                         key=f"example_{title}"):
            show_source(choice)
            st.stop()
        show_source(alternative, note="an example, not your data")
    else:
        show_source(alternative)
        st.info(f"Shown here because {reason}.")
    return alternative


def _missing(tables: dict[str, pd.DataFrame], needs: Sequence[str],
             check: Callable[[dict[str, pd.DataFrame]], str] | None) -> str:
    absent = [t for t in needs if t not in tables or tables[t] is None or not len(tables[t])]
    if absent:
        return "have no " + " or ".join(f"`{t}` table" for t in absent)
    return check(tables) if check else ""


def pseudonym_key() -> str:
    """This installation's secret key for pseudonymous ids (the command line's too, so pseudonyms match;
    kept on this machine, never shown or exported): :func:`inspect_audit._core.privacy.pseudonym_key`."""
    from inspect_audit._core.privacy import pseudonym_key as installation_key

    return installation_key()


def figure(draw, *args) -> bytes:
    """PNG bytes of a library plot function ``draw(*args, path)`` (drawn to a temporary file)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "figure.png"
        draw(*args, path)
        return path.read_bytes()


def guarded(what: str, fn: Callable, *args, expected: tuple[type[Exception], ...] = (), **kwargs):
    """``fn(*args, **kwargs)``; a bad input (:class:`~inspect_audit.data.files.InputError`) is one line on the
    page, an unexpected error one line naming the log file that holds its traceback (as the command line
    does), and the page stops there. ``expected`` errors are raised for the caller to show."""
    from inspect_audit.data.files import InputError

    try:
        return fn(*args, **kwargs)
    except expected:
        raise
    except InputError as exc:
        st.error(f"{what}: {exc}")
    except Exception as exc:  # noqa: BLE001  (never a traceback on the page)
        report_unexpected(what, exc)
    st.stop()


def report_unexpected(what: str, exc: Exception) -> None:
    """One line on the page naming the error and the log file that holds its traceback (the command line's
    log folder and format, :func:`inspect_audit.cli.main.log_dir`). Call it inside ``except``."""
    from inspect_audit.cli.main import log_unexpected

    log = log_unexpected(["app", what])
    first = (str(exc).strip().splitlines() or [""])[0]
    st.error(f"{what}: unexpected error ({type(exc).__name__}: {first}). The details are in {log}: please "
             "include that file when you report the problem.")


# ---------------------------------------------------------------------- fits

def fit_settings() -> dict:
    """Sampler settings for the app's fits: full by default; ``INSPECT_AUDIT_APP_FIT=quick`` for tests."""
    import os

    if os.environ.get("INSPECT_AUDIT_APP_FIT") == "quick":
        return {"chains": 2, "tune": 300, "draws": 300, "seed": 1, "repair": False}
    return {"chains": 4, "tune": 500, "draws": 1000, "seed": 1, "repair": True}


def _fit(tables: dict[str, pd.DataFrame], settings: dict, options: tuple):
    import warnings

    from inspect_audit.inspectors import InspectorModel

    fit_args = {k: settings[k] for k in ("chains", "tune", "draws", "seed", "repair")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return InspectorModel(**dict(options)).fit(tables, progress=False, **fit_args)


@st.cache_resource(show_spinner=False, max_entries=64)
def _public_memo(token: str, key: tuple, _fn: Callable, _args: tuple):
    """Results computed on the bundled or simulated data (public, no real people named): shared by sessions."""
    return _fn(*_args)


def memo(choice: DataChoice, key: tuple, fn: Callable, *args):
    """``fn(*args)``, computed once per ``key`` (which must name everything the result depends on besides the
    data). Results of the user's own data are kept in this session's state only (the newest
    :data:`SESSION_FITS` x 4), so they end with the session; results of public data are shared."""
    key = (fn.__module__, fn.__qualname__, *key)
    if not choice.own:
        return _public_memo(choice.token, key, fn, args)
    cache = st.session_state.setdefault(FITS_KEY, {})
    full = (choice.token, key)
    if full not in cache:
        while len(cache) >= 4 * SESSION_FITS:
            cache.pop(next(iter(cache)))
        cache[full] = fn(*args)
    return cache[full]


def model_for(choice: DataChoice, options: tuple = ()):
    """The inspector model for ``choice``: the fit folder opened on these pages if there is one, else a fit
    with this session's settings (kept by :func:`memo`: fits of the user's own data end with the session)."""
    folder = st.session_state.get(FIT_FOLDER_KEY)
    if folder and not options:
        view = opened_fit(folder)
        if view.kind != "single_area":
            st.warning(f"The fit in {folder} is a fit of every report-card area together: "
                       "this page needs a one-area fit (`inspect-audit inspectors` without --framework).")
            st.stop()
        return view.model
    settings = {**fit_settings(), **st.session_state.get("fit_settings", {})}
    chosen = {"area": "overall_effectiveness", **st.session_state.get("model_options", {}), **dict(options)}
    options = tuple(sorted(chosen.items()))
    with st.spinner("Fitting the inspector-effects model (about a minute the first time) ..."):
        return guarded("Fitting the inspector model", memo, choice, (tuple(sorted(settings.items())), options),
                       _fit, choice.tables, settings, options)


def opened_fit(folder: str):
    """The fit in a folder written by ``inspect-audit inspectors --out FIT`` (the evidence pack's
    :func:`~inspect_audit.reporting.evidence_pack.open_fit`), read once per session."""
    from inspect_audit.reporting.evidence_pack import open_fit

    fits = st.session_state.setdefault(FITS_KEY, {})
    key = ("folder", str(Path(folder).resolve()))
    if key not in fits:
        with st.spinner(f"Opening the fit in {folder} ..."):
            fits[key] = guarded(f"Opening the fit {folder}", open_fit, folder)
    return fits[key]


def fit_source(choice: DataChoice) -> None:
    """Choose where the model comes from: a fit made here, or a fit folder written by the command line.

    On the user's own data nothing is fitted until asked (a full fit takes a minute or more): the page offers
    the fit folders and a button to fit here, and stops until one is chosen."""
    from inspect_audit.inspectors.fit_folders import find_fits

    current_folder = st.session_state.get(FIT_FOLDER_KEY)
    waiting = choice.own and not current_folder and st.session_state.get("fit_here_token") != choice.token
    with st.expander("Model: " + (f"the fit in {current_folder}" if current_folder else
                                  "none yet: open a fit or fit here" if waiting else
                                  "fitted here on the data above") + " (change)", expanded=waiting):
        st.caption("Open a fit written by `inspect-audit inspectors --data DATA --out FIT` instead of fitting "
                   "again: give the FIT folder, or a folder that holds several of them.")
        where = st.text_input("Fit folder, or a folder of fit folders", value=current_folder or "",
                              key="fit_path", placeholder="/path/to/FIT")
        folder = None
        if where.strip():
            found = find_fits(where.strip())
            if found.empty:
                st.error(f"No fit in {where.strip()} (a fit folder is what `inspect-audit inspectors --out` "
                         "writes: posterior.nc for one area, area_effects.csv for every report-card area).")
            else:
                st.dataframe(found.drop(columns=["folder"]), hide_index=True, width="stretch")
                folder = st.selectbox("Fit", list(found["folder"]), key="fit_choice")
        left, right = st.columns(2)
        if left.button("Use this fit", disabled=folder is None, key="fit_use"):
            st.session_state[FIT_FOLDER_KEY] = folder
            st.rerun()
        if right.button("Fit here (about a minute)" if waiting else "Fit here instead",
                        disabled=current_folder is None and not waiting, key="fit_here"):
            st.session_state.pop(FIT_FOLDER_KEY, None)
            st.session_state["fit_here_token"] = choice.token
            st.rerun()
    if waiting:
        st.info("Open a fit made with `inspect-audit inspectors`, or fit the model here on your data.")
        st.stop()


def _unanswerable(tables: dict[str, pd.DataFrame], area: str) -> dict[str, str]:
    """The library's own verdict: the design of ``research="all"`` records each question the data cannot
    answer and why (no fit needed)."""
    from inspect_audit.inspectors.design import build_design
    from inspect_audit.inspectors.research import QUESTIONS

    try:
        design = build_design(tables, area, research=("all",))
    except ValueError as exc:  # a question's column duplicates another (check_identified), or no rows at all
        named = [q for q in QUESTIONS if repr(q) in str(exc)] or list(QUESTIONS)
        return {q: str(exc) for q in named}
    return dict(design.info["research"]["not_asked"])


def unanswerable(choice: DataChoice) -> dict[str, str]:
    """Research question -> why the data in use cannot answer it (:mod:`inspect_audit.inspectors.research`),
    for the area the inspector page models; computed once per dataset and area in this session (a design, not a
    fit: it stays out of the session's fits)."""
    area = {"area": "overall_effectiveness", **st.session_state.get("model_options", {})}["area"]
    known = st.session_state.setdefault("research_unanswerable", {})
    if (choice.token, area) not in known:
        known[(choice.token, area)] = _unanswerable(choice.tables, area)
    return known[(choice.token, area)]


def research_model(choice: DataChoice, questions: tuple[str, ...], session_model=None):
    """A fit that asked ``questions``: the session's model when it asked exactly these, else a fit with this
    session's settings (:func:`model_for`, kept by :func:`memo`)."""
    asked = session_model.design_.info.get("research", {}).get("questions") if session_model is not None else None
    if asked is not None and tuple(asked) == tuple(questions):
        return session_model
    return model_for(choice, (("research", tuple(questions)),))


# ---------------------------------------------------------------- report cards: every area together
REPORT_CARDS = "report_card_2025"
#: what the report-card model reads (no inspectors table: it uses no inspector characteristics)
REPORT_CARD_TABLES = ("schools", "inspections", "judgements")
REPORT_CARD_WHY = "report cards naming their lead inspector (public data never name them)"


def leads_on_report_cards(tables: dict[str, pd.DataFrame]) -> str:
    """'' when the tables hold report cards naming a lead inspector, else what is missing (for :func:`open_page`)."""
    ins = tables["inspections"]
    cards = ins[ins["framework"].astype(str) == REPORT_CARDS] if "framework" in ins else ins.iloc[0:0]
    if cards.empty:
        return "have no report-card inspections"
    if "lead_inspector_id" not in cards or cards["lead_inspector_id"].isna().all():
        return "name no lead inspector on their report cards"
    return ""


def _fit_report_cards(tables: dict[str, pd.DataFrame], settings: tuple):
    import warnings

    from inspect_audit.inspectors.multi_area import MultiAreaModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the page shows the gates
        return MultiAreaModel(framework=REPORT_CARDS).fit(tables, progress=False, **dict(settings))


def report_card_model(choice: DataChoice, button_key: str):
    """The multi-area model of ``choice``'s report cards, fitted here once per session and data (:func:`memo`).
    On the user's own data nothing is fitted until asked (the button ``button_key``)."""
    settings = tuple(sorted(fit_settings().items()))
    key = ("multi-area", settings)
    asked = st.session_state.setdefault("cards_asked", set())
    if choice.own and (choice.token, key) not in asked:
        st.info("Nothing is fitted on your data until you ask (a fit of every report-card area takes a minute or "
                "two).")
        if not st.button("Fit the report-card model here", key=button_key):
            st.stop()
    asked.add((choice.token, key))
    with st.spinner("Fitting every report-card area together (a minute or two the first time) ..."):
        return guarded("Fitting the report-card model", memo, choice, key, _fit_report_cards, choice.tables, settings)
