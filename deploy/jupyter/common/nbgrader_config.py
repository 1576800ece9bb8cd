"""nbgrader settings of every single-user server of the class hub (students and instructors).

The hub (deploy/jupyterhub_config.py) puts this folder on JUPYTER_CONFIG_PATH and sets the two
variables read here. Courses are listed from JupyterHub's groups (``nbgrader-<course>`` for
students, ``formgrade-<course>`` for instructors), as nbgrader's JupyterHub guide describes.
"""
import os

from nbgrader.auth import JupyterHubAuthPlugin

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

for variable in ("NBGRADER_COURSE_ID", "NBGRADER_EXCHANGE_ROOT"):
    if not os.environ.get(variable):
        raise RuntimeError(f"{variable} is not set: start this server from the class hub "
                           "(deploy/jupyterhub_config.py), which sets it")

c.CourseDirectory.course_id = os.environ["NBGRADER_COURSE_ID"]
c.Exchange.root = os.environ["NBGRADER_EXCHANGE_ROOT"]
c.Exchange.path_includes_course = True
c.Authenticator.plugin_class = JupyterHubAuthPlugin
