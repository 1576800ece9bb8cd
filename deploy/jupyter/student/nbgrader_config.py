"""nbgrader settings of a student's server on the class hub.

Submissions and feedback are filed under the JupyterHub user name. nbgrader otherwise uses the
name of the process's Unix user, which is the same name when each server runs as its user
(LocalProcessSpawner with the machine's accounts) but not when every server runs as one account
(a container's ``jovyan``, JupyterHub's SimpleLocalProcessSpawner).
"""
import os

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

# JupyterHub always sets JUPYTERHUB_USER; "*" is nbgrader's default (the Unix user).
c.CourseDirectory.student_id = os.environ.get("JUPYTERHUB_USER", "*")
