"""Time course_lib's convolution (forward + backward) against PyTorch's on the CPU in float64.

Shapes: a batch of N = 64 MNIST-sized images 1×28×28, F = 8 filters of 5×5, stride 1, no padding
(output 64×8×24×24). Every side does the same work in the same process: the forward pass and the
backward pass for a fixed upstream gradient ``dout``, producing the gradients of the input, the
weights and the bias. PyTorch runs ``torch.nn.functional.conv2d`` and autograd. The vectorized
``conv2d_forward``/``conv2d_backward`` and PyTorch take turns for ``--repeat`` rounds; the naive
loop version takes about a second per run, so it is timed on ``--naive-repeat`` runs only. Each
figure is the best of its runs (the least disturbed by other processes); a ratio is numpy time /
PyTorch time.

Run from the repository root::

    .venv/bin/python benchmarks/bench_conv.py --repeat 50

Both numpy's BLAS and PyTorch use every core by default; on a busy machine a one-core comparison
is steadier: ``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_conv.py``.
"""

import argparse
import time

import numpy as np
import torch

from course_lib.cnn import conv2d_backward, conv2d_backward_naive, conv2d_forward, conv2d_forward_naive

N, C, H, W = 64, 1, 28, 28
F, KH, KW = 8, 5, 5


def best_times(fns, repeat, warm_up=True):
    """Best wall-clock time in seconds of each function over ``repeat`` runs.

    The functions take turns (one run of each per round, after a warm-up round unless
    ``warm_up`` is false), so that a burst of load from other processes hits all sides alike.
    """
    if warm_up:
        for fn in fns:
            fn()
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for j, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            best[j] = min(best[j], time.perf_counter() - start)
    return best


def make_case(rng):
    """Images, filters, biases and an upstream gradient."""
    x = rng.normal(size=(N, C, H, W))
    w = rng.normal(size=(F, C, KH, KW)) / np.sqrt(C * KH * KW)
    b = rng.normal(size=F)
    dout = rng.normal(size=(N, F, H - KH + 1, W - KW + 1))
    return x, w, b, dout


def main(argv=None):
    """Parse the arguments, time the three implementations and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50, help="timed runs of the fast version and PyTorch")
    parser.add_argument("--naive-repeat", type=int, default=2, help="timed runs of the naive loop version")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.naive_repeat < 1:
        parser.error("--repeat and --naive-repeat: expected a positive number of runs")

    x, w, b, dout = make_case(np.random.default_rng(0))
    xt = torch.from_numpy(x).requires_grad_(True)
    wt = torch.from_numpy(w).requires_grad_(True)
    bt = torch.from_numpy(b).requires_grad_(True)
    doutt = torch.from_numpy(dout)

    def run_torch():
        xt.grad = wt.grad = bt.grad = None
        torch.nn.functional.conv2d(xt, wt, bt).backward(doutt)
        return xt.grad, wt.grad, bt.grad

    def run_fast():
        _, cache = conv2d_forward(x, w, b)
        return conv2d_backward(dout, cache)

    def run_naive():
        _, cache = conv2d_forward_naive(x, w, b)
        return conv2d_backward_naive(dout, cache)

    t_torch, t_fast = best_times([run_torch, run_fast], args.repeat)
    (t_naive,) = best_times([run_naive], args.naive_repeat, warm_up=False)  # a second per run

    reference = [g.numpy() for g in run_torch()]
    err_fast = max(np.abs(a - r).max() for a, r in zip(run_fast(), reference))

    print(f"conv2d forward + backward, x {N}x{C}x{H}x{W}, w {F}x{C}x{KH}x{KW}, float64, "
          f"{torch.get_num_threads()} torch thread(s)")
    print(f"  PyTorch (conv2d + autograd)  {t_torch * 1e3:9.2f} ms  (best of {args.repeat})")
    print(f"  course_lib fast              {t_fast * 1e3:9.2f} ms  (best of {args.repeat})"
          f"  ratio {t_fast / t_torch:6.2f}")
    print(f"  course_lib naive             {t_naive * 1e3:9.2f} ms  (best of {args.naive_repeat})"
          f"  ratio {t_naive / t_torch:6.0f}")
    print(f"  max |fast - PyTorch| over dx, dw, db: {err_fast:.1e}")


if __name__ == "__main__":
    main()
