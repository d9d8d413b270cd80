"""`tradesim report RUN.h5 -o DIR`: a PNG per time series and per event table, and index.html."""
import os

from . import plots
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
    for t in run.tables:
        file = plots.figure_name("events", t.name)
        if plots.table_figure(t, os.path.join(out_dir, file)):
            figures.append((file, f"events/{t.name}: {t.description}"))
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
    index = os.path.join(out_dir, "index.html")
    with open(index, "w", encoding="utf-8") as f:
        f.write(plots.page(f"tradesim run: {attrs.get('scenario', path)}", intro, summary, figures,
                           scenario_html))
    return index
