# cell: elu
from IPython.display import HTML, Latex, Markdown, Math, clear_output, display


def elu(x, alpha=1.0):
    """x for x > 0, alpha (e^x - 1) otherwise; expm1 keeps small |x| accurate.  [B5]"""
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


display(Math(r"\mathrm{ELU}(x) = \alpha (e^x - 1) \quad (x \le 0)"))
display(HTML("<b>ELU at -1, 0, 1:</b>"), elu(np.array([-1.0, 0.0, 1.0])))
clear_output(wait=True)
display(Markdown("done"), Latex(r"$\alpha = 1$"))
