"""nbgrader configuration of the course.

Works from any working directory: every path is resolved against the folder that holds this
file (traitlets sets ``__file__`` while it executes a config file).
"""
import os

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

COURSE_ROOT = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "deep-learning-foundations"
c.CourseDirectory.root = COURSE_ROOT
# SQLite waits up to a minute for a lock instead of failing when two processes grade at once.
# A large class sets NBGRADER_DB_URL to a PostgreSQL gradebook instead (see deploy/README.md).
c.CourseDirectory.db_url = (os.environ.get("NBGRADER_DB_URL") or
                            "sqlite:///" + os.path.join(COURSE_ROOT, "gradebook.db") + "?timeout=60")

# On one machine the exchange lives in the course; a JupyterHub class shares one folder between
# every user's server and names it in NBGRADER_EXCHANGE_ROOT (see deploy/).
EXCHANGE_ROOT = os.environ.get("NBGRADER_EXCHANGE_ROOT") or os.path.join(COURSE_ROOT, "exchange")
c.Exchange.root = EXCHANGE_ROOT
c.Exchange.path_includes_course = True

# nbgrader's own list, and the grading sidecar (course_tools.grading_record): generate_feedback
# copies every other file of the autograded folder into the student's feedback.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback",
                            "*.grading.json"]

# Every release notebook starts with the same instructions to the student.
c.IncludeHeaderFooter.header = os.path.join(COURSE_ROOT, "source", "header.ipynb")

# Grading: a cell that runs longer than this is interrupted, and the next cell runs.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True

# Grading runs student code in a sandbox (course_tools.sandbox: bubblewrap, a uid of its own,
# no network, memory/file/process limits, only a scratch folder writable), and every test cell is
# decided again outside the student's kernel (course_tools.recheck), so that nothing a submission
# does inside its kernel can turn a failing test into a pass. The rest is nbgrader's own list.
c.Autograde.autograde_preprocessors = [
    # Grading time per notebook, for the class report (course_tools.grading_record).
    "course_tools.grading_record.StartGradingClock",
    "course_tools.sandbox.SandboxedExecute",
    "course_tools.recheck.RecheckOutsideKernel",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    # LimitOutput counts lines; this caps bytes (a 30 MB print on one line), never grades.
    "course_tools.output_cap.CapOutputBytes",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
    # Reads (never runs) the solution code and flags suspicious code for a person: a gradebook
    # comment, a note in the feedback, the submission flagged in formgrader. Scores are untouched.
    "course_tools.static_scan.FlagSuspiciousCode",
    # Writes <notebook>.grading.json beside the autograded notebook (never copied to feedback).
    "course_tools.grading_record.RecordGradingTime",
]
c.SandboxedExecute.notebook_timeout = 600
c.SandboxedKernelManager.course_root = COURSE_ROOT
c.SandboxedKernelManager.hidden_paths = [EXCHANGE_ROOT]
c.RecheckOutsideKernel.course_root = COURSE_ROOT
c.RecheckOutsideKernel.hidden_path = EXCHANGE_ROOT

# Feedback never shows a hidden test: their source is removed (ClearHiddenTests), and the
# outputs of hidden-test cells are replaced by a message that gives the points, not the test.
c.GenerateFeedback.preprocessors = [
    "course_tools.feedback.RedactHiddenTestOutputs",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
