"""The grading helpers that test cells call: what they accept, reject, and say."""
import math
import re

import numpy as np
import pytest

from course_lib.grading import Mistake, check_function, check_value, engine_check, require


def stable_sigmoid(x):
    x = np.asarray(x, dtype=float)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


X = np.array([-2.0, 0.0, 3.0])


def failure(func, args=(X,), expected=stable_sigmoid, **kwargs) -> str:
    with pytest.raises(AssertionError) as info:
        check_function(func, args, expected, **kwargs)
    return str(info.value)


def test_a_correct_function_passes_silently():
    assert check_function(stable_sigmoid, (X,), stable_sigmoid) is None


def test_expected_may_be_given_as_values():
    check_function(lambda x: 2 * x, (X,), [-4.0, 0.0, 6.0])
    msg = failure(lambda x: 2 * x, expected=[-4.0, 0.0, 7.0])
    assert "worst error 1 at index (2,)" in msg


def test_wrong_values_message_names_function_input_expected_received_and_error():
    msg = failure(lambda x: stable_sigmoid(x) + 1e-3, name="sigmoid", arg_names=["x"])
    assert msg.startswith("sigmoid(x=[-2.,  0.,  3.]) is wrong:"), msg
    assert "expected [0.1192, 0.5   , 0.9526]" in msg
    assert "received [0.1202, 0.501 , 0.9536]" in msg
    # all errors are 0.001; the worst against its tolerance (1e-9 + 1e-6 * 0.1192) is the first
    assert "worst error 0.001 at index (0,) (tolerance 1.2e-07)" in msg, msg


def test_the_shape_is_reported_first():
    msg = failure(lambda x: stable_sigmoid(x)[:2], name="sigmoid")
    assert "shape (2,), expected shape (3,)" in msg


def test_a_recognised_mistake_adds_its_hint_and_others_do_not():
    mistakes = [Mistake("sign slip", "use e^(-x)", returns=lambda x: 1 / (1 + np.exp(x))),
                Mistake("squared", "not squared", returns=lambda x: stable_sigmoid(x) ** 2)]
    msg = failure(lambda x: 1 / (1 + np.exp(x)), mistakes=mistakes)
    assert "Hint (sign slip): use e^(-x)" in msg
    assert "squared" not in msg


def test_an_unrecognised_mistake_gets_no_hint():
    mistakes = [Mistake("sign slip", "use e^(-x)", returns=lambda x: 1 / (1 + np.exp(x)))]
    assert "Hint" not in failure(lambda x: x * 0.0, mistakes=mistakes)


def test_exceptions_are_reported_with_the_matching_hint():
    mistakes = [Mistake("math module", "use np.exp", raises=TypeError),
                Mistake("other", "not this one", raises=KeyError)]
    msg = failure(lambda x: 1 / (1 + math.exp(-x)), mistakes=mistakes, name="sigmoid")
    assert "raised TypeError" in msg and "Hint (math module)" in msg and "other" not in msg


def test_not_implemented_yet_is_said_plainly():
    def sigmoid(x):
        raise NotImplementedError()
    assert "sigmoid is not implemented yet (it raised NotImplementedError)." in failure(sigmoid)


def test_not_implemented_yet_names_the_method_that_is_missing():
    class Value:
        def __init__(self, data):
            self.data, self.grad = float(data), 0.0

        def tanh(self):
            raise NotImplementedError()

    message = failure(engine_check(Value), (lambda a: a.tanh(), (0.5,)), (0.4621, [0.7864]),
                      name="Value")
    assert "Value is not implemented yet (it raised NotImplementedError in " in message
    assert "Value.tanh)." in message, message


def test_a_floating_point_warning_fails_the_check_and_gets_the_stability_hint():
    mistakes = [Mistake("overflow", "use e^(-|x|)", warns=True)]
    big = np.array([-1000.0, 1000.0])
    msg = failure(lambda x: 1 / (1 + np.exp(-x)), args=(big,), mistakes=mistakes)
    assert "overflow encountered in exp" in msg and "Hint (overflow)" in msg


def test_underflow_alone_is_not_a_failure():
    check_function(lambda x: np.exp(x), (np.array([-1000.0]),), [0.0])


def test_nan_where_finite_values_are_expected_is_explained():
    msg = failure(lambda x: np.full(3, np.nan))
    assert "3 value(s) are inf or NaN where finite values were expected" in msg


def test_changing_the_callers_array_is_caught():
    def relu(x):
        x[x < 0] = 0
        return x
    mistakes = [Mistake("in place", "work on a copy", mutates=True)]
    msg = failure(relu, expected=lambda x: np.maximum(x, 0), mistakes=mistakes, arg_names=["x"])
    assert "changed its input x in place" in msg and "Hint (in place)" in msg


def test_the_callers_array_is_never_touched_even_by_a_mutating_function():
    x = X.copy()
    with pytest.raises(AssertionError):
        check_function(lambda a: a.__setitem__(0, 99.0) or a, (x,), lambda a: a)
    assert np.array_equal(x, X)


def test_changing_an_array_inside_a_dict_or_a_tuple_is_caught():
    params = {"W": np.ones((2, 2)), "b": np.zeros(2)}

    def step_in_place(params):
        params["W"] -= 0.1
        return 0.0

    def step_by_assignment(params):
        params["b"] = params["b"] - 0.1
        return 0.0

    def adds_a_key(params):
        params["extra"] = np.zeros(1)
        return 0.0

    for func in (step_in_place, step_by_assignment, adds_a_key):
        msg = failure(func, args=(params,), expected=0.0, arg_names=["params"])
        assert "changed its input params in place" in msg, msg
    assert np.array_equal(params["W"], np.ones((2, 2))) and list(params) == ["W", "b"]

    def cache_in_place(dout, cache):
        x, W = cache
        x *= 2.0
        return dout
    msg = failure(cache_in_place, args=(X, (X.copy(), np.ones(2))), expected=lambda d, c: d,
                  arg_names=["dout", "cache"])
    assert "changed its input cache in place" in msg, msg
    check_function(lambda params: float(np.sum(params["W"])), (params,), 4.0)
    check_function(lambda names: len(names), (["x1", "x2"],), 2.0)


def test_require_passes_silently_when_the_earlier_function_is_right():
    assert require(lambda x: 2 * x, (X,), lambda x: 2 * x, part="Part 1") is None


def test_require_points_back_to_the_earlier_function_without_hints():
    def forgot_the_bias(x, W, b):
        return x @ W, (x, W, b)

    x, W, b = np.array([[1.0, 2.0]]), np.eye(2), np.array([1.0, -1.0])
    mistakes = [Mistake("bias forgotten", "add b", returns=forgot_the_bias)]
    with pytest.raises(AssertionError) as caught:
        require(forgot_the_bias, (x, W, b), np.array([[2.0, 1.0]]), part="Part 1", outputs=[0],
                mistakes=mistakes, arg_names=["x", "W", "b"])
    msg = str(caught.value)
    assert msg.startswith("this test uses your `forgot_the_bias`, which does not pass its own "
                          "test yet (Part 1): fix it first."), msg
    assert "expected [[2., 1.]]" in msg and "received [[1., 2.]]" in msg, msg
    assert "Hint" not in msg, msg


def test_require_reports_an_unimplemented_earlier_function():
    def affine_forward(x):
        raise NotImplementedError
    with pytest.raises(AssertionError) as caught:
        require(affine_forward, (X,), X, part="Part 1")
    assert "your `affine_forward`" in str(caught.value)
    assert "not implemented yet" in str(caught.value)


class PretendsToBeRight:
    """Compares equal to anything: a naive `==` or `np.allclose(obj, expected)` check passes."""

    def __eq__(self, other):
        return True

    def __array__(self, dtype=None, copy=None):
        return np.array(object(), dtype=object)


@pytest.mark.parametrize("impostor", [PretendsToBeRight(), "0.5", [object()],
                                      np.array([None, None, None]), {"a": 1}])
def test_objects_that_only_pretend_to_be_numbers_fail(impostor):
    msg = failure(lambda x: impostor)
    assert "not an array of numbers" in msg


def test_a_missing_return_is_named():
    assert "did you forget `return`" in failure(lambda x: None)


def test_booleans_count_as_zero_and_one():
    check_function(lambda x: x > 0, (X,), [0.0, 0.0, 1.0])


def test_several_outputs_are_checked_one_by_one_with_part_specific_hints():
    def reference(z):
        return float(np.sum(z)), 2 * z

    mistakes = [Mistake("forgot factor", "the gradient is 2z",
                        returns=lambda z: (float(np.sum(z)), z))]
    msg = failure(lambda z: (float(np.sum(z)), z), args=(X,), expected=reference,
                  output_names=["loss", "grad"], mistakes=mistakes)
    assert "grad: expected" in msg and "loss:" not in msg and "Hint (forgot factor)" in msg
    msg = failure(lambda z: float(np.sum(z)), args=(X,), expected=reference,
                  output_names=["loss", "grad"])
    assert "should return a tuple of 2 values (loss, grad)" in msg


def test_check_value_for_worked_examples():
    check_value("softmax([1, 2, 3])", [0.0900, 0.2447, 0.6652], [0.0900306, 0.2447285, 0.6652410],
                atol=5e-5, rtol=0)
    with pytest.raises(AssertionError, match=r"softmax\(\[1, 2, 3\]\) is wrong"):
        check_value("softmax([1, 2, 3])", [0.002, 0.02, 0.978], [0.0900, 0.2447, 0.6652],
                    atol=5e-5, rtol=0)


# --- RULES: each sentence is enforced by the checks, and no more than it says ---------------

from course_lib.grading import RULES  # noqa: E402
import warnings  # noqa: E402


def rule(words: str) -> str:
    found = [r for r in RULES if words in r]
    assert len(found) == 1, f"no single rule says {words!r}: {RULES}"
    return found[0]


def test_rules_are_short_plain_sentences():
    assert len(RULES) == len(set(RULES)) >= 6
    for sentence in RULES:
        assert sentence.endswith(".") and "\n" not in sentence and len(sentence) < 200, sentence


def test_rule_inputs_must_not_change_in_place():
    rule("must not change an input array in place")

    def mutates(x):
        x += 1.0
        return x
    assert "changed its input" in failure(mutates, expected=lambda x: x + 1.0)
    check_function(lambda x: x + 1.0, (X,), lambda x: x + 1.0)


def test_rule_only_runtime_warnings_fail():
    rule("A RuntimeWarning during the call")

    def warns(category):
        def f(x):
            warnings.warn("a warning", category)
            return stable_sigmoid(x)
        return f
    assert "emitted a warning" in failure(warns(RuntimeWarning))
    assert "divide by zero" in failure(lambda x: np.log(x * 0.0) * 0 + stable_sigmoid(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for category in (DeprecationWarning, UserWarning, FutureWarning, PendingDeprecationWarning):
            check_function(warns(category), (X,), stable_sigmoid)


def test_rule_underflow_is_not_a_failure():
    rule("Underflow to zero is not a failure")
    check_function(lambda x: np.exp(x) * np.exp(x), (np.array([-600.0]),), [0.0])


def test_rule_several_outputs_as_tuple_or_list_of_the_same_length():
    rule("a list of the same length is accepted too")

    def reference(z):
        return float(np.sum(z)), 2 * z
    check_function(lambda z: (float(np.sum(z)), 2 * z), (X,), reference)
    check_function(lambda z: [float(np.sum(z)), 2 * z], (X,), reference)
    assert "should return a tuple of 2 values" in failure(
        lambda z: [float(np.sum(z))], args=(X,), expected=reference)
    assert "should return a tuple of 2 values" in failure(
        lambda z: np.array([1.0, 2.0]), args=(X,), expected=reference)


def test_rule_numbers_of_any_numeric_dtype_but_not_strings():
    rule("numbers of any numeric dtype")
    check_function(lambda x: (x > 0), (X,), [0.0, 0.0, 1.0])
    check_function(lambda x: np.array([0, 0, 1], dtype=np.int8), (X,), [0.0, 0.0, 1.0])
    check_function(lambda x: np.array([0, 0, 1], dtype=np.float32), (X,), [0.0, 0.0, 1.0])
    assert "not an array of numbers" in failure(lambda x: np.array(["0", "0", "1"]),
                                                expected=[0.0, 0.0, 1.0])


def test_rule_exactly_the_expected_shape():
    rule("exactly the expected shape")
    assert "shape (1,), expected shape ()" in failure(lambda x: np.array([1.0]), expected=1.0)
    check_function(lambda x: np.float64(1.0), (X,), 1.0)
    check_function(lambda x: 1.0, (X,), np.array(1.0))


def test_rule_tolerance_and_non_finite_values():
    rule("|received - expected| <= atol + rtol * |expected|")
    check_function(lambda x: np.array([100.0 + 0.9e-4]), (X,), [100.0], rtol=1e-6, atol=0)
    assert "worst error" in failure(lambda x: np.array([100.0 + 2e-4]), expected=[100.0],
                                    rtol=1e-6, atol=0)
    assert "inf or NaN" in failure(lambda x: np.array([np.inf]), expected=[1e300], rtol=0.5)


def test_rule_exceptions_and_none_fail():
    rule("Raising an exception or returning None fails")
    assert "raised ZeroDivisionError" in failure(lambda x: 1 / 0)
    assert "did you forget `return`" in failure(lambda x: None)


# --- hints: stability first, and never a value match on inf/NaN ---------------------------

def test_inf_never_matches_a_wrong_implementation_that_also_returns_inf():
    sum_mistake = Mistake("sum", "use the mean", returns=lambda x: np.array([np.inf]))
    unstable = Mistake("unstable", "log of zero", warns=True)
    msg = failure(lambda x: np.log(x[:1] * 0.0) * -1.0, expected=[1.0],
                  mistakes=[sum_mistake, unstable])
    assert "Hint (unstable)" in msg and "Hint (sum)" not in msg, msg


def test_a_warning_shows_stability_hints_not_value_hints():
    value = Mistake("value", "a value slip", returns=lambda x: stable_sigmoid(x) + 1)
    unstable = Mistake("unstable", "overflow", warns=True)

    def f(x):
        np.exp(np.array([1000.0]))
        return stable_sigmoid(x) + 1
    msg = failure(f, mistakes=[value, unstable])
    assert "Hint (unstable)" in msg and "Hint (value)" not in msg, msg


def test_a_specific_stability_mistake_comes_before_the_general_one():
    big = np.array([-1000.0, 0.0, 1000.0])
    specific = Mistake("quotient", "e^x/(1+e^x) is inf/inf",
                       returns=lambda x: np.exp(x) / (1 + np.exp(x)), warns=True)
    general = Mistake("overflow", "use e^-|x|", warns=True)
    msg = failure(lambda x: np.exp(x) / (1 + np.exp(x)), args=(big,),
                  mistakes=[specific, general])
    assert "Hint (quotient)" in msg and "Hint (overflow)" not in msg, msg
    msg = failure(lambda x: 1 / (1 + np.exp(-x)), args=(big,), mistakes=[specific, general])
    assert "Hint (overflow)" in msg and "Hint (quotient)" not in msg, msg


def test_an_ambiguous_match_gives_no_hint():
    a = Mistake("a", "first", returns=lambda x: x * 0.0)
    b = Mistake("b", "second", returns=lambda x: x * 0.0 + 1e-15)
    assert "Hint" not in failure(lambda x: x * 0.0, mistakes=[a, b])


def test_engine_check_runs_an_expression_on_an_engine_and_grades_it_like_a_function():
    from course_lib.autodiff import Value
    from course_lib.grading import engine_check

    expression = lambda a, b: a * b + a  # noqa: E731
    data, grads = engine_check(Value)(expression, (2.0, -3.0))
    # worked by hand: (2)(-3) + 2 = -4; d/da = b + 1 = -2; d/db = a = 2
    assert data == pytest.approx(-4.0) and grads == pytest.approx([-2.0, 2.0]), (data, grads)
    assert engine_check(Value).__name__ == "Value"

    class Overwrites(Value):
        """A wrong engine: multiply sets the gradients instead of adding to them."""

        def __mul__(self, other):
            other = other if isinstance(other, Value) else Overwrites(other)
            out = Overwrites(self.data * other.data, _children=(self, other), _op="*")

            def _backward():
                self.grad = other.data * out.grad
                other.grad = self.data * out.grad
            out._backward = _backward
            return out

    square = lambda a: a * a  # noqa: E731
    check_function(engine_check(Value), (square, (3.0,)), engine_check(Value))
    with pytest.raises(AssertionError, match="Hint \\(overwrites\\)"):
        check_function(engine_check(Overwrites), (square, (3.0,)), engine_check(Value),
                       mistakes=[Mistake("overwrites", "use +=", returns=engine_check(Overwrites))])


def _layer(x, W, b):
    return x @ W + b, (x, W, b)


def test_outputs_checks_only_the_chosen_outputs_of_a_tuple():
    x, W, b = np.ones((2, 3)), np.full((3, 2), 0.5), np.array([1.0, -1.0])
    # the cache (arrays of three shapes) is not compared: only out
    check_function(_layer, (x, W, b), lambda x, W, b: (x @ W + b, None), outputs=[0])
    check_function(_layer, (x, W, b), np.array([[2.5, 0.5], [2.5, 0.5]]), outputs=[0])
    with pytest.raises(AssertionError, match="expected") as info:
        check_function(lambda x, W, b: (x @ W, (x, W, b)), (x, W, b), _layer, outputs=[0])
    assert "Hint" not in str(info.value)


def test_outputs_picks_from_the_mistakes_too_and_names_a_missing_tuple():
    x, W, b = np.ones((2, 3)), np.full((3, 2), 0.5), np.array([1.0, -1.0])
    forgot_bias = Mistake("bias forgotten", "add b.", returns=lambda x, W, b: (x @ W, "cache"))
    with pytest.raises(AssertionError, match=r"Hint \(bias forgotten\)"):
        check_function(lambda x, W, b: (x @ W, (x, W)), (x, W, b), _layer, outputs=[0],
                       mistakes=[forgot_bias])
    with pytest.raises(AssertionError, match="should return a tuple of at least 2 values"):
        check_function(lambda x, W, b: x @ W + b, (x, W, b), _layer, outputs=[1])
    two = lambda x, W, b: (x @ W + b, 0.0, b)  # noqa: E731
    check_function(two, (x, W, b), lambda x, W, b: (x @ W + b, 5.0, b), outputs=[0, 2])


def test_epochs_check_collects_the_batches_of_several_epochs_and_grades_an_iterator():
    from course_lib.datasets import iterate_minibatches
    from course_lib.grading import epochs_check

    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    rows_x, rows_y, sizes = epochs_check(iterate_minibatches)(X, y, 4, np.random.default_rng(0))
    assert sizes.tolist() == [4, 4, 2, 4, 4, 2]
    assert sorted(rows_y[:10].tolist()) == list(range(10)) == sorted(rows_y[10:].tolist())
    assert np.array_equal(rows_x, X[rows_y])
    assert epochs_check(iterate_minibatches).__name__ == "iterate_minibatches"

    def drops_last(X, y, batch_size, rng):
        order = rng.permutation(len(X))
        for start in range(0, len(X) - batch_size + 1, batch_size):
            yield X[order[start:start + batch_size]], y[order[start:start + batch_size]]

    check_function(epochs_check(iterate_minibatches), (X, y, 5, np.random.default_rng(1)),
                   epochs_check(iterate_minibatches))
    with pytest.raises(AssertionError, match=r"Hint \(last batch dropped\)"):
        check_function(epochs_check(drops_last), (X, y, 4, np.random.default_rng(1)),
                       epochs_check(iterate_minibatches),
                       mistakes=[Mistake("last batch dropped", "keep it",
                                         returns=epochs_check(drops_last))])
    with pytest.raises(AssertionError, match="should yield pairs"):
        check_function(epochs_check(lambda X, y, b, rng: [X]), (X, y, 4, np.random.default_rng(1)),
                       epochs_check(iterate_minibatches))


def test_a_large_array_and_a_dict_of_arrays_are_described_by_their_shapes():
    """A call on a network's parameters and a data set names their shapes, not their thousands of
    values, before the values that differ; small arrays and numbers are shown in full."""
    rng = np.random.default_rng(0)
    params = {"W1": rng.normal(size=(64, 8)), "b1": np.zeros(8)}
    data = rng.normal(size=(60, 64))

    def train(params, X, lr, sizes, w=None):
        return np.array([1.0, 2.0])

    message = failure(train, (params, data, 0.1, [np.zeros(3)]), np.array([1.0, 3.0]),
                      arg_names=["params", "X", "lr", "sizes"], kwargs={"w": np.array([0.5, -1.0])})
    assert message.startswith("train(params={'W1': array (64, 8), 'b1': array (8,)}, "
                              "X=array (60, 64), lr=0.1, sizes=[array (3,)], w=[ 0.5, -1. ]) is "
                              "wrong:"), message
    assert len(message) < 400, f"{len(message)} characters:\n{message}"
    small = failure(lambda x: x + 1.0, (np.array([1.0, 2.0]),), np.array([1.0, 2.0]),
                    arg_names=["x"])
    assert small.startswith("<lambda>(x=[1., 2.]) is wrong:"), small
