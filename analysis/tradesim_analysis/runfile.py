"""Reading a run file into plain Python objects (h5py + numpy)."""
from dataclasses import dataclass, field

import h5py
import numpy as np


@dataclass
class Series:
    name: str
    t_ns: np.ndarray
    values: np.ndarray
    units: str
    description: str


@dataclass
class Column:
    name: str
    values: np.ndarray
    units: str
    description: str


@dataclass
class Table:
    name: str
    description: str
    columns: list


@dataclass
class Run:
    path: str
    attrs: dict
    scenario_text: str
    summary: dict = field(default_factory=dict)  # name -> (value, units, description)
    counters: dict = field(default_factory=dict)
    series: list = field(default_factory=list)
    tables: list = field(default_factory=list)

    @property
    def label(self):
        return f"{self.attrs.get('scenario', '?')} (seed {self.attrs.get('seed', '?')})"


def _text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def _attrs(obj):
    return {k: (_text(v) if isinstance(v, (bytes, str)) else v.item() if hasattr(v, "item") else v)
            for k, v in obj.attrs.items()}


def read(path):
    """Everything in a run file; raises OSError if it cannot be read."""
    with h5py.File(path, "r") as f:
        run = Run(path=path, attrs=_attrs(f),
                  scenario_text=f["scenario"].asstr()[()] if "scenario" in f else "")
        if "summary" in f:
            for name, ds in f["summary"].items():
                run.summary[name] = (float(ds[()]), _text(ds.attrs.get("units", "")),
                                     _text(ds.attrs.get("description", "")))
        if "counters" in f:
            for name, ds in f["counters"].items():
                run.counters[name] = (int(ds[()]), _text(ds.attrs.get("description", "")))
        if "timeseries" in f:
            for name, group in f["timeseries"].items():
                value = group["value"]
                run.series.append(Series(name, group["t_ns"][:], value[:],
                                         _text(value.attrs.get("units", "")),
                                         _text(value.attrs.get("description", ""))))
        tables = [(name, g) for name, g in f["events"].items()] if "events" in f else []
        for name, group in tables:
            columns = []
            for cname, ds in group.items():
                data = ds.asstr()[:] if h5py.check_string_dtype(ds.dtype) else ds[:]
                columns.append(Column(cname, data, _text(ds.attrs.get("units", "")),
                                      _text(ds.attrs.get("description", ""))))
            run.tables.append(Table(name, _text(group.attrs.get("description", "")), columns))
    return run


def time_axis(t_ns):
    """Times in the unit that suits their span: (values, unit label)."""
    span = (t_ns.max() - t_ns.min()) if len(t_ns) else 0
    for unit, ns in (("d", 86400e9), ("h", 3600e9), ("min", 60e9), ("s", 1e9), ("ms", 1e6)):
        if span >= 3 * ns:
            return t_ns / ns, unit
    return t_ns / 1e6, "ms"


def timeline_windows(scenario_text):
    """(start_ns, end_ns or None, label) of every timeline entry, for shading plots."""
    try:
        import yaml
    except ImportError:
        return []
    try:
        doc = yaml.safe_load(scenario_text) or {}
    except yaml.YAMLError:
        return []
    out = []
    for entry in doc.get("timeline") or []:
        try:
            start = parse_duration_ns(str(entry["at"]))
            end = start + parse_duration_ns(str(entry["for"])) if entry.get("for") else None
        except (KeyError, ValueError):
            continue
        label = str(entry.get("do", "?")) + (f" {entry['target']}" if entry.get("target") else "")
        out.append((start, end, label))
    return out


_UNITS_NS = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9, "min": 60e9, "m": 60e9, "h": 3600e9,
             "d": 86400e9, "w": 604800e9, "y": 31536000e9}


def parse_duration_ns(text):
    """"1.5h" -> 5.4e12; "1d 12h" -> 1.296e14 (the kernel's grammar, for plotting only)."""
    import re
    total, pos = 0.0, 0
    text = text.strip()
    if text == "0":
        return 0.0
    for m in re.finditer(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(min|ns|us|ms|s|m|h|d|w|y)", text):
        if m.start() != pos:
            raise ValueError(f"bad duration {text!r}")
        total += float(m.group(1)) * _UNITS_NS[m.group(2)]
        pos = m.end()
    if pos != len(text) or pos == 0:
        raise ValueError(f"bad duration {text!r}")
    return total
