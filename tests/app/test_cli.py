"""The tradesim command end to end: exit codes, errors, run files, determinism, Ctrl-C, sweeps,
shipped scenarios, and the generated documentation."""
import glob
import os
import re
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE, "analysis", "tests"))
from conftest import port_run, run, tradesim  # noqa: E402,F401  (shared fixtures)

PORT = os.path.join(SOURCE, "scenarios", "teaching", "port-queue.yaml")
SCENARIOS = sorted(glob.glob(os.path.join(SOURCE, "scenarios", "**", "*.yaml"), recursive=True))


def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[name] = (obj[()], dict(obj.attrs))
        f.visititems(visit)
        attrs = {k: v for k, v in f.attrs.items() if k not in ("created_utc", "wall_seconds")}
    return out, attrs


def test_version_names_the_commit_it_was_built_from(tradesim):
    r = run([tradesim, "--version"])
    assert r.returncode == 0
    m = re.fullmatch(r"tradesim \d+\.\d+\.\d+ \(git ([0-9a-f]{12}(-dirty)?|unknown)\)\n", r.stdout)
    assert m, r.stdout
    head = run(["git", "-C", SOURCE, "rev-parse", "--short=12", "HEAD"])
    if head.returncode == 0:  # in a git checkout: the binary must name HEAD
        assert m.group(1).removesuffix("-dirty") == head.stdout.strip()


def test_usage_errors_exit_2(tradesim):
    assert run([tradesim]).returncode == 2
    assert run([tradesim, "run"]).returncode == 2
    assert run([tradesim, "run", "/nonexistent.yaml"]).returncode == 2
    assert run([tradesim, "frobnicate"]).returncode == 2


def test_invalid_scenario_reports_every_error_exits_3_and_writes_nothing(tradesim, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("scenario:\n  name: bad\n  duraton: 3d\nactors:\n  port:\n    berths: two\n"
                   "    berths: 3\n    arrivals: 30 per hour\n")
    out = tmp_path / "out.h5"
    r = run([tradesim, "run", str(bad), "-o", str(out)])
    assert r.returncode == 3
    assert f"{bad}:3:3: scenario.duraton: unknown key; did you mean \"duration\"?" in r.stderr
    assert f"{bad}:7:5: actors.port.berths: duplicate key (first given at line 6)" in r.stderr
    assert "scenario.duration: missing required key" in r.stderr
    assert f"{bad}:8:15: actors.port.arrivals: unknown rate unit" in r.stderr
    assert "5 errors" in r.stderr  # duraton, duration, the duplicate, two, per hour
    assert not os.path.exists(out) and not os.path.exists(str(out) + ".partial")


def test_unknown_set_key_gets_a_suggestion(tradesim, tmp_path):
    r = run([tradesim, "run", PORT, "--set", "actors.port.bertsh=4", "-o", str(tmp_path / "x.h5")])
    assert r.returncode == 3
    assert "--set actors.port.bertsh=4: actors.port.bertsh: unknown key; did you mean \"berths\"?" in r.stderr


def test_unwritable_output_exits_4(tradesim):
    r = run([tradesim, "run", PORT, "-o", "/proc/forbidden/x.h5", "-q"])
    assert r.returncode == 4, r.stderr


def test_run_file_has_the_layout_and_the_resolved_scenario(port_run):
    with h5py.File(port_run, "r") as f:
        for key in ("tradesim_version", "git_commit", "scenario", "seed", "replication",
                    "created_utc", "sim_end_ns", "wall_seconds", "events", "status"):
            assert key in f.attrs, key
        assert f.attrs["status"] == "complete"
        assert f.attrs["sim_end_ns"] == 4 * 86400 * 10**9
        text = f["scenario"].asstr()[()]
        assert "duration: 4d" in text and "for: 12h" in text  # the --set values were applied
        def check(name, obj):
            if isinstance(obj, h5py.Dataset):
                assert "units" in obj.attrs and "description" in obj.attrs, name
        f.visititems(check)
        assert f["timeseries/port.queue_length/value"].compression == "gzip"
        assert f["timeseries/port.queue_length/value"].shuffle


def test_same_seed_same_contents_other_seed_other_contents(tradesim, tmp_path):
    files = []
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        path = tmp_path / f"{name}.h5"
        r = run([tradesim, "run", PORT, "-o", str(path), "-q", "--seed", str(seed),
                 "--set", "scenario.duration=2d", "--set", "actors.port.warmup=1h"])
        assert r.returncode == 0, r.stderr
        files.append(datasets(path))
    (a, a_attrs), (b, b_attrs), (c, _) = files
    assert a.keys() == b.keys()
    for name in a:
        assert np.array_equal(a[name][0], b[name][0]), name
    assert a_attrs == b_attrs
    assert not np.array_equal(a["events/ships/wait_h"][0], c["events/ships/wait_h"][0])


def test_ctrl_c_closes_a_valid_file_marked_interrupted(tradesim, tmp_path):
    out = tmp_path / "long.h5"
    p = subprocess.Popen([tradesim, "run", os.path.join(SOURCE, "scenarios", "bench", "phold-large.yaml"),
                          "-o", str(out), "--set", "scenario.duration=100000s"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    p.send_signal(signal.SIGINT)
    stdout, stderr = p.communicate(timeout=60)
    assert p.returncode == 130, stderr
    assert os.path.exists(out) and not os.path.exists(str(out) + ".partial")
    with h5py.File(out, "r") as f:
        assert f.attrs["status"] == "interrupted"
        assert 0 < f.attrs["sim_end_ns"] < 100000 * 10**9
        assert f["counters/kernel.events"][()] == f.attrs["events"]


def test_sweep_runs_the_product_skips_complete_runs_and_reports(tradesim, tmp_path):
    scenario = tmp_path / "sweep.yaml"
    scenario.write_text(f"extends: {PORT}\nscenario:\n  duration: 2d\n  replications: 2\n"
                        "actors:\n  port:\n    warmup: 2h\n    record_ships: false\n"
                        "timeline: []\nsweep:\n  actors.port.berths: [3, 4]\n")
    out = tmp_path / "out"
    r = run([tradesim, "sweep", str(scenario), "-j", "2", "-o", str(out)])
    assert r.returncode == 0, r.stderr
    manifest = (out / "manifest.csv").read_text().splitlines()
    assert manifest[0] == "index,actors.port.berths,replication,seed,status,file"
    assert len(manifest) == 5
    rows = [line.split(",") for line in manifest[1:]]
    assert [row[1] for row in rows] == ["3", "3", "4", "4"]
    assert rows[0][3] == rows[2][3] and rows[0][3] != rows[1][3]  # seeds by replication
    assert all(row[4] == "complete" for row in rows)
    for i in range(4):
        with h5py.File(out / str(i) / "run.h5", "r") as f:
            assert f.attrs["replication"] == int(rows[i][2])
            assert f.attrs["seed"] == int(rows[i][3])
    again = run([tradesim, "sweep", str(scenario), "-o", str(out)])
    assert again.returncode == 0 and "(4 already were)" in again.stdout
    single = run([tradesim, "sweep", str(scenario), "-o", str(tmp_path / "one"), "--run-index", "3", "-q"])
    assert single.returncode == 0 and os.path.exists(tmp_path / "one" / "3" / "run.h5")
    assert run([tradesim, "sweep", str(scenario), "-o", str(out), "--run-index", "9"]).returncode == 2
    report = run([tradesim, "report", str(out)])
    assert report.returncode == 0, report.stderr
    assert os.path.exists(out / "report" / "sweep-port.mean_wait-vs-actors.port.berths.png")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: os.path.relpath(p, SOURCE))
def test_every_shipped_scenario_validates_and_runs_shortened(tradesim, tmp_path, scenario):
    assert open(scenario, encoding="utf-8").readline().startswith("#"), "starts with a comment saying what it teaches"
    v = run([tradesim, "validate", scenario])
    assert v.returncode == 0, v.stderr
    out = tmp_path / "short.h5"
    r = run([tradesim, "run", scenario, "-o", str(out), "-q", "--max-events", "200000"])
    assert r.returncode == 0, r.stderr
    with h5py.File(out, "r") as f:
        assert f.attrs["status"] in ("complete", "event-limit")
        assert f.attrs["events"] > 0


def test_scenario_reference_is_generated_from_the_declarations(tradesim):
    r = run([tradesim, "list", "--markdown"])
    assert r.returncode == 0
    with open(os.path.join(SOURCE, "docs", "scenario-reference.md"), encoding="utf-8") as f:
        assert f.read() == r.stdout, "docs/scenario-reference.md is stale: regenerate it with " \
                                     "`tradesim list --markdown > docs/scenario-reference.md`"


@pytest.fixture(scope="module")
def consortium_run(tradesim, tmp_path_factory):
    out = tmp_path_factory.mktemp("consortium") / "pbft4.h5"
    r = run([tradesim, "run", os.path.join(SOURCE, "scenarios", "teaching", "pbft-4.yaml"), "-o", str(out),
             "-q", "--set", "scenario.duration=25s"])
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture(scope="module")
def trade_run(tradesim, tmp_path_factory):
    out = tmp_path_factory.mktemp("trade") / "trade.h5"
    r = run([tradesim, "run", os.path.join(SOURCE, "scenarios", "shocks", "canal-closure-ledger.yaml"),
             "-o", str(out), "-q", "--set", "scenario.duration=80d", "--set", "trade.warmup=5d",
             "--set", "timeline.0.at=60d"])
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture(scope="module")
def supply_run(tradesim, tmp_path_factory):
    out = tmp_path_factory.mktemp("supply") / "bullwhip.h5"
    r = run([tradesim, "run", os.path.join(SOURCE, "scenarios", "supply", "bullwhip-order-up-to.yaml"),
             "-o", str(out), "-q", "--set", "scenario.duration=2000d"])
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture(scope="module")
def sensors_run(tradesim, tmp_path_factory):
    out = tmp_path_factory.mktemp("sensors") / "swap.h5"
    r = run([tradesim, "run", os.path.join(SOURCE, "scenarios", "fraud", "container-swap-ledger.yaml"),
             "-o", str(out), "-q"])
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture(scope="module")
def agreements_run(tradesim, tmp_path_factory):
    out = tmp_path_factory.mktemp("agreements") / "double.h5"
    r = run([tradesim, "run", os.path.join(SOURCE, "scenarios", "fraud", "double-financing.yaml"),
             "-o", str(out), "-q", "--set", "trade.agreements.enabled=true"])
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture(scope="module")
def market_run(tradesim, tmp_path_factory):
    out = tmp_path_factory.mktemp("market") / "loc.h5"
    r = run([tradesim, "run", os.path.join(SOURCE, "scenarios", "teaching", "letter-of-credit.yaml"),
             "-o", str(out), "-q", "--set", "market.ledger=consortium"])
    assert r.returncode == 0, r.stderr
    return out


@pytest.mark.parametrize("which", ["port_run", "consortium_run", "trade_run", "supply_run",
                                   "sensors_run", "agreements_run", "market_run"])
def test_output_format_documents_every_dataset_of_a_real_run(request, which):
    path = request.getfixturevalue(which)
    doc = open(os.path.join(SOURCE, "docs", "output-format.md"), encoding="utf-8").read()
    # `<name>` in a documented path stands for one name made of letters, digits and _.
    patterns = [re.compile(re.sub(r"<[a-z_]+>", "[A-Za-z0-9_]+", re.escape(p)) + "$")
                for p in set(re.findall(r"`(/[^`\s]+)`", doc))]
    missing = []
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and not any(p.match("/" + name) for p in patterns):
                missing.append("/" + name)
        f.visititems(visit)
        for attr in f.attrs:
            if f"`{attr}`" not in doc:
                missing.append(f"root attribute {attr}")
    assert not missing, f"not in docs/output-format.md: {missing}"


def test_schema_and_name_errors_come_in_one_report(tradesim, tmp_path):
    bad = tmp_path / "names.yaml"
    bad.write_text("scenario: {name: n, duration: 2d}\n"
                   "metrics: {sample_every: often}\n"
                   "network:\n  sites: [{name: CNSHA}]\n  links: [{a: CNSHA, b: NLRTN}]\n"
                   "actors:\n  port: {berths: 3}\n"
                   "timeline:\n  - {at: 1d, do: close_berths, target: prot, berths: 1}\n")
    r = run([tradesim, "validate", str(bad)])
    assert r.returncode == 3
    assert f"{bad}:2:25: metrics.sample_every:" in r.stderr
    assert "network.links.0.b: no site named \"NLRTN\"" in r.stderr
    assert f"{bad}:9:40: timeline.0.target: no node or group named \"prot\"; did you mean \"port\"?" in r.stderr
    assert "3 errors" in r.stderr


def test_pbft4_teaching_scenario_shows_the_view_change(consortium_run):
    with h5py.File(consortium_run, "r") as f:
        t = f["events/blocks/committed_ns"][()] / 1e9
        proposer = f["events/blocks/proposer"][()]
        ids = dict(zip(f["nodes/id"][()], f["nodes/kind"][()]))
        assert f["summary/consortium.safety_violations"][()] == 0
        assert f["counters/consortium.view_changes"][()] >= 3
        assert set(proposer[t < 20]) == {proposer[0]}          # one primary before the crash
        assert proposer[0] not in set(proposer[t > 22])        # another one after it
        assert all(ids[p] == b"pbft-validator" or ids[p] == "pbft-validator" for p in set(proposer))
        gaps = np.diff(t)
        assert gaps.max() > 1.0 and 20 <= t[np.argmax(gaps)] <= 21  # the pause: the view change
        assert f["summary/consortium.confirmed"][()] > 0.9 * f["summary/consortium.submitted"][()]


def test_consortium_runs_are_deterministic(tradesim, tmp_path):
    outs = []
    for i in range(2):
        out = tmp_path / f"c{i}.h5"
        r = run([tradesim, "run", os.path.join(SOURCE, "scenarios", "consortium", "raft.yaml"), "-o", str(out),
                 "-q", "--set", "scenario.duration=5s", "--set", "consortium.validators=7",
                 "--set", "consortium.warmup=1s"])
        assert r.returncode == 0, r.stderr
        outs.append(datasets(out))
    (a, attrs_a), (b, attrs_b) = outs
    assert attrs_a == attrs_b and a.keys() == b.keys()
    for k in a:
        x, y = np.asarray(a[k][0]), np.asarray(b[k][0])
        numeric = x.dtype.kind in "fc"
        assert np.array_equal(x, y, equal_nan=numeric), k


def test_byzantine_action_makes_honest_validators_reject_and_stay_safe(tradesim, tmp_path):
    scenario = tmp_path / "byz.yaml"
    scenario.write_text(f"""# a faulty primary that proposes invalid blocks, then a Raft refusal
extends: {os.path.join(SOURCE, 'scenarios', 'consortium', 'pbft.yaml')}
scenario:
  duration: 20s
consortium:
  validators: 4
timeline:
  - {{at: 5s, do: byzantine, target: v0, behaviour: invalid_proposal, for: 10s}}
""")
    out = tmp_path / "byz.h5"
    r = run([tradesim, "run", str(scenario), "-o", str(out), "-q"])
    assert r.returncode == 0, r.stderr
    with h5py.File(out, "r") as f:
        counters = {k: f["counters"][k][()] for k in f["counters"]}
        assert counters["consortium.rejected.bad_pre_prepare_signature"] > 0
        assert counters["consortium.rejected.pre_prepare_digest_does_not_match_its_batch"] > 0
        assert counters["consortium.view_changes"] > 0
        assert counters["consortium.safety_violations"] == 0
        assert f["summary/consortium.confirmed"][()] > 0.9 * f["summary/consortium.submitted"][()]
    raft = tmp_path / "raft.yaml"
    raft.write_text(scenario.read_text().replace("consortium:\n", "consortium:\n  protocol: raft\n"))
    r = run([tradesim, "validate", str(raft)])
    assert r.returncode != 0 and "Raft tolerates crashes only" in r.stderr, r.stderr
