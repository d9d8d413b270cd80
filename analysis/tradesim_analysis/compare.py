"""`tradesim compare A.h5 B.h5 ...`: the time series of several runs overlaid, KPIs side by side."""
import html
import os

from . import fraud, plots
from .runfile import read


def compare(paths, out_dir):
    runs = [read(p) for p in paths]
    plots.ensure_dir(out_dir)
    labels = [f"{os.path.basename(r.path)}: {r.label}" for r in runs]
    names = sorted(set.intersection(*[{s.name for s in r.series} for r in runs]))
    figures = []
    for name in names:
        pairs = [(next(s for s in r.series if s.name == name), label) for r, label in zip(runs, labels)]
        file = plots.figure_name("compare", name)
        plots.series_figure(pairs, os.path.join(out_dir, file), f"{name}: {pairs[0][0].description}")
        figures.append((file, f"{name} ({pairs[0][0].units}) in {len(runs)} runs"))
    if fraud.money_lost_figure(runs, labels, os.path.join(out_dir, "fraud-money_lost.png")):
        figures.append(("fraud-money_lost.png", f"money lost to each kind of fraud in {len(runs)} runs (USD)"))
    kpis = sorted(set().union(*[r.summary.keys() for r in runs]))
    rows = ["<h2>Key figures side by side</h2><table><tr><th>figure</th>"]
    rows += [f"<th>{html.escape(label)}</th>" for label in labels] + ["<th>units</th></tr>"]
    for k in kpis:
        units = next((r.summary[k][1] for r in runs if k in r.summary), "")
        cells = "".join(f"<td class='num'>{r.summary[k][0]:.6g}</td>" if k in r.summary else "<td></td>"
                        for r in runs)
        rows.append(f"<tr><td>{html.escape(k)}</td>{cells}<td>{html.escape('' if units == '1' else units)}</td></tr>")
    rows.append("</table>")
    rows.insert(0, fraud.table_html(runs, labels))
    index = os.path.join(out_dir, "index.html")
    with open(index, "w", encoding="utf-8") as f:
        f.write(plots.page("tradesim: comparison of runs",
                           [(f"run {i + 1}", r.path) for i, r in enumerate(runs)], [], figures,
                           "\n".join(rows)))
    return index
