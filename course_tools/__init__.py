"""course_tools: the instructor's and maintainer's machinery around nbgrader.

Generating ``release/`` and ``solutions/`` from ``source/``, the preprocessors nbgrader runs while
grading and writing feedback, and opening the course in JupyterLab. Student code never imports
this package; the helpers that notebook test cells call live in ``course_lib.grading``.
"""
