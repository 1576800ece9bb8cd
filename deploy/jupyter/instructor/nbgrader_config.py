"""nbgrader settings of an instructor's server on the class hub.

formgrader and nbgrader's commands work on the course folder named by NBGRADER_COURSE_ROOT (a
checkout of the course; the hub sets the variable). nbgrader then loads that folder's own
``nbgrader_config.py`` last: grading keeps the course's sandbox, re-check and feedback settings.
formgrader needs the course folder inside the server's root folder (the instructor's home).
"""
import os

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

if not os.environ.get("NBGRADER_COURSE_ROOT"):
    raise RuntimeError("NBGRADER_COURSE_ROOT is not set: start this server from the class hub "
                       "(deploy/jupyterhub_config.py), which sets it for instructors")
c.CourseDirectory.root = os.environ["NBGRADER_COURSE_ROOT"]
