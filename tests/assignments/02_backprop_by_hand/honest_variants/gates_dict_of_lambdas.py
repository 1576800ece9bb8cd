# cell: local_gradients
import math


def local_gradients(x, a, c):
    """The notes' table [D3], with the math module on plain floats."""
    d_exp = math.exp(x)          # e^x is its own derivative
    d_inv = -1.0 / (x * x)       # 1/x -> -1/x^2
    d_scale = a                  # a x -> a
    d_shift = 1.0                # c + x -> 1
    return d_exp, d_inv, d_scale, d_shift
# cell: gate_backward
BACKWARD_RULES = {
    "add": lambda a, b, dout: (dout, dout),                      # distributes
    "mul": lambda a, b, dout: (b * dout, a * dout),              # swaps
    "max": lambda a, b, dout: (dout, 0.0) if a >= b else (0.0, dout),  # routes
}


def gate_backward(gate, a, b, dout):
    """Look the gate's rule up in a dict of lambdas.  [D3]"""
    try:
        rule = BACKWARD_RULES[gate]
    except KeyError:
        raise ValueError(f"unknown gate {gate!r}; known: {sorted(BACKWARD_RULES)}") from None
    return rule(a, b, dout)
