"""The supply_chain model end to end: the beer game across borders and the bullwhip scenario of
order-up-to stages, read back from their run files (docs/supply.md, docs/output-format.md)."""
import os
import sys

import h5py
import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE, "analysis", "tests"))
from conftest import run, tradesim  # noqa: E402,F401  (shared fixtures)

BEER = os.path.join(SOURCE, "scenarios", "teaching", "beer-game.yaml")
BULLWHIP = os.path.join(SOURCE, "scenarios", "supply", "bullwhip-order-up-to.yaml")
STAGES = ["retailer", "wholesaler", "distributor", "factory"]
WEEK_NS = 7 * 86400 * 10**9


def series(f, name):
    g = f[f"timeseries/{name}"]
    return g["t_ns"][()], g["value"][()]


def summary(f, name):
    return float(f[f"summary/{name}"][()])


@pytest.fixture(scope="module")
def beer(tradesim, tmp_path_factory):
    out = tmp_path_factory.mktemp("beer") / "beer.h5"
    r = run([tradesim, "run", BEER, "-o", str(out), "-q"])
    assert r.returncode == 0, r.stderr
    return out


def test_the_four_stages_are_nodes_at_their_sites(beer):
    with h5py.File(beer, "r") as f:
        kinds = list(f["nodes/kind"].asstr()[()])
        sites = list(f["nodes/site"].asstr()[()])
        assert kinds == ["consumers"] + ["supply-stage"] * 4
        # The consumers buy at the retailer's site; the stages sit in NL, DE, CN, CN.
        assert sites == ["NLRTM", "NLRTM", "DEHAM", "CNSHA", "CNNGB"]
        for stage in STAGES:
            for what in ("orders", "demand", "on_hand", "backorders", "on_order", "cost"):
                t, v = series(f, f"supply.{stage}.{what}")
                assert len(t) == len(v) == 52, (stage, what)  # one value a week for 52 weeks
                assert np.array_equal(t, np.arange(52) * WEEK_NS)


def test_the_demand_steps_from_4_to_8_in_week_5(beer):
    with h5py.File(beer, "r") as f:
        t, demand = series(f, "supply.demand")
        week = t // WEEK_NS + 1  # weeks counted from 1, as on the board
        assert np.all(demand[week <= 4] == 4) and np.all(demand[week >= 5] == 8)
        # The retailer sees the consumers' orders in the same week (no order delay downstream).
        assert np.array_equal(series(f, "supply.retailer.demand")[1], demand)


def test_orders_amplify_upstream(beer):
    with h5py.File(beer, "r") as f:
        demand = series(f, "supply.demand")[1]
        var = {s: np.var(series(f, f"supply.{s}.orders")[1], ddof=1) for s in STAGES}
        assert var["factory"] > var["retailer"] > np.var(demand, ddof=1)
        # Each stage amplifies its customer's orders (Sterman 1989: the bullwhip of the board).
        assert var["retailer"] < var["wholesaler"] < var["distributor"] < var["factory"]
        # The summaries are these variances over the consumers' (no warm-up here).
        for s in STAGES:
            ratio = summary(f, f"supply.{s}.variance_ratio")
            assert ratio == pytest.approx(var[s] / np.var(demand, ddof=1), rel=1e-9), s
        assert summary(f, "supply.factory.variance_ratio") > 10  # a step of 4 cases, amplified
        # Before the step, every stage orders what it sells: the start is a steady state.
        for s in STAGES:
            assert np.allclose(series(f, f"supply.{s}.orders")[1][:4], 4), s


def test_costs_are_holding_times_stock_plus_backlog_times_backorders(beer):
    with h5py.File(beer, "r") as f:
        team = 0.0
        for s in STAGES:
            on_hand = series(f, f"supply.{s}.on_hand")[1]
            backorders = series(f, f"supply.{s}.backorders")[1]
            cost = series(f, f"supply.{s}.cost")[1]
            assert np.all(on_hand >= 0)
            # 0.5 per case-week held, 1.0 per case-week owed (the board's costs).
            assert np.allclose(cost, 0.5 * on_hand + 1.0 * np.maximum(backorders, 0)), s
            assert summary(f, f"supply.{s}.total_cost") == pytest.approx(cost.sum(), rel=1e-9)
            team += cost.sum()
            assert backorders.max() > 0, f"{s} should run out of stock after the step"
        assert summary(f, "supply.team_cost") == pytest.approx(team, rel=1e-9)
        # The retailer could not serve every consumer at once after the step.
        assert 0 < summary(f, "supply.retailer.fill_rate") < 1


def test_border_delays_lengthen_the_lead_times(beer):
    with h5py.File(beer, "r") as f:
        # retailer <- wholesaler: 2w order + 2w shipping + 1w border - 1 = 4 weeks in transit;
        # wholesaler <- distributor: 2w + its own 6w sea leg - 1 = 7; distributor <- factory in
        # one country: 2 + 2 - 1 = 3; the factory's production: 3 - 1 = 2.
        lead = {s: summary(f, f"supply.{s}.lead_time") for s in STAGES}
        assert lead == {"retailer": 4, "wholesaler": 7, "distributor": 3, "factory": 2}
        # The wholesaler's supply line holds 8 weeks of 4 cases at the start.
        assert series(f, "supply.wholesaler.on_order")[1][0] == pytest.approx(4 * 8)


def test_counting_the_supply_line_damps_the_bullwhip(tradesim, tmp_path, beer):
    out = tmp_path / "careful.h5"
    r = run([tradesim, "run", BEER, "-o", str(out), "-q", "--set", "supply_chain.policy.beta=1"])
    assert r.returncode == 0, r.stderr
    with h5py.File(out, "r") as careful, h5py.File(beer, "r") as myopic:
        # Sterman (1989): underweighting the supply line drives the oscillation.
        assert summary(careful, "supply.factory.variance_ratio") < \
            0.5 * summary(myopic, "supply.factory.variance_ratio")
        assert summary(careful, "supply.team_cost") < summary(myopic, "supply.team_cost")


def test_demand_surge_multiplies_the_consumers_demand_for_its_window(tradesim, tmp_path):
    scenario = tmp_path / "surge.yaml"
    scenario.write_text(f"""# the beer game with a two-week surge
extends: {BEER}
timeline:
  - {{at: 20w, do: demand_surge, target: consumers, factor: 1.5, for: 2w}}
""")
    out = tmp_path / "surge.h5"
    r = run([tradesim, "run", str(scenario), "-o", str(out), "-q"])
    assert r.returncode == 0, r.stderr
    with h5py.File(out, "r") as f:
        t, demand = series(f, "supply.demand")
        period = t // WEEK_NS
        assert np.all(demand[(period >= 20) & (period < 22)] == 12)
        assert np.all(demand[(period >= 4) & ((period < 20) | (period >= 22))] == 8)
    bad = tmp_path / "bad-target.yaml"
    bad.write_text(scenario.read_text().replace("target: consumers", "target: retailer"))
    r = run([tradesim, "validate", str(bad)])
    assert r.returncode == 3 and "\"retailer\" names nodes that are not consumers" in r.stderr, r.stderr


def test_bad_sections_are_reported_with_their_paths(tradesim, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"""# bad values
extends: {BEER}
supply_chain:
  delays:
    border_shipping: 3d
  stages:
    - {{name: retailer, site: NLRTM, country: NL}}
    - {{name: whole-saler, site: DEHAM, country: DE}}
    - {{name: distributor, site: CNSHX, country: CN}}
""")
    r = run([tradesim, "validate", str(bad)])
    assert r.returncode == 3
    assert "supply_chain.stages.2.site: no site named \"CNSHX\"; did you mean \"CNSHA\"?" in r.stderr, r.stderr
    bad.write_text(bad.read_text().replace("CNSHX", "CNSHA"))
    r = run([tradesim, "validate", str(bad)])
    assert r.returncode == 3
    assert "supply_chain.delays.border_shipping: 3d is not a whole number of periods of 1w" in r.stderr
    assert "supply_chain.stages.1.name: \"whole-saler\": a stage name is letters, digits and _" in r.stderr


@pytest.fixture(scope="module")
def bullwhip(tradesim, tmp_path_factory):
    out = tmp_path_factory.mktemp("bullwhip") / "bullwhip.h5"
    r = run([tradesim, "run", BULLWHIP, "-o", str(out), "-q"])
    assert r.returncode == 0, r.stderr
    return out


def test_order_up_to_stages_meet_chens_bound_and_amplify_upstream(bullwhip):
    # Chen et al. (2000), eq. 3, with L = 2 and p = 4: 1 + 2L/p + 2L^2/p^2 = 2.5 per stage; with
    # decentralised information the bounds multiply. With z = 0 the retailer attains its bound,
    # and the exact ratios of the k-fold filter are 2.5, 7.375, 24.06, 83.15 (docs/supply.md).
    exact = [2.5, 7.375, 24.06, 83.15]
    with h5py.File(bullwhip, "r") as f:
        previous = 1.0
        for k, s in enumerate(STAGES):
            ratio = summary(f, f"supply.{s}.variance_ratio")
            half = summary(f, f"supply.{s}.variance_ratio_ci99")
            bound = summary(f, f"supply.{s}.chen_bound")
            assert bound == pytest.approx(2.5 ** (k + 1)), s
            assert ratio + half >= bound, s
            assert abs(ratio - exact[k]) <= half + 0.01 * exact[k], (s, ratio, half)
            assert ratio > 2 * previous, s
            previous = ratio
        assert summary(f, "supply.factory.variance_ratio") > summary(f, "supply.factory.chen_bound")
        # The warm-up of 100 days is left out of the variances.
        t, demand = series(f, "supply.demand")
        measured = demand[t >= 100 * 86400 * 10**9]
        assert summary(f, "supply.demand_variance") == pytest.approx(np.var(measured, ddof=1), rel=1e-9)
