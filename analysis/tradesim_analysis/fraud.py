"""Fraud in a run file: for every kind of fraud a model reports (summaries named
`<model>.<kind>.instances`, `.detected`, `.precision`, `.recall`, `.money_lost`), what happened,
what was found and what it cost; side by side for several runs (with and without the ledger)."""
import html
import math

import matplotlib.pyplot as plt
import numpy as np

METRICS = [("instances", "instances", "1"), ("detected", "detected", "1"),
           ("false_detections", "false detections", "1"), ("precision", "precision", "1"),
           ("recall", "recall", "1"), ("money_lost", "money lost", "USD"), ("cost", "cost", "USD")]


def kinds(summary):
    """The `<model>.<kind>` prefixes that report fraud (those with an instances count)."""
    return sorted(k[: -len(".instances")] for k in summary
                  if k.endswith(".instances") and k.count(".") >= 2)


def _cell(summary, key):
    if key not in summary:
        return ""
    value = summary[key][0]
    return "n/a" if isinstance(value, float) and math.isnan(value) else f"{value:.4g}"


def table_html(runs, labels):
    """One row per fraud kind and metric group; one column per run."""
    found = sorted(set().union(*[kinds(r.summary) for r in runs]))
    if not found:
        return ""
    esc = html.escape
    rows = ["<h2>Fraud: ground truth, detection and losses</h2>",
            "<p>Precision: the share of detections that were right; recall: the share of fraud "
            "instances detected; n/a: nothing to divide by.</p><table><tr><th>fraud</th>"
            "<th>figure</th>"]
    rows += [f"<th>{esc(label)}</th>" for label in labels] + ["<th>units</th></tr>"]
    for kind in found:
        for suffix, name, units in METRICS:
            key = f"{kind}.{suffix}"
            if not any(key in r.summary for r in runs):
                continue
            cells = "".join(f"<td class='num'>{esc(_cell(r.summary, key))}</td>" for r in runs)
            rows.append(f"<tr><td>{esc(kind)}</td><td>{esc(name)}</td>{cells}"
                        f"<td>{esc('' if units == '1' else units)}</td></tr>")
    rows.append("</table>")
    return "\n".join(rows)


def money_lost_figure(runs, labels, path):
    """Grouped bars: money lost to each kind of fraud in each run. False when nothing to draw."""
    found = [k for k in sorted(set().union(*[kinds(r.summary) for r in runs]))
             if any(f"{k}.money_lost" in r.summary for r in runs)]
    if not found:
        return False
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(found) + 2))
    y = np.arange(len(found))
    height = 0.8 / len(runs)
    for i, (r, label) in enumerate(zip(runs, labels)):
        values = [r.summary.get(f"{k}.money_lost", (0.0,))[0] for k in found]
        ax.barh(y + i * height, np.nan_to_num(values), height, label=label)
    ax.set_yticks(y + height * (len(runs) - 1) / 2, found)
    ax.invert_yaxis()
    ax.set_xlabel("money lost (USD)")
    ax.set_title("Money lost to each kind of fraud")
    if len(runs) > 1:
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True
