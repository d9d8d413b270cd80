"""Supply agreements and invoice financing in the trade world, end to end: penalties only for
late or out-of-spec orders (hand formula), claims paid claim_delay after delivery or never,
penalties paid by framework_agreement contracts within minutes on the ledger with money
conserved, dated by the anchored receiving scan, bonds released after the term,
breach_contract's ground truth, double financing lost without the ledger and
refused with it, determinism and errors."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runs import (SCENARIOS, assert_money_conserved, run, simulate, summary,  # noqa: E402,F401
                  table, text)
from conftest import tradesim  # noqa: E402,F401  (shared fixture)

DAY_NS = 86400 * 10**9
# Short ledger runs: a 50-day promise makes the lane's ordinary lead-time tail late already.
SHORT = ["scenario.duration=90d", "trade.warmup=30d", "trade.agreements.delivery=50d"]


def columns(t, *names):
    return [t[n][:] for n in names]


def hand_penalty(value, days_late, out_of_spec=None, per_day=0.005, cap=0.10, quality=0.05):
    """The agreement's rule in cents: min(days x 0.5%, 10%) of the value, + 5% out of spec."""
    cents = np.round(value * 100).astype(np.int64)
    late_bp = np.minimum(np.minimum(days_late, 1000) * round(per_day * 10000), round(cap * 10000))
    bp = late_bp + (0 if out_of_spec is None else out_of_spec * round(quality * 10000))
    return (cents // 10000 * bp + cents % 10000 * bp // 10000) / 100.0


def test_penalties_only_for_late_orders_by_the_hand_formula(tradesim, tmp_path):
    f = simulate(tradesim, tmp_path, "shocks/canal-closure-agreements.yaml")
    a = table(f, "agreements")
    value, due, delivered, days, pen = columns(
        a, "value_usd", "due_ns", "delivered_ns", "days_late", "penalty_due_usd")
    done = delivered >= 0
    assert done.sum() > 3000
    late = done & (delivered > due)
    # Days late rounded up: ceil((delivered - due) / 1 day).
    expect_days = np.where(late, -((due - delivered) // DAY_NS), 0)
    assert np.array_equal(days[done], expect_days[done])
    assert np.all(pen[done & ~late] == 0)
    assert np.all(a["evidence_ns"][:] == -1)  # no ledger, no anchored scan
    assert np.all(pen[late] > 0)
    assert np.allclose(pen[done], hand_penalty(value[done], days[done]), atol=0.005)
    # The closure makes orders late: more of those delivered in the 60 days after it.
    d = delivered / DAY_NS
    before = done & (d > 90) & (d < 150)
    after = done & (d >= 170) & (d < 230)
    assert (days[after] > 0).mean() > 2 * (days[before] > 0).mean()


def test_claims_are_paid_claim_delay_after_delivery_or_never(tradesim, tmp_path):
    f = simulate(tradesim, tmp_path, "shocks/canal-closure-agreements.yaml")
    a = table(f, "agreements")
    delivered, pen, paid, paid_ns, cost = columns(
        a, "delivered_ns", "penalty_due_usd", "penalty_paid_usd", "paid_ns", "claim_cost_usd")
    by = text(a["settled_by"])
    owed = (delivered >= 0) & (pen > 0)
    assert np.all(cost[owed] == 1500) and np.all(cost[~owed] == 0)
    assert summary(f, "agreements.claim_costs") == pytest.approx(1500 * owed.sum())
    claimed = by == "claim"
    assert np.all(paid_ns[claimed] - delivered[claimed] == 90 * DAY_NS)
    assert np.allclose(paid[claimed], pen[claimed])
    assert np.all(paid[by == "unpaid"] == 0)
    # Recovery 60%: among claims decided (paid, or drawn unpaid), a binomial share near 0.6.
    decided = claimed.sum() + (by == "claim_filed").sum() + (by == "unpaid").sum()
    share = (claimed.sum() + (by == "claim_filed").sum()) / decided
    assert 0.55 < share < 0.65, share
    assert summary(f, "agreements.compensation_days_median") == pytest.approx(90)


def test_the_ledger_pays_penalties_from_the_bond_within_minutes(tradesim, tmp_path):
    f = simulate(tradesim, tmp_path, "shocks/canal-closure-agreements-ledger.yaml", *SHORT)
    a = table(f, "agreements")
    value, delivered, days, pen, paid, paid_ns, cost = columns(
        a, "value_usd", "delivered_ns", "days_late", "penalty_due_usd", "penalty_paid_usd",
        "paid_ns", "claim_cost_usd")
    by = text(a["settled_by"])
    late = (delivered >= 0) & (days > 0)
    assert late.sum() > 100
    # The contract computed the same penalty as the rule (else settled_by is "mismatch") and paid
    # it from the bond: in full unless that pair's bond ran low.
    assert np.allclose(pen[late], hand_penalty(value[late], days[late]), atol=0.005)
    assert "mismatch" not in set(by)
    settled = late & (by == "ledger")
    assert settled.sum() >= late.sum() - 5  # a few calls may still be in flight at the end
    assert np.all(paid[settled] <= pen[settled] + 1e-9)
    assert np.isclose(paid[settled], pen[settled]).mean() > 0.9
    wait_s = (paid_ns[settled] - delivered[settled]) / 1e9
    # The receiving scan waits for the gateway's batch (1 min), its anchor for a PBFT commit, then
    # the exporter's proof for another: a minute and a fraction of a second or two.
    assert wait_s.max() < 120
    assert np.all(cost == 0) and summary(f, "agreements.claims") == 0
    assert summary(f, "agreements.compensation_days_median") < 120 / 86400
    # Money is only moved: every ledger balance summed is what genesis held.
    assert summary(f, "agreements.ledger_money_drift") == 0
    assert_money_conserved(f)
    assert summary(f, "agreements.bonds") > summary(f, "agreements.penalties_paid") > 0
    # The default term (365 d) outlasts the 90-day run: every bond stays locked.
    assert summary(f, "agreements.bonds_released") == 0
    assert summary(f, "agreements.agreements_released") == 0


def test_penalties_are_dated_by_the_anchored_scan_and_bonds_released(tradesim, tmp_path):
    # A 20-day term: the orders placed in it are due by day 70 and received before day 90.
    f = simulate(tradesim, tmp_path, "shocks/canal-closure-agreements-ledger.yaml", *SHORT,
                 "trade.agreements.term=20d")
    a = table(f, "agreements")
    value, ordered, due, delivered, evidence, days, spec, pen, paid, paid_ns = columns(
        a, "value_usd", "ordered_ns", "due_ns", "delivered_ns", "evidence_ns", "days_late",
        "out_of_spec", "penalty_due_usd", "penalty_paid_usd", "paid_ns")
    by = text(a["settled_by"])
    assert len(ordered) > 200 and np.all(ordered < 20 * DAY_NS)  # none after the term
    settled = np.isin(by, ["ledger", "on_time", "unpaid"])
    assert settled.sum() == len(by)  # every order delivered, proven and settled by day 90
    assert (days > 0).sum() > 20
    # Days late from the scan's time, ceil((scan - due) / 1 d), and the penalty by the hand
    # formula from those days: the contract's own figures (else settled_by is "mismatch").
    scan_days = np.where(evidence > due, -((due - evidence) // DAY_NS), 0)
    assert np.array_equal(days, scan_days)
    assert np.allclose(pen, hand_penalty(value, scan_days, spec), atol=0.005)
    # The scan is signed at receipt, anchored, then proven: it precedes the payment.
    assert np.all(evidence == delivered)
    proven = by == "ledger"
    assert proven.sum() > 20
    assert np.all(evidence[proven] < paid_ns[proven])
    # Every agreement had no open order at the end: each supplier took back its bond less the
    # penalties it paid, to the cent; the ledger only moved money.
    bonds, released = summary(f, "agreements.bonds"), summary(f, "agreements.bonds_released")
    assert released == pytest.approx(bonds - paid.sum(), abs=0.01)
    assert summary(f, "agreements.agreements_released") > 100
    assert summary(f, "agreements.ledger_money_drift") == 0
    assert_money_conserved(f)


def test_a_small_bond_runs_dry_and_leaves_penalties_unpaid(tradesim, tmp_path):
    f = simulate(tradesim, tmp_path, "shocks/canal-closure-agreements-ledger.yaml", *SHORT,
                 "trade.agreements.bond=0.05%")
    a = table(f, "agreements")
    by = text(a["settled_by"])
    pen, paid = columns(a, "penalty_due_usd", "penalty_paid_usd")
    assert (by == "unpaid").sum() > 0
    assert np.all(paid <= pen + 1e-9)
    # What the contracts paid cannot exceed the bonds posted.
    assert paid.sum() <= summary(f, "agreements.bonds") + 0.01
    assert summary(f, "agreements.ledger_money_drift") == 0


def test_breach_contract_delays_and_spoils_the_breaching_exporters_orders(tradesim, tmp_path):
    scenario = tmp_path / "breach.yaml"
    scenario.write_text(
        "extends: " + os.path.join(SCENARIOS, "shocks", "canal-closure-agreements.yaml") + "\n"
        "scenario:\n  name: breach\n  duration: 150d\n"
        "timeline:\n"
        "  - {at: 20d, do: breach_contract, target: country:KR, for: 40d, delay: 10d, "
        "quality_failure: 30%}\n")
    out = tmp_path / "breach.h5"
    r = run([tradesim, "run", str(scenario), "-o", str(out), "-q"])
    assert r.returncode == 0, r.stderr
    import h5py
    f = h5py.File(out, "r")
    a = table(f, "agreements")
    exporter, delivered, days, spec, breach, value, pen = columns(
        a, "exporter", "delivered_ns", "days_late", "out_of_spec", "breach", "value_usd",
        "penalty_due_usd")
    done = delivered >= 0
    assert breach[done].sum() > 20
    # Ground truth: out of spec only under a breach; about 30% of the breached shipments.
    assert np.all(breach[spec == 1] == 1)
    share = spec[done & (breach == 1)].mean()
    assert 0.15 < share < 0.45, share
    # Each out-of-spec order owes at least 5% of its value; the delay makes breached orders late.
    assert np.all(pen[spec == 1] >= 0.05 * value[spec == 1] - 0.01)
    assert (days[done & (breach == 1)] > 0).mean() > (days[done & (breach == 0)] > 0).mean()
    assert len(set(exporter[breach == 1])) <= 6  # the six Korean exporters at most


def test_double_financing_is_lost_without_the_ledger_and_refused_with_it(tradesim, tmp_path):
    short = ["scenario.duration=110d"]
    paper = simulate(tradesim, tmp_path, "fraud/double-financing.yaml", *short)
    ledger = simulate(tradesim, tmp_path, "fraud/double-financing-ledger.yaml", *short)
    p = table(paper, "financing")
    fraud, amount, lost = columns(p, "fraud", "amount_usd", "lost_usd")
    outcome = text(p["outcome"])
    assert fraud.sum() > 10
    assert np.all(outcome[fraud == 1] == "double_financed")
    assert np.all(outcome[fraud == 0] == "financed")
    assert np.allclose(lost[fraud == 1], amount[fraud == 1]) and np.all(lost[fraud == 0] == 0)
    assert summary(paper, "financing.money_lost") == pytest.approx(amount[fraud == 1].sum())
    assert summary(paper, "financing.prevented") == 0

    q = table(ledger, "financing")
    fraud, presented, decided, lost = columns(q, "fraud", "presented_ns", "decided_ns", "lost_usd")
    outcome = text(q["outcome"])
    assert fraud.sum() > 10
    assert np.all(outcome[fraud == 1] == "refused")
    assert np.all(np.isin(outcome[fraud == 0], ["financed", "pending"]))
    assert np.all(lost == 0) and summary(ledger, "financing.money_lost") == 0
    assert summary(ledger, "financing.prevented") == summary(ledger, "financing.attempts")
    d = decided >= 0
    assert ((decided[d] - presented[d]) / 1e9).max() < 10
    assert summary(ledger, "agreements.ledger_money_drift") == 0


def test_runs_are_deterministic(tradesim, tmp_path):
    # Claims draw from the desk's random stream, the ledger runs order calls by commit (and the
    # agreements' proofs by the gateway's anchors): two runs of each give identical tables.
    cases = [("shocks/canal-closure-agreements.yaml", "agreements", ["scenario.duration=200d"]),
             ("shocks/canal-closure-agreements-ledger.yaml", "agreements",
              SHORT + ["trade.agreements.term=20d"]),
             ("fraud/double-financing-ledger.yaml", "financing", ["scenario.duration=100d"])]
    for name, tab, sets in cases:
        a = simulate(tradesim, tmp_path, name, *sets, out_name="a.h5")
        b = simulate(tradesim, tmp_path, name, *sets, out_name="b.h5")
        ta, tb = table(a, tab), table(b, tab)
        assert len(ta["invoice" if tab == "financing" else "order"][:]) > 100
        for col in ta.keys():
            assert np.array_equal(ta[col][:], tb[col][:]), (name, col)


def test_bad_keys_are_named_with_file_line_and_column(tradesim, tmp_path):
    base = "extends: " + os.path.join(SCENARIOS, "shocks", "canal-closure-agreements.yaml") + "\n"
    bad = tmp_path / "bad.yaml"
    bad.write_text(base + "scenario:\n  name: bad\ntrade:\n  agreements:\n    penalty_per_week: 1%\n")
    r = run([tradesim, "run", str(bad), "-o", str(tmp_path / "b.h5")])
    assert r.returncode != 0
    assert f"{bad}:6:5:" in r.stderr and "penalty_per_week" in r.stderr
    nocontracts = tmp_path / "nocontracts.yaml"
    nocontracts.write_text(
        "extends: " + os.path.join(SCENARIOS, "shocks", "canal-closure-ledger.yaml") + "\n"
        "scenario:\n  name: bad\ntrade:\n  agreements:\n    enabled: true\n")
    r = run([tradesim, "run", str(nocontracts), "-o", str(tmp_path / "n.h5")])
    assert r.returncode == 3
    assert f"{nocontracts}:6:14: trade.agreements.enabled:" in r.stderr
    assert "add a `contracts` section" in r.stderr
    target = tmp_path / "target.yaml"
    target.write_text(base + "scenario:\n  name: bad\ntimeline:\n"
                      "  - {at: 10d, do: breach_contract, target: customs, delay: 5d}\n")
    r = run([tradesim, "run", str(target), "-o", str(tmp_path / "t.h5")])
    assert r.returncode == 3
    assert f"{target}:5:" in r.stderr and "names no exporter" in r.stderr
