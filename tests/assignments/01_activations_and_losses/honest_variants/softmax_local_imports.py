# cell: softmax
def _logsumexp(z, axis=-1):
    """log(sum(exp(z))) along an axis, computed around the maximum."""
    import numpy

    m = numpy.max(z, axis=axis, keepdims=True)
    return m + numpy.log(numpy.sum(numpy.exp(z - m), axis=axis, keepdims=True))


def softmax(z):
    """exp(z - logsumexp(z)) over the last axis.  [B9]"""
    from numpy import asarray, exp

    z = asarray(z, dtype=float)
    return exp(z - _logsumexp(z))
