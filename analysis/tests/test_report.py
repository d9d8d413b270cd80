"""The analysis package on a small generated run: report, compare, sweep statistics."""
import math
import os

import h5py
import numpy as np

from tradesim_analysis import compare, report, runfile, sweep


def test_read_finds_everything(port_run):
    run = runfile.read(port_run)
    assert run.attrs["status"] == "complete"
    assert "port.queue_length" in {s.name for s in run.series}
    assert "ships" in {t.name for t in run.tables}
    assert run.summary["port.mean_wait"][1] == "h"
    assert run.scenario_text.startswith("scenario:")


def test_report_writes_a_png_per_series_and_table_and_an_index(port_run, tmp_path):
    index = report.report(port_run, str(tmp_path))
    files = sorted(os.listdir(tmp_path))
    assert "timeseries-port.queue_length.png" in files
    assert "timeseries-port.berths_busy.png" in files
    assert "events-ships.png" in files
    html = open(index, encoding="utf-8").read()
    for name in ("port.mean_wait", "port.p_wait", "timeseries-port.queue_length.png", "complete"):
        assert name in html
    for f in files:
        if f.endswith(".png"):
            assert os.path.getsize(tmp_path / f) > 10_000, f  # a real figure, not an empty canvas


def test_timeline_windows_come_from_the_resolved_scenario(port_run):
    run = runfile.read(port_run)
    windows = runfile.timeline_windows(run.scenario_text)
    assert windows == [(2 * 86400e9, 2 * 86400e9 + 12 * 3600e9, "close_berths port")]


def test_parse_duration_matches_the_kernel_grammar():
    assert runfile.parse_duration_ns("1.5h") == 1.5 * 3600e9
    assert runfile.parse_duration_ns("1d 12h") == 36 * 3600e9
    assert runfile.parse_duration_ns("250ms") == 250e6
    for bad in ("", "3 parsecs", "h", "5"):
        try:
            runfile.parse_duration_ns(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} parsed")


def test_compare_overlays_runs(port_run, tmp_path):
    index = compare.compare([port_run, port_run], str(tmp_path))
    assert os.path.exists(tmp_path / "compare-port.queue_length.png")
    assert open(index, encoding="utf-8").read().count("port.mean_wait") == 1


def test_confidence_interval_by_hand():
    # Values 1, 2, 3: mean 2, sd 1, n 3 -> half width t(0.975, 2) * 1 / sqrt(3) = 4.303 / 1.732.
    m, h = sweep.mean_ci([1, 2, 3])
    assert m == 2
    assert math.isclose(h, 4.303 / math.sqrt(3), rel_tol=1e-9)
    assert math.isnan(sweep.mean_ci([5])[1])
    assert math.isclose(sweep.t975(1000), 1.962, rel_tol=1e-3)


def test_sweep_statistics_from_a_fake_sweep(tmp_path):
    # Two points x three replications with known KPI values, in the layout tradesim writes.
    rows = ["index,actors.port.berths,replication,seed,status,file"]
    values = {"2": [1.0, 2.0, 3.0], "3": [0.5, 0.5, 0.5]}
    index = 0
    for berths, kpis in values.items():
        for rep, v in enumerate(kpis):
            os.makedirs(tmp_path / str(index))
            with h5py.File(tmp_path / str(index) / "run.h5", "w") as f:
                f.attrs["status"] = "complete"
                d = f.create_dataset("summary/port.mean_wait", data=np.float64(v))
                d.attrs["units"] = "h"
                d.attrs["description"] = "mean wait"
            rows.append(f"{index},{berths},{rep},{rep + 1},complete,{index}/run.h5")
            index += 1
    (tmp_path / "manifest.csv").write_text("\n".join(rows) + "\n")
    out = tmp_path / "report"
    html_file = sweep.sweep_report(str(tmp_path), str(out))
    html = open(html_file, encoding="utf-8").read()
    assert "sweep-port.mean_wait-vs-actors.port.berths.png" in os.listdir(out)
    assert "2 ± 2.5" in html  # mean 2, half width 4.303/sqrt(3) = 2.48
    assert "<td class='num'>0.5 ± 0</td>" in html  # no spread


def test_series_that_differ_in_one_middle_name_form_a_family():
    def s(name, n=3):
        return runfile.Series(name, np.arange(n), np.zeros(n), "cases", "")
    series = [s("supply.factory.orders"), s("supply.retailer.orders"), s("supply.demand"),
              s("supply.retailer.cost"), s("port.queue_length"), s("x.empty.orders", 0)]
    families = report.series_families(series)
    assert list(families) == [("supply", "orders")]  # one cost series is no family
    assert [middle for middle, _ in families[("supply", "orders")]] == ["factory", "retailer"]


def test_sweep_values_with_units_share_one_axis():
    # Durations in different units go on one axis in seconds, in their true order.
    keys = sorted(["1h", "5min", "15min"], key=sweep._sort_key)
    assert keys == ["5min", "15min", "1h"]
    assert sweep._axis(keys) == ("seconds", "s")
    assert [sweep._x(k, "seconds") for k in keys] == [300, 900, 3600]
    # One shared unit keeps its numbers; mixed non-durations and words are categories.
    assert sweep._axis(["30/h", "60/h"]) == ("number", "/h")
    assert sweep._axis(["4", "16", "64"]) == ("number", "")
    assert sweep._axis(["30/h", "2s"]) == ("category", None)
    assert sweep._axis(["pbft", "raft"]) == ("category", None)
