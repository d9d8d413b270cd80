"""The trade world end to end (issue 5): conservation of goods, Little's law on every port queue
and importer stock, re-routing around a closed Suez Canal, what the ledger changes, shocks and
their recovery records, and errors in a trade section."""
import os
import sys

import h5py
import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runs import SCENARIOS, run, simulate, summary, table, text  # noqa: E402,F401
from conftest import tradesim  # noqa: E402,F401  (shared fixture)

DAY_NS = 86400 * 10**9


@pytest.mark.parametrize("name", ["shocks/canal-closure.yaml", "shocks/pandemic-ledger.yaml"])
def test_goods_are_conserved_at_every_sample(tradesim, tmp_path, name):
    f = simulate(tradesim, tmp_path, name)
    imbalance = f["timeseries"]["trade.goods.imbalance"]["value"][:]
    in_transit = f["timeseries"]["trade.goods.in_transit"]["value"][:]
    sold = f["timeseries"]["trade.goods.sold"]["value"][:]
    assert len(imbalance) >= 240  # a sample a day
    assert sold[-1] > 1e8 and in_transit.max() > 1e7  # goods did move
    # produced = at exporters + in transit + at importers + sold + lost, to rounding
    assert np.abs(imbalance).max() < 1e-6 * sold[-1]
    assert summary(f, "trade.goods_max_imbalance") < 1e-6 * sold[-1]


@pytest.mark.parametrize("name", ["trade/asia-europe.yaml", "shocks/port-congestion.yaml"])
def test_littles_law_holds_for_every_port_queue_and_stock(tradesim, tmp_path, name):
    # A long run (about eight years): L = lambda W within 1% for every berth queue, port yard
    # and importer stock.
    f = simulate(tradesim, tmp_path, name, "scenario.duration=3000d")
    little = table(f, "little")
    queues = text(little["queue"])
    L, lam, W = little["L"][:], little["lambda_per_day"][:], little["W_days"][:]
    assert len(queues) == 2 * 12 + 42  # berths and yard of 12 ports, 42 importers
    busy = 0
    for q, l, lw in zip(queues, L, lam * W):
        if max(l, lw) == 0:
            continue  # a queue nothing ever waited in
        busy += 1
        assert abs(l - lw) <= 0.01 * max(l, lw), f"{q}: L={l} lambda*W={lw}"
    assert busy >= 42 + 5
    if "port-congestion" in name:  # the shock made vessels queue for Rotterdam's berths
        berths = L[list(queues).index("port:NLRTM:berths")]
        assert berths > 0


def test_closing_suez_sends_vessels_at_sea_round_the_cape(tradesim, tmp_path):
    base = simulate(tradesim, tmp_path, "trade/asia-europe.yaml")
    assert summary(base, "trade.reroutes") == 0
    f = simulate(tradesim, tmp_path, "shocks/canal-closure.yaml")
    reroutes = table(f, "reroutes")
    t = reroutes["t_ns"][:] / DAY_NS
    extra = reroutes["extra_km"][:]
    assert len(t) > 0
    assert summary(f, "trade.reroutes") == len(t)
    assert np.all((t >= 150) & (t < 156))  # while the canal was closed
    # Via the Cape of Good Hope instead of Suez: Singapore-Rotterdam is about 3,300 nm
    # (6,100 km) longer; vessels further on (in the Red Sea) turn back and add more.
    assert np.all(extra > 4000) and np.all(extra < 20000)
    ships = table(f, "shipments")
    diverted = ships["extra_km"][:] > 0
    loaded = ships["loaded_ns"][:] / DAY_NS
    discharged = ships["discharged_ns"][:] / DAY_NS
    assert diverted.sum() > 0
    # Only cargo on board during the closure was diverted: loaded before it ended, discharged
    # after it began.
    assert np.all(loaded[diverted] < 156) and np.all(discharged[diverted] > 150)
    assert summary(f, "trade.lead_time_mean") > summary(base, "trade.lead_time_mean")


def test_the_ledger_clears_customs_faster_and_settles_in_seconds(tradesim, tmp_path):
    paper = simulate(tradesim, tmp_path, "shocks/canal-closure.yaml")
    ledger = simulate(tradesim, tmp_path, "shocks/canal-closure-ledger.yaml")
    assert summary(ledger, "trade.lead_time_customs") < 0.5 * summary(paper, "trade.lead_time_customs")
    # Correspondent banking takes hours to days (cut-offs, time zones); the ledger seconds.
    assert summary(paper, "payments.time_to_credit_median") > 4
    assert summary(ledger, "payments.time_to_credit_median") < 1 / 60
    for f in (paper, ledger):
        pays = table(f, "payments")
        assert len(pays["payment"][:]) == summary(f, "payments.count") > 1000
    assert np.all(table(ledger, "payments")["intermediaries"][:] == 0)
    assert table(paper, "payments")["intermediaries"][:].min() >= 1


def test_shocks_leave_recovery_records(tradesim, tmp_path):
    f = simulate(tradesim, tmp_path, "shocks/pandemic.yaml")
    rec = table(f, "recovery")
    tts, ttr = rec["tts_d"][:], rec["ttr_d"][:]
    assert len(tts) > 10  # importers felt it
    assert np.all(rec["min_fill_rate"][:] <= rec["pre_fill_rate"][:])
    assert np.nanmin(tts) >= 0 and np.isfinite(tts).sum() > 0
    assert summary(f, "trade.fill_rate") < 0.9

    g = simulate(tradesim, tmp_path, "shocks/port-congestion.yaml")
    days = table(g, "port_days")
    port = text(days["port"])
    t = days["t_ns"][:] / DAY_NS
    rtm = port == "NLRTM"
    during = rtm & (t > 150.5) & (t < 179.5)
    after = rtm & (t > 181)
    assert np.all(days["berths_open"][:][during] == 1)  # 10 berths at factor 0.1
    assert days["vessels_waiting"][:][during].max() > 0  # and vessels queue for it
    assert np.all(days["berths_open"][:][after] == 10)


def test_a_bad_port_code_names_file_line_column_and_key(tradesim, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "extends: " + os.path.join(SCENARIOS, "trade", "asia-europe.yaml") + "\n"
        "scenario:\n  name: bad\n"
        "trade:\n  ports:\n    - {code: CNSHA}\n    - {code: XXNOP, berths: 3}\n")
    out = tmp_path / "out.h5"
    r = run([tradesim, "run", str(bad), "-o", str(out)])
    assert r.returncode == 3
    assert f"{bad}:7:14: trade.ports.1.code: \"XXNOP\" is not a port" in r.stderr
    assert not out.exists() and not (tmp_path / "out.h5.partial").exists()


def test_a_full_yard_keeps_containers_at_the_gate(tradesim, tmp_path):
    f = simulate(tradesim, tmp_path, "trade/asia-europe.yaml", "trade.ports.0.yard=3000 TEU",
                 "scenario.duration=120d")
    days = table(f, "port_days")
    sha = text(days["port"]) == "CNSHA"
    yard, gate = days["yard_teu"][:][sha], days["gate_teu"][:][sha]
    assert yard.max() <= 3000
    assert gate.max() > 0  # Shanghai's exporters ship more than the yard holds between calls
    other = text(days["port"]) == "CNNGB"
    assert days["gate_teu"][:][other].max() == 0  # unlimited elsewhere
    imbalance = f["timeseries"]["trade.goods.imbalance"]["value"][:]
    assert np.abs(imbalance).max() < 1e-6 * f["timeseries"]["trade.goods.sold"]["value"][-1]


def test_overlapping_shocks_keep_each_other_in_force(tradesim, tmp_path):
    scenario = tmp_path / "overlap.yaml"
    scenario.write_text(
        "extends: " + os.path.join(SCENARIOS, "trade", "asia-europe.yaml") + "\n"
        "scenario:\n  name: overlap\n  duration: 170d\n"
        "timeline:\n"
        "  - {at: 140d, do: close_port, target: DEHAM, for: 20d}\n"
        "  - {at: 145d, do: close_port, target: DEHAM, for: 5d}\n"
        "  - {at: 140d, do: reduce_capacity, target: NLRTM, factor: 0.5, for: 20d}\n"
        "  - {at: 145d, do: reduce_capacity, target: NLRTM, factor: 0.4, for: 5d}\n")
    out = tmp_path / "overlap.h5"
    r = run([tradesim, "run", str(scenario), "-o", str(out), "-q"])
    assert r.returncode == 0, r.stderr
    f = h5py.File(out, "r")
    days = table(f, "port_days")
    port, t, open_ = text(days["port"]), days["t_ns"][:] / DAY_NS, days["berths_open"][:]
    ham, rtm = port == "DEHAM", port == "NLRTM"
    assert np.all(open_[ham & (t > 140.5) & (t < 159.5)] == 0)  # the first end keeps the other
    assert np.all(open_[ham & (t > 160.5)] == 8)
    assert np.all(open_[rtm & (t > 145.5) & (t < 149.5)] == 2)  # 10 x 0.5 x 0.4
    assert np.all(open_[rtm & (t > 150.5) & (t < 159.5)] == 5)  # 10 x 0.5 again
    assert np.all(open_[rtm & (t > 160.5)] == 10)


def test_trade_nodes_cannot_crash_and_bad_avoid_codes_are_named(tradesim, tmp_path):
    base = "extends: " + os.path.join(SCENARIOS, "trade", "asia-europe.yaml") + "\nscenario:\n  name: bad\n"
    crash = tmp_path / "crash.yaml"
    crash.write_text(base + "timeline:\n  - {at: 10d, do: crash, target: vessels, for: 1h}\n")
    r = run([tradesim, "run", str(crash), "-o", str(tmp_path / "c.h5")])
    assert r.returncode == 3
    assert f"{crash}:5:34: timeline.0.target: trade nodes cannot crash" in r.stderr
    avoid = tmp_path / "avoid.yaml"
    avoid.write_text(base + "trade:\n  services:\n    - {name: X, ports: [CNSHA, NLRTM], avoid: [SUEZZ]}\n")
    r = run([tradesim, "run", str(avoid), "-o", str(tmp_path / "a.h5")])
    assert r.returncode == 3
    assert "trade.services.0.avoid.0: \"SUEZZ\" is not a location of the route network" in r.stderr
