# cell: unstable_band_width
def unstable_band_width(w):
    """Both roots of u^2 + (2 - |w|) u + 1, and (ln u+ - ln u-)/|w|.  [E2, E3]"""
    m = np.abs(np.asarray(w, dtype=float))
    safe = np.where(m > 4, m, 5.0)  # no square root of a negative number
    root = np.sqrt(safe * (safe - 4))
    u_hi, u_lo = (safe - 2 + root) / 2, (safe - 2 - root) / 2
    width = np.where(m > 4, (np.log(u_hi) - np.log(u_lo)) / safe, 0.0)
    if np.ndim(width) == 0:
        return float(width)
    return width
# cell: widest_band
def widest_band(low, high):
    """Zoom in: a grid of 21 points, then the two cells around its best point, 80 times.  [E3]"""
    a, b = low, high
    for _ in range(80):
        grid = np.linspace(a, b, 21)
        k = int(np.argmax(unstable_band_width(grid)))
        a, b = grid[max(k - 1, 0)], grid[min(k + 1, 20)]
    best = float((a + b) / 2)
    return best, unstable_band_width(best)
