def sigmoid_grad(x):
    """The derivative of the sigmoid: here, wrongly, the sigmoid itself."""
    return sigmoid(x)
