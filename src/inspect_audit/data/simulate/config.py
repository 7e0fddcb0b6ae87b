"""The declared truth of a simulation: one small dataclass with documented defaults."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SimulationConfig:
    """Settings of :func:`inspect_audit.data.simulate.simulate`.

    Effects are on the latent logit scale of model M1 (design note ``bayes-inspector-model.md``),
    where **higher is better** and a positive inspector effect is *lenient*. The tables use
    Ofsted's coding (1 = Outstanding ... 4 = Inadequate); ``truth.json`` states both conventions.

    Sizes
    -----
    n_schools, n_inspectors : schools (about 80% primary) and lead inspectors.
    start_date, end_date : window of inspection start dates (framework by date: ``cif_2015`` to
        2019-08-31, ``eif_2019`` after). Graded inspections were suspended from 2020-03-17 to
        2021-08-31 (COVID-19), so no inspection starts then.
    snapshot_date : date the data are "extracted"; complaints not closed by then are open.
    repeat_share : share of schools inspected more than once (so school effects are identified);
        ``third_share`` of those are inspected three times.

    Grades (M1: y* = x'beta + a_j + s_m + t_year + e, e ~ Logistic(0, 1))
    ------
    target_shares : overall-effectiveness shares in Ofsted order (Outstanding, Good, RI,
        Inadequate); default England, latest graded inspection as at 31 August 2024. The
        cutpoints are calibrated so the latest inspection of each school matches them in
        expectation, unless ``cutpoints`` (better-is-higher, increasing, length 3) are given.
    beta_fsm_direct : direct effect per FSM quintile (1 = least deprived ... 5 = most), i.e.
        context bias beyond what progress explains.
    beta_fsm_total : total effect per quintile; the gap to the direct effect is mediated by
        progress (progress falls with deprivation by (total - direct) / beta_progress SD per
        quintile).
    beta_progress : effect per school-level SD of progress (KS2 progress / Progress 8).
    beta_secondary : secondary vs primary.
    sigma_school, sigma_year, sigma_inspector : SDs of the school, academic-year and residual
        inspector effects.
    gamma_male, gamma_hmi, gamma_serving_leader : inspector-characteristic effects (0/1
        indicators; reference female-or-unknown, OI, not a serving leader). The default
        gender effect shifts the primary "requires improvement or worse" rate by about
        3 points (``truth["gamma_implied_effects"]`` gives the achieved value).
    n_planted_severe, n_planted_lenient, planted_effect : extreme inspectors whose residual
        effect is set to -planted_effect (severe) or +planted_effect (lenient).
    subjudgement_noise : SD of the area-specific noise added to the overall latent for
        sub-judgements.
    safeguarding_not_met_if_inadequate, safeguarding_not_met_if_ri : chance that safeguarding
        is "not met" (eif_2019) given an Inadequate / RI overall grade (never otherwise).

    Paired-inspection study (``ratings`` table)
    -------------------------------------------
    paired_n_schools schools are graded independently by two inspectors on the same day
    (M1 with a fresh logistic error per rater); ``paired_self_share`` of them also grade
    themselves (self-evaluation, lenient by ``self_evaluation_leniency``) and
    ``paired_peer_share`` are graded by a peer reviewer (SD ``sigma_peer``).

    Complaints
    ----------
    complaint_rate_by_grade : complaint probability by Ofsted grade 1..4 for an inspector of
        severity 0; the log-odds rise by ``complaint_severity_slope`` per logit of severity.
    upheld_target : share of decided complaints upheld or partially upheld (calibrated);
        the log-odds rise by ``upheld_severity_slope`` per logit of severity.

    Surveys
    -------
    survey_n_schools schools run the climate survey (``survey_two_wave_share`` of them twice).
    School climate correlates ``climate_quality_corr`` with the school's latent quality;
    ``survey_icc`` is the between-school share of a respondent's dimension score;
    ``dont_know_rate`` of answers are "don't know" (missing).
    """

    n_schools: int = 2000
    n_inspectors: int = 100
    start_date: str = "2016-01-04"
    end_date: str = "2024-07-19"
    snapshot_date: str = "2024-08-31"
    secondary_share: float = 0.2
    repeat_share: float = 0.30
    third_share: float = 0.25

    target_shares: tuple[float, float, float, float] = (0.138, 0.766, 0.081, 0.015)
    cutpoints: tuple[float, float, float] | None = None
    beta_fsm_direct: float = -0.15
    beta_fsm_total: float = -0.35
    beta_progress: float = 0.6
    beta_secondary: float = -0.1
    sigma_school: float = 1.0
    sigma_year: float = 0.15
    sigma_inspector: float = 0.5
    gamma_male: float = -0.4
    gamma_hmi: float = -0.2
    gamma_serving_leader: float = 0.15
    hmi_share: float = 0.2
    n_planted_severe: int = 3
    n_planted_lenient: int = 3
    planted_effect: float = 1.5
    subjudgement_noise: float = 0.7
    safeguarding_not_met_if_inadequate: float = 0.85
    safeguarding_not_met_if_ri: float = 0.02

    paired_n_schools: int = 150
    paired_study_id: str = "paired_2024"
    paired_self_share: float = 0.67
    paired_peer_share: float = 0.5
    self_evaluation_leniency: float = 0.8
    n_peer_reviewers: int = 20
    sigma_peer: float = 0.3

    complaint_rate_by_grade: tuple[float, float, float, float] = (0.01, 0.03, 0.12, 0.30)
    complaint_severity_slope: float = 0.5
    upheld_target: float = 0.18
    upheld_severity_slope: float = 0.7
    withdrawn_share: float = 0.05

    survey_n_schools: int = 200
    survey_two_wave_share: float = 0.3
    climate_quality_corr: float = 0.5
    survey_icc: float = 0.15
    dont_know_rate: float = 0.03
    staff_per_pupil: float = 0.05
    pupil_response_share: float = 0.15

    seed: int = 2024

    def __post_init__(self) -> None:
        if self.n_schools < 10 or self.n_inspectors < 2:
            raise ValueError("need at least 10 schools and 2 inspectors")
        if self.n_planted_severe + self.n_planted_lenient > self.n_inspectors:
            raise ValueError("more planted extreme inspectors than inspectors")
        if abs(sum(self.target_shares) - 1) > 1e-6 or min(self.target_shares) <= 0:
            raise ValueError("target_shares must be positive and sum to 1")
        if self.cutpoints is not None and not (len(self.cutpoints) == 3
                                               and self.cutpoints[0] < self.cutpoints[1] < self.cutpoints[2]):
            raise ValueError("cutpoints must be three increasing numbers")
        if self.beta_progress == 0 and self.beta_fsm_total != self.beta_fsm_direct:
            raise ValueError("with beta_progress = 0 the total FSM effect must equal the direct one")
        delta = self.progress_per_quintile
        if 2 * delta**2 >= 1:
            raise ValueError("beta_fsm_total - beta_fsm_direct too large for beta_progress "
                             "(progress would need more than unit variance)")

    @property
    def progress_per_quintile(self) -> float:
        """Change in standardised progress per FSM quintile implied by total vs direct effects."""
        if self.beta_progress == 0:
            return 0.0
        return (self.beta_fsm_total - self.beta_fsm_direct) / self.beta_progress
