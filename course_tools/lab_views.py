"""The student's and the instructor's view of the course in JupyterLab.

nbgrader installs, for every user of the environment, five JupyterLab plugins of
``@jupyter/nbgrader`` and four server extensions. The two views follow nbgrader's own table of
who needs which tool (nbgrader docs, "Using nbgrader with JupyterHub"; on one instructor's
machine the instructor is also the grader):

=====================  ==============================  ======================================
view                   nbgrader plugins shown          nbgrader server extensions on
=====================  ==============================  ======================================
student (``make lab``) assignment-list,                assignment_list, validate_assignment
                       validate-assignment
instructor             all five (adds formgrader,      all four (adds formgrader,
(``make instructor``)  create-assignment, course-list) course_list)
=====================  ==============================  ======================================

A view is applied to one launch of JupyterLab and changes no configuration file of the user or
of the environment:

1. *Plugins.* A folder of the view's own, ``<Jupyter runtime dir>/course-lab-views/<view>``,
   holds ``labconfig/page_config.json`` whose ``disabledExtensions`` maps each nbgrader plugin
   to true (hidden) or false (shown). The launcher puts that folder first on
   ``JUPYTER_CONFIG_PATH``, the folder Jupyter reads with the highest priority, so the view wins
   over any ``jupyter labextension disable/enable`` made elsewhere. JupyterLab 4.6 reads the
   file when it serves ``/lab`` (``jupyterlab_server.config.get_static_page_config``) and the
   browser never activates a hidden plugin: its commands, menu entries and panels do not exist.
2. *Server extensions.* One ``--ServerApp.jpserver_extensions=<module>=True|False`` option per
   nbgrader server extension on the command line. Command-line values win over the
   ``jupyter_server_config.d`` files that nbgrader installs (``ServerApp.find_server_extensions``
   only adds the modules the command line did not name), so in the student view ``/formgrader``
   does not exist.

The student view removes tools from sight; it is not a security boundary. On their own machine
a student can start any Jupyter they like; on a JupyterHub the deployment decides what each user's
server loads.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["View", "STUDENT", "INSTRUCTOR", "VIEWS", "NBGRADER_PLUGINS",
           "NBGRADER_SERVER_EXTENSIONS", "write_view_config"]

#: The JupyterLab plugins of ``@jupyter/nbgrader`` 0.9 that a view shows or hides (its ``menu``
#: plugin stays in both views: it only lists the commands that the other plugins register).
NBGRADER_PLUGINS = ("assignment-list", "validate-assignment", "course-list", "create-assignment",
                    "formgrader")
#: The server extensions of nbgrader 0.9, as modules under ``nbgrader.server_extensions``.
NBGRADER_SERVER_EXTENSIONS = ("assignment_list", "validate_assignment", "course_list", "formgrader")


@dataclass(frozen=True)
class View:
    """Which of nbgrader's plugins and server extensions one view of the course turns on."""

    name: str
    plugins: frozenset[str]
    server_extensions: frozenset[str]

    def __post_init__(self):
        unknown = (self.plugins - set(NBGRADER_PLUGINS)) | (
            self.server_extensions - set(NBGRADER_SERVER_EXTENSIONS))
        if unknown:
            raise ValueError(f"view {self.name!r} names unknown nbgrader parts: {sorted(unknown)}")

    def disabled_extensions(self) -> dict[str, bool]:
        """``disabledExtensions`` of JupyterLab's page config: plugin id -> hidden."""
        return {f"@jupyter/nbgrader:{plugin}": plugin not in self.plugins
                for plugin in NBGRADER_PLUGINS}

    def server_extension_args(self) -> list[str]:
        """``jupyter lab`` options that turn each nbgrader server extension on or off."""
        return [f"--ServerApp.jpserver_extensions=nbgrader.server_extensions.{ext}="
                f"{ext in self.server_extensions}" for ext in NBGRADER_SERVER_EXTENSIONS]


STUDENT = View("student",
               plugins=frozenset({"assignment-list", "validate-assignment"}),
               server_extensions=frozenset({"assignment_list", "validate_assignment"}))
INSTRUCTOR = View("instructor",
                  plugins=frozenset(NBGRADER_PLUGINS),
                  server_extensions=frozenset(NBGRADER_SERVER_EXTENSIONS))
VIEWS = {view.name: view for view in (STUDENT, INSTRUCTOR)}


def write_view_config(view: View, runtime_dir: Path) -> Path:
    """Write the view's ``labconfig/page_config.json`` under runtime_dir; return its folder.

    The folder is ``runtime_dir/course-lab-views/<view>``, meant to go first on
    ``JUPYTER_CONFIG_PATH``. The file is replaced atomically, so that two launches of the same
    view at once never read half a file.
    """
    folder = Path(runtime_dir) / "course-lab-views" / view.name
    labconfig = folder / "labconfig"
    labconfig.mkdir(parents=True, exist_ok=True)
    target = labconfig / "page_config.json"
    partial = labconfig / f".page_config.{os.getpid()}.json"
    partial.write_text(json.dumps({"disabledExtensions": view.disabled_extensions()}, indent=2)
                       + "\n")
    os.replace(partial, target)
    return folder
