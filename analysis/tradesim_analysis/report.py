"""`tradesim report RUN.h5 -o DIR`: a PNG per time series and per event table, and index.html.
Series that differ in one middle name (`supply.retailer.orders`, `supply.factory.orders`) are
also drawn together (`timeseries-supply.all.orders.png`), so that they can be compared on one
scale."""
import os
from collections import defaultdict

from . import fraud, plots
from .runfile import read, timeline_windows


def report(path, out_dir):
    run = read(path)
    plots.ensure_dir(out_dir)
    windows = timeline_windows(run.scenario_text)
    figures = []
    for s in run.series:
        if len(s.t_ns) == 0:
            continue
        file = plots.figure_name("timeseries", s.name)
        title = f"{s.name}: {s.description}" if s.description else s.name
        plots.series_figure([(s, run.label)], os.path.join(out_dir, file), title, windows)
        figures.append((file, f"timeseries/{s.name} ({s.units}): {s.description}"))
    for (head, tail), members in series_families(run.series).items():
        name = f"{head}.all.{tail}"
        file = plots.figure_name("timeseries", name)
        title = f"{head}.<{len(members)} names>.{tail}, together"
        plots.series_figure([(s, middle) for middle, s in members], os.path.join(out_dir, file),
                            title, windows, ylabel=f"{head}.*.{tail}")
        figures.append((file, f"timeseries/{head}.*.{tail} ({members[0][1].units}): "
                              + ", ".join(middle for middle, _ in members)))
    for t in run.tables:
        file = plots.figure_name("events", t.name)
        if plots.table_figure(t, os.path.join(out_dir, file)):
            figures.append((file, f"events/{t.name}: {t.description}"))
        if t.name == "sensor_readings":
            file = plots.figure_name("events", "sensor_temperature")
            band = sensor_band(run.scenario_text)
            if plots.sensor_readings_figure(t, os.path.join(out_dir, file), band, windows):
                figures.append((file, "events/sensor_readings: temperature sampled (blue), as the "
                                      "readers saw it on the ledger (orange), physical (black)"))
    if fraud.money_lost_figure([run], [run.label], os.path.join(out_dir, "fraud-money_lost.png")):
        figures.append(("fraud-money_lost.png", "money lost to each kind of fraud (USD)"))
    attrs = run.attrs
    intro = [("run file", os.path.abspath(path)),
             ("scenario", f"{attrs.get('scenario', '?')} ({attrs.get('scenario_file', '')})"),
             ("status", attrs.get("status", "?")), ("seed", attrs.get("seed", "?")),
             ("simulated time", f"{attrs.get('sim_end_ns', 0) / 3.6e12:.6g} h"),
             ("events", attrs.get("events", "?")),
             ("wall time", f"{attrs.get('wall_seconds', 0):.3g} s"),
             ("tradesim", f"{attrs.get('tradesim_version', '?')} (git {attrs.get('git_commit', '?')})"),
             ("created", attrs.get("created_utc", "?"))]
    summary = [(name, f"{value:.6g}", "" if units == "1" else units, description)
               for name, (value, units, description) in sorted(run.summary.items())]
    scenario_html = ("<h2>Scenario (resolved)</h2><pre>" + __import__("html").escape(run.scenario_text)
                     + "</pre>") if run.scenario_text else ""
    scenario_html = fraud.table_html([run], [run.label]) + scenario_html
    index = os.path.join(out_dir, "index.html")
    with open(index, "w", encoding="utf-8") as f:
        f.write(plots.page(f"tradesim run: {attrs.get('scenario', path)}", intro, summary, figures,
                           scenario_html))
    return index


def sensor_band(scenario_text):
    """(lo, hi) of sensors.alerts.temperature_* in the resolved scenario, or None."""
    try:
        import yaml
        alerts = yaml.safe_load(scenario_text)["sensors"]["alerts"]
        return float(alerts["temperature_lo_c"]), float(alerts["temperature_hi_c"])
    except Exception:  # no PyYAML, or no sensors section: no band
        return None


def series_families(series):
    """{(head, tail): [(middle, series), ...]} of the non-empty series named head.middle.tail
    (head and tail one name each) with at least two middles, in the file's order."""
    families = defaultdict(list)
    for s in series:
        parts = s.name.split(".")
        if len(parts) >= 3 and len(s.t_ns):
            families[(parts[0], parts[-1])].append((".".join(parts[1:-1]), s))
    return {key: members for key, members in families.items() if len(members) >= 2}
