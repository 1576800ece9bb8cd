# cell: parameter_count
def parameter_count(layer_sizes):
    """A loop over the layers, weights then biases.  [A4]"""
    total = 0
    for k in range(1, len(layer_sizes)):
        fan_in, units = layer_sizes[k - 1], layer_sizes[k]
        total += fan_in * units   # weights
        total += units            # biases
    return int(total)
# cell: xor_two_layer
import math


def xor_two_layer(X):
    """XOR as "OR and NAND": hidden units OR and NAND, an AND at the output.  [A6]"""
    W1 = np.array([[30.0, -30.0], [30.0, -30.0]])
    b1 = np.array([-15.0, 45.0])
    W2 = np.array([[30.0], [30.0]])
    b2 = np.array([-45.0])
    return two_layer_forward(X, {"W1": W1, "b1": b1, "W2": W2, "b2": b2})
# cell: gate_neuron
def gate_neuron(name, X):
    """One neuron per gate, chosen with if/elif.  [A6]"""
    if name == "and":
        w, b = np.array([10.0, 10.0]), -15.0
    elif name == "or":
        w, b = np.array([10.0, 10.0]), -5.0
    elif name == "xor":
        w, b = np.array([10.0, 10.0, -20.0]), -5.0
    else:
        raise ValueError("no single neuron for the gate " + repr(name))
    z = X.dot(w) + b
    return 1.0 / (1.0 + np.exp(-z))
