"""Command line: python -m tradesim_analysis report|compare ... (called by `tradesim report`)."""
import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")

from . import compare, report, sweep  # noqa: E402  (the backend must be chosen first)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="tradesim report", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("report", help="plots and index.html for a run file or a sweep directory")
    r.add_argument("run", help="run file (.h5) or sweep directory (with manifest.csv)")
    r.add_argument("-o", "--output", help="output directory")
    c = sub.add_parser("compare", help="overlay the time series of several runs")
    c.add_argument("runs", nargs="+")
    c.add_argument("-o", "--output", default="compare")
    args = parser.parse_args(argv)
    try:
        if args.command == "report":
            if os.path.isdir(args.run):
                out = args.output or os.path.join(args.run, "report")
                index = sweep.sweep_report(args.run, out)
            else:
                out = args.output or os.path.splitext(args.run)[0] + "-report"
                index = report.report(args.run, out)
        else:
            index = compare.compare(args.runs, args.output)
    except (OSError, ValueError, KeyError) as e:
        print(f"tradesim report: {e}", file=sys.stderr)
        return 4 if isinstance(e, OSError) else 1
    print(f"report written to {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
