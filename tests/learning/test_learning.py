"""Learning tests: the reference models learn their tasks, not only compute the right arithmetic.

The unit tests of ``tests/course_lib`` check every formula against PyTorch and finite
differences. These tests check the claims the course makes about whole models, by training them
on real data with a fixed seed and asserting a threshold on held-out data:

- an ``MLP`` trained by mini-batch gradient descent with momentum [F1], [F4] reaches 97 % test
  accuracy on the 8×8 digits, split into training and test sets by stratified sampling [G6];
- a small ``ConvNet`` (conv, ReLU, max pool, dense) [H1], [H3], [H4], [H8], trained with Adam [F6],
  beats that MLP on the same split: shared local weights suit images;
- an LSTM [I4] solves the first-symbol recall task of ``make_sequence_task``, while a vanilla RNN
  [I1] of the same size, trained the same way (backpropagation through time [I2], gradient-norm
  clipping [I3]), stays near chance: its memory of the first step is washed out;
- an MLP separates the playground's ``circle`` and ``xor`` data sets [J1], [A6].

Each test takes a few seconds; all are marked ``slow`` (``make test-fast`` skips them). The
thresholds are the claims; the seeds are fixed so that a run is reproducible, not chosen to make
a weak claim pass.
"""
from contextlib import nullcontext

import numpy as np
import pytest

from course_lib.cnn import ConvNet
from course_lib.datasets import (
    iterate_minibatches,
    load_digits,
    make_playground,
    make_sequence_task,
    train_val_test_split,
)
from course_lib.layers import MLP
from course_lib.optim import Adam, Momentum, train
from course_lib.rnn import SequenceClassifier, clip_gradients

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
    threadpool_limits = None

pytestmark = pytest.mark.slow

SEED = 0

# The digits MLP: benchmarks/bench_mlp_epoch.py times one epoch of this configuration.
DIGITS_TEST_FRACTION = 0.25
MLP_LAYER_SIZES = [64, 100, 10]
MLP_ACTIVATION = "relu"
MLP_LR = 0.05
MLP_MOMENTUM = 0.9
MLP_BATCH_SIZE = 32
MLP_EPOCHS = 30


@pytest.fixture(scope="module", autouse=True)
def one_blas_thread():
    """Run numpy's BLAS on one thread while these tests train.

    The models multiply small matrices thousands of times. On a busy machine a second BLAS
    thread mostly waits for a free core, and a training run that takes 1.5 s on one thread can
    take ten times longer. One thread gives the same numbers and steady run times.
    """
    limit = nullcontext() if threadpool_limits is None else threadpool_limits(1, user_api="blas")
    with limit:
        yield


def accuracy(model, X, y):
    """Fraction of the rows of ``X`` that ``model`` labels correctly."""
    return float(np.mean(model.predict(X) == y))


# ----------------------------------------------------------------------------------------------
# Digits: MLP and CNN on the same split
# ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def digits_split():
    """Indices of a stratified 75 % / 25 % training / test split of the digits [G6], and labels."""
    _, y = load_digits()
    (train_idx, y_train), _, (test_idx, y_test) = train_val_test_split(
        np.arange(y.size), y, np.random.default_rng(SEED),
        val_fraction=0.0, test_fraction=DIGITS_TEST_FRACTION,
    )
    return train_idx, y_train, test_idx, y_test


@pytest.fixture(scope="module")
def mlp_digits_accuracy(digits_split):
    """Test accuracy of the digits MLP: 64 → 100 ReLU → 10, momentum SGD, 30 epochs [F1], [F4]."""
    train_idx, y_train, test_idx, y_test = digits_split
    X, _ = load_digits()
    rng = np.random.default_rng(SEED + 1)
    model = MLP(MLP_LAYER_SIZES, MLP_ACTIVATION, rng)
    history = train(
        model, X[train_idx], y_train, Momentum(lr=MLP_LR, momentum=MLP_MOMENTUM),
        batch_size=MLP_BATCH_SIZE, num_epochs=MLP_EPOCHS, rng=rng,
    )
    assert history.loss[-1] < history.loss[0], (
        f"the training loss did not fall: {history.loss[0]:.3f} after the first epoch, "
        f"{history.loss[-1]:.3f} after the last"
    )
    return accuracy(model, X[test_idx], y_test)


def test_mlp_learns_digits(mlp_digits_accuracy):
    assert mlp_digits_accuracy >= 0.97, (
        f"an MLP 64-100-10 trained with momentum for {MLP_EPOCHS} epochs should reach 97 % test "
        f"accuracy on the digits, got {mlp_digits_accuracy:.2%}"
    )


def test_cnn_beats_mlp_on_digits(digits_split, mlp_digits_accuracy):
    train_idx, y_train, test_idx, y_test = digits_split
    X, _ = load_digits(as_images=True)
    rng = np.random.default_rng(SEED + 2)
    # 32 filters of 3×3 → 6×6 maps → 3×3 after pooling → 288 features → 10 classes.
    model = ConvNet((1, 8, 8), num_filters=32, kernel_size=3, num_classes=10, rng=rng)
    train(model, X[train_idx], y_train, Adam(lr=1e-2), batch_size=32, num_epochs=15, rng=rng)
    cnn_accuracy = accuracy(model, X[test_idx], y_test)
    assert cnn_accuracy > mlp_digits_accuracy, (
        f"the ConvNet should beat the MLP on the same digits split: ConvNet {cnn_accuracy:.2%}, "
        f"MLP {mlp_digits_accuracy:.2%}"
    )


# ----------------------------------------------------------------------------------------------
# Long memory: LSTM against vanilla RNN [I1]-[I4]
# ----------------------------------------------------------------------------------------------
SEQUENCE_LENGTH = 20
HIDDEN_SIZE = 16
TRAINING_STEPS = 400


def train_sequence_classifier(cell, rng):
    """Train a ``SequenceClassifier`` on first-symbol recall; return its test accuracy.

    Adam (learning rate 1e-2) on batches of 64 of 1024 sequences of length 20 with noise 5,
    the gradient's global norm clipped at 1 [I3] before every step, for 400 steps; tested on
    512 fresh sequences. ``optim.train`` has no clipping hook, hence the explicit loop.
    """
    X_train, y_train = make_sequence_task(1024, SEQUENCE_LENGTH, rng)
    X_test, y_test = make_sequence_task(512, SEQUENCE_LENGTH, rng)
    model = SequenceClassifier(X_train.shape[2], HIDDEN_SIZE, 2, cell=cell, rng=rng)
    optimizer = Adam(lr=1e-2)
    step = 0
    while step < TRAINING_STEPS:
        for X_batch, y_batch in iterate_minibatches(X_train, y_train, 64, rng):
            _, grads = model.loss_and_grads(X_batch, y_batch)
            optimizer.step(model.params, clip_gradients(grads, max_norm=1.0))
            step += 1
            if step == TRAINING_STEPS:
                break
    return accuracy(model, X_test, y_test)


def test_lstm_remembers_first_symbol():
    test_accuracy = train_sequence_classifier("lstm", np.random.default_rng(SEED + 3))
    assert test_accuracy > 0.90, (
        f"an LSTM with {HIDDEN_SIZE} units should recall the first of {SEQUENCE_LENGTH} steps "
        f"after {TRAINING_STEPS} clipped Adam steps (> 90 % test accuracy), got {test_accuracy:.2%}"
    )


def test_vanilla_rnn_forgets_first_symbol():
    test_accuracy = train_sequence_classifier("rnn", np.random.default_rng(SEED + 3))
    assert test_accuracy < 0.65, (
        f"a vanilla RNN with {HIDDEN_SIZE} units should stay near chance (50 %) on recall over "
        f"{SEQUENCE_LENGTH} noisy steps after {TRAINING_STEPS} steps, got {test_accuracy:.2%}; "
        "if it learns the task, the task no longer shows the vanishing gradient"
    )


# ----------------------------------------------------------------------------------------------
# Playground [J1]
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["circle", "xor"])
def test_mlp_learns_playground(name):
    rng = np.random.default_rng(SEED + 4)
    X, y = make_playground(name, 400, 0.0, rng)
    # The playground's default: half of the points for training, half for testing.
    (X_train, y_train), _, (X_test, y_test) = train_val_test_split(
        X, y, rng, val_fraction=0.0, test_fraction=0.5
    )
    model = MLP([2, 8, 8, 2], "tanh", rng, init="xavier")
    train(model, X_train, y_train, Adam(lr=1e-2), batch_size=20, num_epochs=60, rng=rng)
    test_accuracy = accuracy(model, X_test, y_test)
    assert test_accuracy >= 0.95, (
        f"an MLP 2-8-8-2 should separate the noise-free {name!r} data (>= 95 % test accuracy), "
        f"got {test_accuracy:.2%}"
    )
