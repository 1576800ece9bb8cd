# cell: relu
def relu(x):
    """max(0, x), elementwise.  [B3]"""
    return np.maximum(0.0, np.asarray(x, dtype=float))


def relu_grad(x):
    """1 where x > 0, else 0.  [B3]"""
    return (np.asarray(x) > 0).astype(float)


# Keep a few values in a scratch file of the working folder and read them back.
probe = np.linspace(-2.0, 2.0, 5)
np.save("relu_probe.npy", relu(probe))
with open("relu_notes.txt", "w") as notes:
    notes.write(" ".join(f"{v:g}" for v in relu_grad(probe)))
with open("relu_notes.txt") as notes:
    grads_read_back = [float(v) for v in notes.read().split()]
values_read_back = np.load("relu_probe.npy")
assert np.allclose(values_read_back, relu(probe)) and grads_read_back == list(relu_grad(probe))
