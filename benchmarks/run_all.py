"""Run every speed benchmark of course_lib and print one summary against PyTorch.

Each benchmark runs in its own process with this interpreter, so that the thread settings of one
(``torch.set_num_threads``, threadpoolctl's BLAS limit) cannot leak into the next:

- ``bench_conv.py``: the vectorized and the naive ``conv2d`` forward + backward against
  ``torch.nn.functional.conv2d`` with autograd;
- ``bench_lstm.py`` twice: with each library's default number of threads, and with one thread
  for both (``--threads 1``), which is steadier on a busy machine;
- ``bench_mlp_epoch.py``: one training epoch of the digits MLP of the learning tests (no PyTorch
  counterpart);
- ``bench_widgets.py``: one interaction with each explorer of ``course_lib.widgets`` per kind of
  control (what the control triggers, e.g. a training step of the playground, and its one
  redraw), median and 90th percentile (no PyTorch counterpart; target: every median at most
  50 ms, reported only).

Each benchmark's own report is printed as it finishes, then a summary of all figures with the
ratios ``course_lib time / PyTorch time`` and whether the target holds: the fast convolution and
the LSTM each within 2x of PyTorch (every measured ratio at most 2). A missed target is reported,
not an error; the exit status is 1 only if a benchmark could not run or printed no figures (or,
with ``--check``, if the target is missed).

Run from the repository root (``make benchmark``)::

    .venv/bin/python benchmarks/run_all.py [--quick] [--check]
"""

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
TARGET_RATIO = 2.0
WIDGET_TARGET_MS = 50.0
TIMEOUT_SECONDS = 900

# (label, script, arguments of a full run, arguments of a quick run)
RUNS = [
    ("conv", "bench_conv.py", ["--repeat", "50", "--naive-repeat", "2"],
     ["--repeat", "10", "--naive-repeat", "1"]),
    ("lstm", "bench_lstm.py", ["--repeat", "20"], ["--repeat", "5"]),
    ("lstm-1", "bench_lstm.py", ["--repeat", "20", "--threads", "1"],
     ["--repeat", "5", "--threads", "1"]),
    ("mlp", "bench_mlp_epoch.py", ["--repeat", "20"], ["--repeat", "5"]),
    ("widgets", "bench_widgets.py", ["--repeat", "30"], ["--repeat", "10"]),
]

# Figures read from each benchmark's output: name -> regular expression with one number group.
NUMBER = r"([0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?)"
PATTERNS = {
    "conv": {
        "torch_ms": rf"PyTorch \(conv2d \+ autograd\)\s+{NUMBER} ms",
        "fast_ms": rf"course_lib fast\s+{NUMBER} ms",
        "naive_ms": rf"course_lib naive\s+{NUMBER} ms",
        "threads": r"float64, (\d+) torch thread",
    },
    "lstm": {
        "numpy_ms": rf"course_lib \(numpy\):\s+{NUMBER} ms",
        "torch_ms": rf"torch\.nn\.LSTM\s*:\s+{NUMBER} ms",
        "threads": r"torch threads: (\d+)",
    },
    "mlp": {
        "epoch_ms": rf"one epoch:\s+{NUMBER} ms",
        "update_us": rf"\(best of \d+; {NUMBER} us per update\)",
    },
    "widgets": {
        "median_ms": rf"slowest median update: {NUMBER} ms",
        "p90_ms": rf"slowest median update: .*\(.*; p90 {NUMBER} ms\)",
    },
}
PATTERNS["lstm-1"] = PATTERNS["lstm"]


def run_benchmark(script, args):
    """Run ``script`` with this interpreter from the repository root; return (ok, output)."""
    env = dict(os.environ)
    # course_lib is installed in editable mode; the path also lets a plain checkout import it.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    command = [sys.executable, str(BENCH_DIR / script), *args]
    try:
        done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                              timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        return False, f"{script} did not finish within {TIMEOUT_SECONDS} s"
    except OSError as error:
        return False, f"{script} could not be started: {error}"
    output = done.stdout + (f"\n[stderr]\n{done.stderr}" if done.returncode else "")
    return done.returncode == 0, output.rstrip()


def parse_figures(label, output):
    """The figures of ``PATTERNS[label]`` found in ``output`` (missing ones are left out)."""
    figures = {}
    for name, pattern in PATTERNS[label].items():
        match = re.search(pattern, output)
        if match:
            figures[name] = float(match.group(1))
    return figures


def ratio_line(name, ours_ms, torch_ms, threads):
    """One summary row: both times, their ratio and whether it is within the target."""
    ratio = ours_ms / torch_ms
    verdict = "within 2x" if ratio <= TARGET_RATIO else "SLOWER than 2x"
    return ratio, (f"  {name:<34}{ours_ms:9.2f} ms   PyTorch {torch_ms:9.2f} ms   "
                   f"ratio {ratio:6.2f}   {verdict}   ({threads} thread(s))")


def summarize(figures):
    """Print the summary table; return (lines, target_ratios) for the target verdict."""
    lines = ["", "=" * 100, "Summary: course_lib (numpy, float64) against PyTorch (CPU, float64)",
             "=" * 100]
    target_ratios = {}
    conv = figures.get("conv", {})
    if {"fast_ms", "torch_ms"} <= conv.keys():
        threads = int(conv.get("threads", 0)) or "?"
        ratio, line = ratio_line("conv2d fwd+bwd, fast (vectorized)", conv["fast_ms"],
                                 conv["torch_ms"], threads)
        target_ratios["conv2d fast"] = ratio
        lines.append(line)
        if "naive_ms" in conv:
            lines.append(f"  {'conv2d fwd+bwd, naive loops':<34}{conv['naive_ms']:9.2f} ms   "
                         f"ratio {conv['naive_ms'] / conv['torch_ms']:6.0f}   (teaching version, "
                         "no target)")
    else:
        lines.append("  conv2d: no figures (see the output above)")
    for label, name in (("lstm", "LSTM fwd+bwd, default threads"),
                        ("lstm-1", "LSTM fwd+bwd, one thread each")):
        lstm = figures.get(label, {})
        if {"numpy_ms", "torch_ms"} <= lstm.keys():
            threads = int(lstm.get("threads", 0)) or "?"
            ratio, line = ratio_line(name, lstm["numpy_ms"], lstm["torch_ms"], threads)
            target_ratios[name] = ratio
            lines.append(line)
        else:
            lines.append(f"  {name}: no figures (see the output above)")
    mlp = figures.get("mlp", {})
    if "epoch_ms" in mlp:
        per_update = f" ({mlp['update_us']:.0f} us per update)" if "update_us" in mlp else ""
        lines.append(f"  {'digits MLP, one training epoch':<34}{mlp['epoch_ms']:9.2f} ms"
                     f"{per_update}   (no PyTorch counterpart)")
    else:
        lines.append("  digits MLP epoch: no figures (see the output above)")
    widget = figures.get("widgets", {})
    if "median_ms" in widget:
        verdict = "within" if widget["median_ms"] <= WIDGET_TARGET_MS else "ABOVE"
        p90 = f", p90 {widget['p90_ms']:.1f} ms" if "p90_ms" in widget else ""
        lines.append(f"  {'explorer redraw, slowest median':<34}{widget['median_ms']:9.2f} ms"
                     f"{p90}   {verdict} the {WIDGET_TARGET_MS:g} ms target")
    else:
        lines.append("  explorer redraws: no figures (see the output above)")
    return lines, target_ratios


def main(argv=None):
    """Run the benchmarks, print their reports and the summary; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer timed runs per benchmark (rougher figures, about half the time)")
    parser.add_argument("--check", action="store_true",
                        help="exit with status 1 when the 2x target is missed")
    args = parser.parse_args(argv)

    figures = {}
    failed = []
    for label, script, full_args, quick_args in RUNS:
        run_args = quick_args if args.quick else full_args
        print(f"--- {script} {' '.join(run_args)}", flush=True)
        ok, output = run_benchmark(script, run_args)
        print(output, flush=True)
        found = parse_figures(label, output) if ok else {}
        if not ok or not found:
            failed.append(" ".join([script, *run_args]))
        figures[label] = found

    lines, target_ratios = summarize(figures)
    needed = {"conv2d fast", "LSTM fwd+bwd, default threads", "LSTM fwd+bwd, one thread each"}
    if needed <= target_ratios.keys():
        met = all(r <= TARGET_RATIO for r in target_ratios.values())
        lines.append(f"Target (fast conv2d and LSTM within {TARGET_RATIO:g}x of PyTorch): "
                     + ("MET" if met else "NOT MET"))
    else:
        met = False
        lines.append("Target: not decided, some figures are missing")
    if failed:
        lines.append("Failed: " + "; ".join(failed))
    print("\n".join(lines), flush=True)
    if failed or (args.check and not met):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
