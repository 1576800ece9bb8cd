# cell: sigmoid_neuron_staged
from IPython.display import Markdown, display


def sigmoid_neuron_staged(w, x):
    """The neuron node by node, the forward values kept in a dict; displays its table.  [D4]"""
    w = np.asarray(w, dtype=float)
    x = np.asarray(x, dtype=float)
    v = {}
    v["z"] = float(np.dot(w[:2], x) + w[2])
    v["-z"] = -v["z"]
    v["exp"] = float(np.exp(v["-z"]))
    v["1+exp"] = 1.0 + v["exp"]
    v["f"] = 1.0 / v["1+exp"]
    g = {"f": 1.0}
    g["1+exp"] = g["f"] * (-1.0 / v["1+exp"] ** 2)
    g["exp"] = g["1+exp"] * 1.0
    g["-z"] = g["exp"] * v["exp"]
    g["z"] = g["-z"] * -1.0
    dw = np.append(x, 1.0) * g["z"]
    dx = w[:2] * g["z"]
    return v["f"], dw, dx


display(Markdown("| node | value |\n|---|---|\n" + "\n".join(
    f"| {name} | {value:.4f} |" for name, value in
    zip(["f", "dw0", "dw1", "dw2"], [sigmoid_neuron_staged([2, -3, -3], [-1, -2])[0],
                                     *sigmoid_neuron_staged([2, -3, -3], [-1, -2])[1]]))))
# cell: sigmoid_neuron
def sigmoid_neuron(w, x):
    """The shortcut: ds/dz = s (1 - s) with s = sigma(z), sigma through tanh.  [D4]"""
    w = np.asarray(w, dtype=float)
    x = np.asarray(x, dtype=float)
    z = w @ np.append(x, 1.0)
    s = 0.5 * (1.0 + np.tanh(0.5 * z))
    dz = s * (1.0 - s)
    return float(s), dz * np.append(x, 1.0), dz * w[:2]


display(sigmoid_neuron(np.array([2.0, -3.0, -3.0]), np.array([-1.0, -2.0])))
