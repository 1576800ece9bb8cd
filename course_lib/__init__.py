"""course_lib: a reference implementation of every formula in the course's lecture notes.

One module per topic, in the order the notes teach them:

=================  ===============================================  ===========
module             topic                                            formulas
=================  ===============================================  ===========
activations        activation functions and their derivatives       B1-B8, B11
losses             softmax, cross-entropy, squared error            B9, B10, C1-C5
autodiff           a scalar automatic-differentiation engine        D1-D5
layers             dense layers, a small MLP, the delta recursion    A1-A5, D6-D9
gradcheck          finite differences and relative error            D11
init               weight initialization                            E6
vanishing          vanishing and exploding gradients                E1-E5
optim              SGD, momentum, Adagrad, RMSprop, Adam            D10, F1-F6
regularization     L1/L2 penalties, dropout, early stopping         C6, G1-G5
cnn                convolution and max pooling                      H1-H8
rnn                RNN, LSTM, bidirectional RNN, clipping           I1-I5
datasets           playground data, digits, sequences, splitting    A6, G6, J1
grading            helpers that the notebooks' test cells call      -
mistakes           recognised common mistakes, with their hints     -
widgets            ipywidgets explorers for the notebooks           -
playground         the TensorFlow Playground as an explorer         J1
gradient_flow      depth and initialization as an explorer          E4-E6
optimizer_race     the five update rules raced as an explorer       D10, F2-F6
=================  ===============================================  ===========

Conventions (see also the docstring of each function)
-----------------------------------------------------
Arrays are numpy arrays of float64 unless the caller passes another float dtype. Batch first.
One set of dimension letters is used everywhere:

N batch size          D input features       M output features (units of a dense layer)
C channels            H, W height, width     F filters            KH, KW kernel height, width
K classes             T time steps           H hidden units (recurrent layers, where unambiguous)

Layers come in pairs: ``*_forward(...) -> (out, cache)`` and ``*_backward(dout, cache) ->
grads``, the gradients in the order of the forward's array inputs. Functions that draw random
numbers take ``rng: numpy.random.Generator``; nothing uses numpy's global random state. Bad input
raises ``ValueError`` or ``TypeError`` naming the argument and what was expected.

The numerical modules import only numpy (and the standard library); ``grading``, ``mistakes``,
``widgets``, ``playground``, ``gradient_flow`` and ``optimizer_race`` sit on top of them, so
that the numerics stay importable and testable on their own.
"""

__version__ = "0.1.0"
