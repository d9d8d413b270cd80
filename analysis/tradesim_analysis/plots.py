"""Figures with titles, units on every axis and timeline events shaded."""
import html
import os

import matplotlib.pyplot as plt
import numpy as np

from .runfile import time_axis

plt.rcParams.update({"figure.dpi": 110, "axes.grid": True, "grid.alpha": 0.3,
                     "axes.spines.top": False, "axes.spines.right": False})


def _safe(name):
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def shade_timeline(ax, windows, scale_ns, horizon):
    """Shades each timeline window (or draws a line for instant actions), labelled once."""
    for start, end, label in windows:
        x0 = start / scale_ns
        if end is None:
            ax.axvline(x0, color="tab:red", lw=1, ls="--", alpha=0.7)
            ax.annotate(label, (x0, 1), xycoords=("data", "axes fraction"), fontsize=8,
                        color="tab:red", rotation=90, va="top", ha="right")
        else:
            ax.axvspan(x0, min(end / scale_ns, horizon), color="tab:red", alpha=0.12)
            ax.annotate(label, (x0, 1), xycoords=("data", "axes fraction"), fontsize=8,
                        color="tab:red", va="top", ha="left")


_SCALE = {"d": 86400e9, "h": 3600e9, "min": 60e9, "s": 1e9, "ms": 1e6}


def series_figure(series_list, path, title, windows=(), ylabel=None):
    """One or more series (same name, several runs; or one family of names) against simulated
    time."""
    fig, ax = plt.subplots(figsize=(8, 4))
    all_t = np.concatenate([s.t_ns for s, _ in series_list]) if series_list else np.array([0])
    _, unit = time_axis(all_t)
    scale = _SCALE[unit]
    for s, label in series_list:
        ax.step(s.t_ns / scale, s.values, where="post", lw=1.2, label=label)
    first = series_list[0][0]
    ax.set_xlabel(f"simulated time ({unit})")
    name = ylabel or first.name
    ax.set_ylabel(f"{name} ({first.units})" if first.units and first.units != "1" else name)
    ax.set_title(title, fontsize=11)
    if len(all_t):
        shade_timeline(ax, windows, scale, all_t.max() / scale)
    if len(series_list) > 1:
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def table_figure(table, path):
    """A table's numeric columns: each against the table's first time column (scatter) and
    as a histogram. Returns False if the table has nothing numeric to show."""
    time_cols = [c for c in table.columns if c.units == "ns" and c.values.dtype.kind in "iu"]
    x = time_cols[0] if time_cols else None
    numeric = [c for c in table.columns
               if c.values.dtype.kind in "iuf" and c is not x and c.units not in ("ns",)
               and c.name not in ("id", "ship", "index")]
    numeric = numeric[:4]
    if not numeric or len(numeric[0].values) == 0:
        return False
    rows = len(numeric)
    fig, axes = plt.subplots(rows, 2, figsize=(10, 3 * rows), squeeze=False)
    for row, c in enumerate(numeric):
        label = f"{c.name} ({c.units})" if c.units and c.units != "1" else c.name
        ax = axes[row][0]
        if x is not None:
            xs, unit = time_axis(x.values)
            ax.plot(xs, c.values, ".", ms=2, alpha=0.4)
            ax.set_xlabel(f"{x.name.removesuffix('_ns')} (simulated {unit})")
        else:
            ax.plot(c.values, ".", ms=2, alpha=0.4)
            ax.set_xlabel("row")
        ax.set_ylabel(label)
        ax.set_title(c.description or c.name, fontsize=10)
        ax = axes[row][1]
        ax.hist(c.values, bins=60, color="tab:blue", alpha=0.8)
        ax.set_xlabel(label)
        ax.set_ylabel("rows")
        mean = float(np.mean(c.values))
        ax.axvline(mean, color="k", lw=1)
        ax.set_title(f"distribution; mean {mean:.4g}", fontsize=10)
    fig.suptitle(f"events/{table.name}: {table.description}", fontsize=11)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def sensor_readings_figure(table, path, band=None, windows=()):
    """events/sensor_readings: per container, the temperature the sensor read (dots, at the
    time it was sampled), what the readers could see and when (at its anchor's visibility) and
    the container's physical temperature (line), with the alert band. False if no temperature."""
    cols = {c.name: c.values for c in table.columns}
    if "kind" not in cols or len(cols["kind"]) == 0:
        return False
    kind = np.array([k.decode() if isinstance(k, bytes) else k for k in cols["kind"]])
    name = np.array([k.decode() if isinstance(k, bytes) else k for k in cols["container"]])
    temp = kind == "temperature"
    containers = sorted(set(name[temp]))
    if not containers:
        return False
    fig, axes = plt.subplots(len(containers), 1, figsize=(10, 3.2 * len(containers)),
                             squeeze=False)
    _, unit = time_axis(cols["t_ns"][temp])
    scale = {"d": 86400e9, "h": 3600e9, "min": 60e9, "s": 1e9, "ms": 1e6}[unit]
    for row, c in enumerate(containers):
        ax = axes[row][0]
        m = temp & (name == c)
        order = np.argsort(cols["t_ns"][m])
        t = cols["t_ns"][m][order] / scale
        ax.plot(t, cols["actual"][m][order], "-", color="k", lw=1, label="physical")
        ax.plot(t, cols["value"][m][order], ".", ms=2, color="tab:blue", label="sensor, sampled")
        ax.plot(cols["visible_ns"][m][order] / scale, cols["value"][m][order], ".", ms=2,
                color="tab:orange", alpha=0.5, label="sensor, as the readers saw it")
        if band is not None:
            ax.axhspan(band[0], band[1], color="tab:green", alpha=0.08, label="allowed band")
        for start, end, label in windows:
            ax.axvspan(start / scale, (end if end is not None else start) / scale,
                       color="tab:red", alpha=0.15)
        ax.set_ylabel("temperature (degC)")
        ax.set_xlabel(f"simulated time ({unit})")
        ax.set_title(c, fontsize=10)
        ax.legend(fontsize=8, loc="upper right")
    fig.suptitle("events/sensor_readings: temperature sampled, seen, and physical", fontsize=11)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def page(title, intro_rows, summary_rows, figures, extra_html=""):
    """An index.html: attributes, a KPI table and the figures with captions."""
    esc = html.escape
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{esc(title)}</title>",
             "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
             "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
             "padding:4px 8px;text-align:left}td.num{text-align:right;font-variant-numeric:"
             "tabular-nums}figure{margin:2em 0}img{max-width:100%}figcaption{color:#555}</style>",
             f"</head><body><h1>{esc(title)}</h1><table>"]
    for k, v in intro_rows:
        parts.append(f"<tr><th>{esc(str(k))}</th><td>{esc(str(v))}</td></tr>")
    parts.append("</table>")
    if summary_rows:
        parts.append("<h2>Key figures</h2><table><tr><th>figure</th><th>value</th><th>units</th>"
                     "<th>meaning</th></tr>")
        for name, value, units, description in summary_rows:
            parts.append(f"<tr><td>{esc(name)}</td><td class='num'>{esc(value)}</td>"
                         f"<td>{esc(units)}</td><td>{esc(description)}</td></tr>")
        parts.append("</table>")
    parts.append(extra_html)
    for file, caption in figures:
        parts.append(f"<figure><img src='{esc(file)}' alt='{esc(caption)}'>"
                     f"<figcaption>{esc(caption)}</figcaption></figure>")
    parts.append("</body></html>")
    return "\n".join(parts)


def figure_name(prefix, name):
    return f"{prefix}-{_safe(name)}.png"


def ensure_dir(path):
    os.makedirs(path, exist_ok=True)
    return path
