"""Time one training epoch of the digits MLP of the learning tests.

The configuration is that of ``tests/learning/test_learning.py::test_mlp_learns_digits``: the
1797 8×8 digits, a stratified split with 25 % held out for testing (1348 training images), an
``MLP`` 64 → 100 ReLU → 10 with He initialization, ``Momentum(lr=0.05, momentum=0.9)`` and
mini-batches of 32 (43 updates per epoch). One epoch is one call of ``course_lib.optim.train``
with ``num_epochs=1``: the shuffled mini-batches, each a forward pass, backpropagation and an
update, then the loss and accuracy of the whole training set that ``train`` records per epoch.
The model keeps training from run to run, as it would in a longer run. The figure is the best of
``--repeat`` epochs (the least disturbed by other processes).

Run from the repository root::

    .venv/bin/python benchmarks/bench_mlp_epoch.py --repeat 20 [--threads 1]
"""

import argparse
import time

import numpy as np

from course_lib.datasets import load_digits, train_val_test_split
from course_lib.layers import MLP
from course_lib.optim import Momentum, train

# The configuration of the learning test (tests/learning/test_learning.py).
SEED = 0
TEST_FRACTION = 0.25
LAYER_SIZES = [64, 100, 10]
ACTIVATION = "relu"
LR = 0.05
MOMENTUM = 0.9
BATCH_SIZE = 32


def make_case():
    """The training set of the learning test's split, a fresh MLP, its optimizer and an rng."""
    X, y = load_digits()
    (X_train, y_train), _, _ = train_val_test_split(
        X, y, np.random.default_rng(SEED), val_fraction=0.0, test_fraction=TEST_FRACTION
    )
    rng = np.random.default_rng(SEED + 1)
    model = MLP(LAYER_SIZES, ACTIVATION, rng)
    optimizer = Momentum(lr=LR, momentum=MOMENTUM)
    return model, optimizer, X_train, y_train, rng


def main(argv=None):
    """Parse the arguments, time ``--repeat`` epochs and print the best."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="timed epochs (best is kept)")
    parser.add_argument(
        "--threads", type=int, default=None,
        help="threads of numpy's BLAS (through threadpoolctl); default: numpy's own default",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat: expected a positive number of runs")
    if args.threads is not None:
        if args.threads < 1:
            parser.error("--threads: expected a positive number of threads")
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            parser.error("--threads needs threadpoolctl to limit numpy's BLAS threads")
        threadpool_limits(limits=args.threads, user_api="blas")

    model, optimizer, X_train, y_train, rng = make_case()

    def one_epoch():
        return train(model, X_train, y_train, optimizer, batch_size=BATCH_SIZE, num_epochs=1,
                     rng=rng)

    one_epoch()  # warm-up
    best = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        history = one_epoch()
        best = min(best, time.perf_counter() - start)

    n_train = X_train.shape[0]
    n_batches = -(-n_train // BATCH_SIZE)
    sizes = "-".join(str(d) for d in LAYER_SIZES)
    threads = "default" if args.threads is None else args.threads
    print(f"MLP {sizes} {ACTIVATION}, digits, {n_train} training images, batches of {BATCH_SIZE} "
          f"({n_batches} updates), momentum, float64, numpy BLAS threads: {threads}")
    print(f"  training accuracy after {args.repeat + 1} epochs: {history.accuracy[-1]:.2%}")
    print(f"  one epoch: {best * 1e3:8.2f} ms  (best of {args.repeat}; "
          f"{best / n_batches * 1e6:.0f} us per update)")


if __name__ == "__main__":
    main()
