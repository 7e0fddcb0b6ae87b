"""The evidence pack: every sentence carries its interval and n; exports carry the stamp; ids are pseudonymised."""

from __future__ import annotations

import warnings

import pytest

from inspect_audit.reporting.evidence_pack import build_pack, data_version, in_ten, similar_schools
from inspect_audit.data.simulate import SimulationConfig, simulate


@pytest.fixture(scope="module")
def fitted():
    from inspect_audit.inspectors import InspectorModel

    data = simulate(SimulationConfig(n_schools=500, n_inspectors=25, survey_n_schools=60), seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = InspectorModel().fit(data.tables(), chains=2, tune=200, draws=200, seed=4, progress=False)
    return data, model


def test_pack_for_an_inspection_under_complaint(fitted, tmp_path):
    data, model = fitted
    inspection = data.complaints["inspection_id"].iloc[0]
    pack = build_pack(data.tables(), model, inspection, key="k")
    text = " ".join(pack.sentences)
    assert "typical inspector" in text and "90% interval" in text and "n = " in text
    assert pack.warnings  # a 2 x 200 fit cannot pass the gates: the pack says so
    severity = pack.tables["Lead inspector's estimated severity"]
    assert severity["flag"].eq("").all() and not severity["inspector_id"].str.startswith("INS-").any()
    paths = pack.write(tmp_path)
    html = paths["html"].read_text(encoding="utf-8")
    assert "data version" in html and data_version(data.tables()) in html and "data:image/png;base64" in html
    assert "INS-" not in html
    assert paths["pdf"].read_bytes()[:5] == b"%PDF-"


def test_similar_schools_share_phase_and_count(fitted):
    data, _ = fitted
    urn = data.schools["urn"].iloc[0]
    shares, members = similar_schools(data.tables(), urn, k=30)
    assert shares["n"].iloc[0] == len(members) == 30 and shares["count"].sum() == 30
    phase = data.schools.set_index("urn")["phase"]
    assert (phase.loc[members["urn"]] == phase.loc[urn]).all() and urn not in set(members["urn"])


def test_unknown_inspection_and_plain_words(fitted):
    data, model = fitted
    with pytest.raises(KeyError):
        build_pack(data.tables(), model, "no-such-inspection")
    assert in_ten(0.7) == "about 7 in 10" and in_ten(0.99) == "nearly all"


def test_pack_pseudonyms_use_the_installation_secret_key(fitted, tmp_path, pseudonym_key_file):
    import hashlib
    import hmac

    import pandas as pd

    from inspect_audit._core.privacy import pseudonymise

    data, model = fitted
    inspection = data.complaints["inspection_id"].iloc[0]
    lead = data.inspections.set_index("inspection_id").loc[inspection, "lead_inspector_id"]
    pack = build_pack(data.tables(), model, inspection)  # no key given: the installation's secret key
    shown = pack.tables["Lead inspector's estimated severity"]["inspector_id"].iloc[0]
    assert shown == pseudonymise(pd.Series([lead])).iloc[0] and len(shown) == len("Inspector-") + 16
    public = hmac.new(b"evidence-pack", lead.encode(), hashlib.sha256).hexdigest()[:6].upper()
    assert public not in shown
    html = pack.to_html()
    assert pseudonym_key_file.read_text().strip() not in html and lead not in html
