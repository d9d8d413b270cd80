"""Sweep reports: every KPI against every swept parameter, mean and 95% confidence interval
over the replications (Student t), from DIR/manifest.csv and DIR/<index>/run.h5."""
import csv
import html
import math
import os
import re
from collections import defaultdict

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator
import numpy as np

from . import plots
from .runfile import read

# Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom (standard tables).
_T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
         2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
         2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def t975(df):
    if df < 1:
        return math.nan
    return _T975[df - 1] if df <= 30 else 1.960 + 2.4 / df  # within 0.1% of the exact value


def mean_ci(values):
    """(mean, half width of the 95% CI); the half width is nan for a single value."""
    v = np.asarray(values, dtype=float)
    if len(v) == 0:
        return math.nan, math.nan
    if len(v) == 1:
        return float(v[0]), math.nan
    return float(v.mean()), t975(len(v) - 1) * float(v.std(ddof=1)) / math.sqrt(len(v))


_SECONDS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}


def _split(text):
    """(number, unit) of values such as 3, 2.5, "30/h", "12h", "5 min"; None for text."""
    m = re.match(r"\s*(-?[0-9]+(?:\.[0-9]+)?)\s*(\S*)\s*$", text)
    return (float(m.group(1)), m.group(2)) if m else None


def _sort_key(text):
    """Numeric order (durations in seconds, so that 5min < 1h); text order otherwise."""
    split = _split(text)
    if split is None:
        return (1, 0.0, text)
    number, unit = split
    return (0, number * _SECONDS.get(unit, 1.0), text)


def _axis(categories):
    """How to place sweep values on an x axis: ("number", unit) when they share a unit (or all
    are durations: then in seconds), ("category", None) otherwise."""
    splits = [_split(c) for c in categories]
    if any(x is None for x in splits):
        return "category", None
    units = {u for _, u in splits}
    if len(units) == 1:
        return "number", units.pop()
    if all(u in _SECONDS for u in units):
        return "seconds", "s"
    return "category", None


def _x(value, mode):
    number, unit = _split(value)
    return number * _SECONDS[unit] if mode == "seconds" else number


def read_sweep(directory):
    with open(os.path.join(directory, "manifest.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    fixed = {"index", "replication", "seed", "status", "file"}
    params = [k for k in (rows[0].keys() if rows else []) if k not in fixed]
    runs = []
    for row in rows:
        if row["status"] != "complete":
            continue
        run = read(os.path.join(directory, row["file"]))
        runs.append((tuple(row[p] for p in params), run))
    return params, rows, runs


def sweep_report(directory, out_dir):
    params, rows, runs = read_sweep(directory)
    if not runs:
        raise ValueError(f"{directory}: no complete runs in manifest.csv")
    plots.ensure_dir(out_dir)
    kpis = sorted(set().union(*[r.summary.keys() for _, r in runs]))
    groups = defaultdict(list)  # parameter values -> runs
    for key, run in runs:
        groups[key].append(run)
    figures = []
    for kpi in kpis:
        units = next(r.summary[kpi][1] for _, r in runs if kpi in r.summary)
        description = next(r.summary[kpi][2] for _, r in runs if kpi in r.summary)
        for i, p in enumerate(params or ["(none)"]):
            fig, ax = plt.subplots(figsize=(7, 4))
            others = defaultdict(list)  # values of the other parameters -> [(x, values)]
            for key, group in groups.items():
                other = tuple(v for j, v in enumerate(key) if j != i)
                x = key[i] if params else "all"
                others[other].append((x, [r.summary[kpi][0] for r in group if kpi in r.summary]))
            categories = sorted({x for pts in others.values() for x, _ in pts}, key=_sort_key)
            mode, x_unit = _axis(categories)
            numeric = mode != "category"
            for other, points in sorted(others.items()):
                points.sort(key=lambda pv: _sort_key(pv[0]))
                xs = [(_x(x, mode) if numeric else categories.index(x)) for x, _ in points]
                stats = [mean_ci(v) for _, v in points]
                means = [m for m, _ in stats]
                errs = [0 if math.isnan(h) else h for _, h in stats]
                label = ", ".join(f"{q}={v}" for q, v in zip([q for j, q in enumerate(params) if j != i], other))
                ax.errorbar(xs, means, yerr=errs, marker="o", capsize=4, label=label or None)
            if not numeric:
                ax.set_xticks(range(len(categories)), categories)
            elif all(float(_x(c, mode)).is_integer() for c in categories):
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlabel(f"{p} ({x_unit})" if numeric and x_unit else p)
            ax.set_ylabel(f"{kpi} ({units})" if units and units != "1" else kpi)
            reps = max(len(g) for g in groups.values())
            ax.set_title(f"{kpi}: mean and 95% CI over {reps} replication(s)", fontsize=10)
            if len(others) > 1:
                ax.legend(fontsize=8)
            fig.tight_layout()
            file = plots.figure_name("sweep", f"{kpi}-vs-{p}")
            fig.savefig(os.path.join(out_dir, file))
            plt.close(fig)
            figures.append((file, f"{kpi} ({description}) against {p}"))
    # A table of every point.
    table = ["<h2>Sweep points</h2><table><tr>"] + [f"<th>{html.escape(p)}</th>" for p in params]
    table += [f"<th>{html.escape(k)}</th>" for k in kpis] + ["<th>runs</th></tr>"]
    for key in sorted(groups, key=lambda k: [_sort_key(v) for v in k]):
        group = groups[key]
        cells = []
        for k in kpis:
            m, h = mean_ci([r.summary[k][0] for r in group if k in r.summary])
            cells.append(f"<td class='num'>{m:.4g}" + ("" if math.isnan(h) else f" ± {h:.2g}") + "</td>")
        table.append("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in key) + "".join(cells)
                     + f"<td class='num'>{len(group)}</td></tr>")
    table.append("</table>")
    failed = [r for r in rows if r["status"] != "complete"]
    intro = [("sweep directory", os.path.abspath(directory)), ("runs", len(rows)),
             ("complete", len(runs)), ("not complete", len(failed)),
             ("parameters", ", ".join(params) or "(none)")]
    index = os.path.join(out_dir, "index.html")
    with open(index, "w", encoding="utf-8") as f:
        f.write(plots.page("tradesim sweep", intro, [], figures, "\n".join(table)))
    return index
