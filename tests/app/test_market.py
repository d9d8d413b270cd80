"""End-to-end tests of the trade platforms (the `market` section) with and without the ledger."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runs import (SCENARIOS, assert_money_conserved, expect_errors, run, simulate,  # noqa: E402
                  summary, table, text)
from conftest import tradesim  # noqa: E402,F401  (shared fixture)

# Shorter runs of the shipped scenarios: fewer orders, an escrow deadline that falls inside them.
SHORT = ["scenario.duration=24d", "market.platforms.0.orders=40/d",
         "market.platforms.0.deadline=12d"]
LEDGER = "market.ledger=consortium"


def test_one_letter_of_credit_step_by_step(tradesim, tmp_path):
    central = simulate(tradesim, tmp_path, "teaching/letter-of-credit.yaml", out_name="c.h5")
    ledger = simulate(tradesim, tmp_path, "teaching/letter-of-credit.yaml", LEDGER,
                      out_name="l.h5")
    for f in (central, ledger):
        o = table(f, "market_orders")
        assert len(o["order"]) == 1
        assert list(text(o["outcome"])) == ["released"]
        assert o["created_s"][0] <= o["paid_s"][0] < o["shipped_s"][0] < o["arrived_s"][0]
        assert o["arrived_s"][0] <= o["settled_s"][0]
    c, l = table(central, "market_orders"), table(ledger, "market_orders")
    # Central: paid at once; the platform pays the supplier 7 days after shipping, before the
    # parts arrive (18 days at sea).
    assert c["paid_s"][0] == c["created_s"][0]
    payout = summary(central, "market.days_to_payout_median") * 86400
    assert payout == pytest.approx(c["shipped_s"][0] - c["paid_s"][0] + 7 * 86400, abs=1)
    assert payout < c["arrived_s"][0] - c["paid_s"][0]
    # Ledger: deploy and fund are two confirmed transactions (seconds, not days); the money
    # moves after the delivery scan is anchored and the 3-day dispute window has passed.
    assert 0 < l["paid_s"][0] - l["created_s"][0] < 30
    assert 3 * 86400 < l["settled_s"][0] - l["arrived_s"][0] < 3 * 86400 + 600
    assert l["ledger_calls"][0] >= 4  # deploy, fund, deliver, release (+ provenance)
    assert summary(ledger, "contracts.calls_applied") >= 8
    assert summary(ledger, "market.ledger_calls_failed") == 0
    assert summary(ledger, "market.ledger_money_drift") == 0
    assert_money_conserved(ledger)
    assert summary(central, "market.ledger_calls") == 0


@pytest.fixture(scope="module")
def counterfeits(tradesim, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("counterfeits")
    return (simulate(tradesim, tmp, "fraud/counterfeits.yaml", *SHORT, out_name="c.h5"),
            simulate(tradesim, tmp, "fraud/counterfeits.yaml", *SHORT, LEDGER, out_name="l.h5"))


def test_the_provenance_registry_flags_every_counterfeit_and_no_genuine_item(counterfeits):
    central, ledger = counterfeits
    assert summary(ledger, "market.counterfeit.instances") >= 10
    assert summary(central, "market.counterfeit.instances") >= 10
    # Central: only the buyers who notice claim, and the dispute may go wrong.
    assert summary(central, "market.counterfeit.recall") < 0.5
    assert summary(central, "market.counterfeit.money_lost") > 0
    # Ledger: every counterfeit that reached its buyer was flagged at delivery and refunded.
    o = table(ledger, "market_orders")
    cf = (text(o["truth"]) == "counterfeit") & (o["arrived_s"][:] >= 0)
    assert cf.sum() >= 10
    assert np.all(o["detected"][:][cf] == 1)
    assert np.all(text(o["detected_by"])[cf] == "provenance")
    settled = cf & (o["settled_s"][:] >= 0)
    assert np.all(text(o["outcome"])[settled] == "resolved_buyer")
    assert summary(ledger, "market.counterfeit.money_lost") == 0
    # Genuine items are never flagged: every provenance detection was right.
    d = table(ledger, "market_detections")
    by = text(d["by"])
    assert (by == "provenance").sum() == (text(o["truth"]) == "counterfeit").sum() - \
        ((text(o["truth"]) == "counterfeit") & (o["detected"][:] == 0)).sum()
    assert np.all(d["correct"][:][by == "provenance"] == 1)
    assert summary(ledger, "market.counterfeit.false_detections") == 0
    assert summary(ledger, "market.ledger_money_drift") == 0
    assert_money_conserved(ledger)


def test_compare_shows_fraud_with_and_without_the_ledger(tradesim, counterfeits, tmp_path):
    """`tradesim compare` puts each fraud kind's truth, detections and losses side by side."""
    central, ledger = counterfeits
    out = tmp_path / "cmp"
    r = run([tradesim, "compare", central.filename, ledger.filename, "-o", str(out)])
    assert r.returncode == 0, r.stderr
    assert (out / "fraud-money_lost.png").stat().st_size > 1000
    page = (out / "index.html").read_text()
    assert "Fraud: ground truth, detection and losses" in page
    lost_c = summary(central, "market.counterfeit.money_lost")
    lost_l = summary(ledger, "market.counterfeit.money_lost")
    assert lost_c > 0 and lost_l == 0
    row = page[page.index("<td>market.counterfeit</td><td>money lost</td>"):].split("</tr>")[0]
    assert f"{lost_c:.4g}" in row and "<td class='num'>0</td>" in row


def test_escrow_refunds_non_delivery_that_the_platform_pays_out(tradesim, tmp_path):
    scenario = tmp_path / "non-delivery.yaml"
    scenario.write_text(
        "extends: " + os.path.join(SCENARIOS, "fraud", "counterfeits.yaml") + "\n"
        "scenario:\n  name: non-delivery\n"
        "timeline:\n  - {at: 2d, do: non_delivery, target: shop, sellers: 3}\n")
    central = simulate(tradesim, tmp_path, str(scenario), *SHORT, out_name="c.h5")
    ledger = simulate(tradesim, tmp_path, str(scenario), *SHORT, LEDGER, out_name="l.h5")
    # Central: the platform paid the sellers 7 days after their fake shipping notice; the
    # buyers' claims come 11 days after the order and take 10 days to decide.
    assert summary(central, "market.non_delivery.money_lost") > 0
    assert summary(ledger, "market.non_delivery.money_lost") == 0
    o = table(ledger, "market_orders")
    nd = text(o["truth"]) == "non_delivery"
    settled = nd & (o["settled_s"][:] >= 0)
    assert settled.sum() >= 10
    # Refunded a minute after the 12-day escrow deadline (plus confirmation), never paid out.
    assert np.all(text(o["outcome"])[settled] == "refunded")
    wait = o["settled_s"][:][settled] - o["created_s"][:][settled]
    assert np.all((wait > 12 * 86400) & (wait < 12 * 86400 + 300))
    assert np.all(o["detected"][:][settled] == 1)
    # An honest parcel later than the deadline is refunded too: a wrong finding, rarely.
    assert summary(ledger, "market.non_delivery.precision") >= 0.9


def test_fake_reviews_weigh_little_and_sybil_sellers_take_nothing_on_the_ledger(tradesim,
                                                                                   tmp_path):
    sets = ["scenario.duration=24d", "market.platforms.0.orders=50/d",
            "market.platforms.0.deadline=8d", "timeline.1.at=8d", "timeline.1.for=10d"]
    central = simulate(tradesim, tmp_path, "fraud/fake-reviews.yaml", *sets, out_name="c.h5")
    ledger = simulate(tradesim, tmp_path, "fraud/fake-reviews.yaml", *sets, LEDGER,
                      out_name="l.h5")
    n_c = summary(central, "market.fake_review.instances")
    n_l = summary(ledger, "market.fake_review.instances")
    assert n_c >= 300 and n_l >= 200
    # A bought review costs 5 USD; a bought trade costs the commission (8% of 5 USD) and a
    # parcel (4 USD): the price goes from one of the fraudster's accounts to another.
    assert summary(central, "market.fake_review.cost") / n_c == pytest.approx(5, rel=1e-6)
    assert summary(ledger, "market.fake_review.cost") / n_l == pytest.approx(4.4, rel=1e-6)
    assert summary(ledger, "market.fake_trades") >= n_l
    # Weighted by value, 5-USD trades barely move the score: fewer buyers end up at the four
    # bad shops (10% of the shops) than when every review counts the same.
    share_c = summary(central, "market.orders_to_fake_review_shops")
    share_l = summary(ledger, "market.orders_to_fake_review_shops")
    assert share_l < share_c
    # Sybil sellers: central buyers lose money, escrow buyers get it back.
    assert summary(central, "market.sybil_seller.money_lost") > 0
    assert summary(ledger, "market.sybil_seller.money_lost") == 0
    assert summary(ledger, "market.sybil_seller.instances") > 0


def test_same_seed_same_bits(tradesim, tmp_path):
    a = simulate(tradesim, tmp_path, "fraud/counterfeits.yaml", *SHORT, LEDGER,
                 "scenario.duration=12d", out_name="a.h5")
    b = simulate(tradesim, tmp_path, "fraud/counterfeits.yaml", *SHORT, LEDGER,
                 "scenario.duration=12d", out_name="b.h5")
    for name in ["market_orders", "market_truth", "market_detections"]:
        for col in a["events"][name].keys():
            assert np.array_equal(a["events"][name][col][:], b["events"][name][col][:]), (name, col)
    assert len(a["events"]["market_orders"]["order"]) > 100


def test_errors_name_file_line_column_and_key(tradesim, tmp_path):
    base = "extends: " + os.path.join(SCENARIOS, "fraud", "counterfeits.yaml") + \
        "\nscenario:\n  name: bad\n"
    cases = [
        ("timeline:\n  - {at: 1d, do: non_delivery, target: nowhere}\n",
         ":5:40: timeline.0.target: \"nowhere\" is not a platform of the `market` section"),
        ("market:\n  platforms:\n    - {name: shop, deadline: 2d}\n",
         ":6:30: market.platforms.0.deadline: the escrow deadline must leave time"),
        ("market:\n  platforms:\n    - {name: shop, feee: 2%}\n",
         ":6:20: market.platforms.0.feee: unknown key"),
        ("timeline:\n  - {at: 1d, do: fake_reviews, target: shop, sellers: 30}\n",
         "timeline.0.sellers: only 20 honest sellers left on shop"),
    ]
    expect_errors(tradesim, tmp_path, base, cases)


def test_contract_instances_are_deployed_from_the_scenario_and_listed(tradesim, tmp_path):
    listing = run([tradesim, "list"])
    assert listing.returncode == 0
    for text_ in ["Contract types", "escrow", "deadline_ns", "invoice_registry", "reputation",
                  "supply_agreement", "provenance"]:
        assert text_ in listing.stdout, text_
    base = "extends: " + os.path.join(SCENARIOS, "teaching", "letter-of-credit.yaml") + \
        "\nscenario:\n  name: c\n  duration: 1d\n"
    good = tmp_path / "good.yaml"
    good.write_text(base + "contracts:\n  instances:\n"
                    "    - {name: registry, type: invoice_registry}\n"
                    "    - {name: rep, type: reputation, min_stake: 50 USD}\n")
    f = simulate(tradesim, tmp_path, str(good))
    assert summary(f, "contracts.instances") == 2
    cases = [("contracts:\n  instances:\n    - {name: r, type: reputation, min_stak: 1}\n",
              ":7:35: contracts.instances.0.min_stak: unknown key"),
             ("contracts:\n  instances:\n    - {name: r, type: escrowz}\n",
              "contracts.instances.0.type"),
             ("contracts:\n  instances:\n    - {name: r, type: escrow, buyer: 1}\n",
              "contracts.instances.0.seller: missing")]
    expect_errors(tradesim, tmp_path, base, cases)
