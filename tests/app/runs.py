"""Running shipped scenarios from end-to-end tests and reading their run files."""
import os
import sys

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
SCENARIOS = os.path.join(SOURCE, "scenarios")
sys.path.insert(0, os.path.join(SOURCE, "analysis", "tests"))
from conftest import run  # noqa: E402  (the shared runner)


def simulate(tradesim, tmp_path, name, *sets, out_name=None):
    """Runs scenarios/<name> with `--set` overrides; the open run file."""
    out = tmp_path / (out_name or os.path.basename(name).replace(".yaml", "") + ".h5")
    args = [tradesim, "run", os.path.join(SCENARIOS, name), "-o", str(out), "-q"]
    for s in sets:
        args += ["--set", s]
    r = run(args)
    assert r.returncode == 0, r.stderr
    return h5py.File(out, "r")


def summary(f, key):
    return float(f["summary"][key][()])


def assert_money_conserved(f):
    """The sum of all ledger balances equals genesis's after every block every honest validator
    committed (fees and contract transfers move money, never make it)."""
    assert summary(f, "consortium.money_checked_commits") > 0
    assert summary(f, "consortium.money_drift_commits") == 0
    assert summary(f, "consortium.money_drift_max") == 0


def table(f, name):
    return f["events"][name]


def text(column):
    return np.array([x.decode() if isinstance(x, bytes) else x for x in column[:]])


def expect_errors(tradesim, tmp_path, base, cases):
    """Runs `base` + each case's YAML body; each must fail with exit code 3, print its message
    (file:line:col: key: ...) and leave no run file behind."""
    for k, (body, message) in enumerate(cases):
        bad = tmp_path / f"bad{k}.yaml"
        bad.write_text(base + body)
        out = tmp_path / f"out{k}.h5"
        r = run([tradesim, "run", str(bad), "-o", str(out)])
        assert r.returncode == 3, (body, r.stderr)
        assert message in r.stderr, (body, r.stderr)
        assert not out.exists()
