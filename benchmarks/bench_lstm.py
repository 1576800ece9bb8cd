"""Time course_lib's numpy LSTM (forward + backward) against PyTorch's on the CPU in float64.

Shapes: batch N = 32, T = 50 steps, D = 16 inputs, H = 64 hidden units. Both sides run the same
work in the same process: the forward pass over the whole sequence from ``h0`` (and a zero cell
state) and the backward pass of ``sum(h * dh)`` for a fixed upstream gradient ``dh``, producing
the gradients of the input, ``h0`` and all weights. Each figure is the best of ``--repeat`` runs
(the least disturbed by other processes). The ratio is numpy time / PyTorch time.

Run from the repository root::

    .venv/bin/python benchmarks/bench_lstm.py --repeat 20 [--threads 1]

On a busy machine the small per-step matrix products suffer from multi-threaded BLAS (worker
threads wait for cores); ``--threads 1`` gives both libraries one thread.
"""

import argparse
import time

import numpy as np
import torch

from course_lib.rnn import lstm_backward, lstm_forward

N, T, D, H = 32, 50, 16, 64


def best_time(fn, repeat):
    """Best wall-clock time of ``fn()`` in seconds over ``repeat`` runs, after two warm-up runs.

    A short pause first lets the worker threads of the previous benchmark (OpenBLAS's and
    PyTorch's OpenMP threads keep spinning for a moment after their work) go to sleep, so that
    the two libraries do not compete for the cores.
    """
    time.sleep(0.5)
    fn()
    fn()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def blas_threads():
    """numpy's BLAS thread count as threadpoolctl reports it, or "default" without threadpoolctl."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "default"
    counts = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"
              and "numpy" in pool["filepath"]]
    return counts[0] if counts else "default"


def make_numpy_case(rng):
    """Inputs, weights and an upstream gradient for the numpy LSTM."""
    scale = 1.0 / np.sqrt(H)
    x = rng.normal(size=(N, T, D))
    h0 = rng.normal(size=(N, H)) * 0.1
    Wx = rng.uniform(-scale, scale, size=(D, 4 * H))
    Wh = rng.uniform(-scale, scale, size=(H, 4 * H))
    b = rng.uniform(-scale, scale, size=4 * H)
    dh = rng.normal(size=(N, T, H))
    return x, h0, Wx, Wh, b, dh


def make_torch_case(x, h0, Wx, Wh, b, dh):
    """The same case for ``torch.nn.LSTM`` (weights transposed, the bias in ``bias_ih``)."""
    lstm = torch.nn.LSTM(D, H, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.from_numpy(Wx.T))
        lstm.weight_hh_l0.copy_(torch.from_numpy(Wh.T))
        lstm.bias_ih_l0.copy_(torch.from_numpy(b))
        lstm.bias_hh_l0.zero_()
    xt = torch.from_numpy(x).requires_grad_(True)
    h0t = torch.from_numpy(h0[None]).requires_grad_(True)
    c0t = torch.zeros(1, N, H, dtype=torch.float64)
    dht = torch.from_numpy(dh)
    return lstm, xt, h0t, c0t, dht


def main(argv=None):
    """Parse the arguments, time both implementations and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per side (best is kept)")
    parser.add_argument(
        "--threads", type=int, default=None,
        help="threads for both libraries (torch.set_num_threads and, through threadpoolctl, "
             "numpy's BLAS); default: each library's own default",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat: expected a positive number of runs")
    if args.threads is not None:
        if args.threads < 1:
            parser.error("--threads: expected a positive number of threads")
        torch.set_num_threads(args.threads)
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            parser.error("--threads needs threadpoolctl to limit numpy's BLAS threads")
        threadpool_limits(limits=args.threads)

    x, h0, Wx, Wh, b, dh = make_numpy_case(np.random.default_rng(0))
    lstm, xt, h0t, c0t, dht = make_torch_case(x, h0, Wx, Wh, b, dh)

    def run_numpy():
        h, cache = lstm_forward(x, h0, Wx, Wh, b)
        return lstm_backward(dh, cache)

    def run_torch():
        lstm.zero_grad(set_to_none=True)
        xt.grad = None
        h0t.grad = None
        out, _ = lstm(xt, (h0t, c0t))
        out.backward(dht)

    # Same numbers on both sides before timing anything.
    dx, dh0, dWx, dWh, db = run_numpy()
    run_torch()
    max_diff = max(
        float(np.max(np.abs(dx - xt.grad.numpy()))),
        float(np.max(np.abs(dWh - lstm.weight_hh_l0.grad.numpy().T))),
        float(np.max(np.abs(db - lstm.bias_ih_l0.grad.numpy()))),
    )

    t_numpy = best_time(run_numpy, args.repeat)
    t_torch = best_time(run_torch, args.repeat)

    print(f"LSTM forward+backward, float64, N={N} T={T} D={D} H={H}, best of {args.repeat}")
    print(f"torch threads: {torch.get_num_threads()}, numpy BLAS threads: {blas_threads()}, "
          f"numpy {np.__version__}, torch {torch.__version__}")
    print(f"max |gradient difference| numpy vs torch: {max_diff:.2e}")
    print(f"course_lib (numpy): {t_numpy * 1e3:8.3f} ms")
    print(f"torch.nn.LSTM     : {t_torch * 1e3:8.3f} ms")
    print(f"ratio numpy / torch: {t_numpy / t_torch:.2f}")


if __name__ == "__main__":
    main()
