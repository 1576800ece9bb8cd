# cell: xavier_init
def xavier_init(fan_in, fan_out, rng):
    """The standard deviation times standard-normal draws.  [E6]"""
    variance = 1.0 / ((fan_in + fan_out) / 2)  # one over the average fan
    return math.sqrt(variance) * rng.standard_normal((fan_in, fan_out))
# cell: he_init
def he_init(fan_in, fan_out, rng):
    """The standard deviation times standard-normal draws.  [E6]"""
    return math.sqrt(2 / fan_in) * rng.standard_normal((fan_in, fan_out))
# cell: init_weight
SCHEMES = {
    "normal": lambda fan_in, fan_out, rng: rng.standard_normal((fan_in, fan_out)),
    "xavier": lambda fan_in, fan_out, rng: xavier_init(fan_in, fan_out, rng),
    "he": lambda fan_in, fan_out, rng: he_init(fan_in, fan_out, rng),
}


def init_weight(init, fan_in, fan_out, rng):
    """A table of schemes.  [E6]"""
    if init not in SCHEMES:
        raise ValueError("no initialization named " + repr(init))
    return SCHEMES[init](fan_in, fan_out, rng)
