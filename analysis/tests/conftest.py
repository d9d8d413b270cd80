"""Fixtures: the tradesim binary (TRADESIM_BIN, set by ctest) and small run files made with it."""
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE, "analysis"))


@pytest.fixture(scope="session")
def tradesim():
    path = os.environ.get("TRADESIM_BIN", os.path.join(SOURCE, "build", "release", "app", "tradesim"))
    if not os.access(path, os.X_OK):
        pytest.fail(f"tradesim binary not found at {path}; set TRADESIM_BIN")
    return path


def run(cmd, **kwargs):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kwargs)


@pytest.fixture(scope="session")
def port_run(tradesim, tmp_path_factory):
    """A short port-queue run with its closure: 4 days, the berth closed over day 2."""
    out = tmp_path_factory.mktemp("run") / "port.h5"
    r = run([tradesim, "run", os.path.join(SOURCE, "scenarios", "teaching", "port-queue.yaml"),
             "-o", str(out), "-q", "--set", "scenario.duration=4d", "--set", "timeline.0.at=2d",
             "--set", "timeline.0.for=12h", "--set", "actors.port.warmup=6h"])
    assert r.returncode == 0, r.stderr
    return str(out)
