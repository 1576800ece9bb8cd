"""SYLLABUS.md maps every formula ID to the code, notebooks and tests that cover it: check the map.

``check_syllabus(text, root, inventory)`` is the checker. It parses the syllabus's Markdown tables
and returns every problem it finds as ``(formula ID or None, message)``:

- every ID of the inventory has exactly one row, under its own section, and no row has an ID
  outside the inventory;
- a computable ID names at least one ``course_lib`` name and at least one test file;
- every ``course_lib`` name (``module.name``) imports, and the ID is cited in its docstring or in
  its module's docstring: ``[B1]``, a bracket list ``[B1, B2]`` or a range ``[B1-B7]``,
  ``[B1–B7]`` or ``[B1]-[B8]`` that includes it;
- every test file exists under ``tests/`` and uses one of the row's names (the bare name,
  ``sigmoid_grad``);
- every notebook exists under ``source/`` and cites the ID in one of its cells.

The tests below run the checker on the real syllabus (one test per ID, so that a failure names the
ID) and on small made-up syllabi, to show that it reports what it should. Nothing here imports
torch or runs a notebook: the course_lib modules are imported, files are read.
"""
import importlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pytest

COURSE_ROOT = Path(__file__).resolve().parent.parent

#: The formula inventory: section letter -> number of IDs (A1..A8, B1..B11, ..., J1..J3).
SECTION_SIZES = {"A": 8, "B": 11, "C": 6, "D": 11, "E": 7, "F": 6, "G": 6, "H": 8, "I": 5, "J": 3}
INVENTORY = tuple(f"{letter}{k}" for letter, n in SECTION_SIZES.items() for k in range(1, n + 1))

COLUMNS = ("ID", "formula / idea", "computable", "course_lib", "notebook", "tests")
ID_PATTERN = r"[A-J][0-9]{1,2}"
NOTEBOOK_01 = "01_activations_and_losses/activations_and_losses.ipynb"


# ---------------------------------------------------------------------------------------------
# Citations
# ---------------------------------------------------------------------------------------------
def _id_range(first, last):
    """The IDs from ``first`` to ``last`` of one section (empty across sections)."""
    if first[0] != last[0]:
        return set()
    return {f"{first[0]}{k}" for k in range(int(first[1:]), int(last[1:]) + 1)}


def cited_ids(text):
    """The formula IDs that ``text`` cites: ``[B1]``, ``[B1, C2]``, ``[B1-B7]``, ``[B1]-[B8]``.

    A bracket counts only if everything inside it is an ID or a range of IDs (so ``[0, 1]`` or
    ``x[B1 + 2]`` cite nothing); a range is written with a hyphen or an en dash.
    """
    ids = set()
    for match in re.finditer(rf"\[({ID_PATTERN})\]\s*[-–]\s*\[({ID_PATTERN})\]", text):
        ids |= _id_range(match.group(1), match.group(2))
    item = re.compile(rf"({ID_PATTERN})(?:\s*[-–]\s*({ID_PATTERN}))?")
    for bracket in re.finditer(r"\[([^\[\]]*)\]", text):
        matches = [item.fullmatch(part.strip()) for part in bracket.group(1).split(",")]
        if not all(matches):
            continue
        for m in matches:
            ids |= _id_range(m.group(1), m.group(2)) if m.group(2) else {m.group(1)}
    return ids


def formula_ids(formulas_text):
    """The IDs of FORMULAS.md: each formula is a list item ``- B1 ...``."""
    return re.findall(rf"^- ({ID_PATTERN})\b", formulas_text, flags=re.MULTILINE)


# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    """One row of a syllabus table."""

    id: str
    section: str
    line: int
    formula: str
    computable: bool
    course_lib: tuple
    notebooks: tuple
    tests: tuple


def _split_cells(line):
    """The cells of a Markdown table row; ``\\|`` is a literal bar inside a cell."""
    parts = re.split(r"(?<!\\)\|", line.strip())
    return [cell.strip().replace("\\|", "|") for cell in parts[1:-1]]


def _list_cell(cell):
    """``"`a`, `b`"`` -> ``("a", "b")``; ``"-"`` -> ``()``. None marks an empty entry."""
    if cell.strip() in ("-", "—", ""):
        return ()
    items = tuple(part.strip().strip("`").strip() for part in cell.split(","))
    return None if "" in items else items


def parse_syllabus(text):
    """Parse the tables of a syllabus. Returns ``(rows, problems)``."""
    rows, problems = [], []
    section = None
    for number, line in enumerate(text.splitlines(), start=1):
        heading = re.match(r"^##\s+([A-J])\.\s", line)
        if heading:
            section = heading.group(1)
            continue
        if line.startswith("#"):
            section = None
            continue
        if not line.lstrip().startswith("|"):
            continue
        cells = _split_cells(line)
        if cells and cells[0] == "ID":
            if tuple(cells) != COLUMNS:
                problems.append(
                    (None, f"line {number}: table header {cells}, expected {list(COLUMNS)}")
                )
            continue
        if cells and all(re.fullmatch(r":?-{3,}:?", cell) for cell in cells):
            continue
        row_id = cells[0].strip("`* ") if cells else ""
        if not re.fullmatch(ID_PATTERN, row_id):
            problems.append((None, f"line {number}: a table row without a formula ID: {line!r}"))
            continue
        if len(cells) != len(COLUMNS):
            problems.append((row_id, f"line {number}: {len(cells)} cells, expected {len(COLUMNS)}"))
            continue
        if section != row_id[0]:
            problems.append((row_id, f"line {number}: the row is not under the heading "
                                     f"'## {row_id[0]}. ...' of its section"))
        computable = cells[2].lower()
        if computable not in ("yes", "no"):
            problems.append((row_id, f"line {number}: computable must be 'yes' or 'no', "
                                     f"got {cells[2]!r}"))
            continue
        lists = {}
        for column, cell in zip(COLUMNS[3:], cells[3:]):
            lists[column] = _list_cell(cell)
            if lists[column] is None:
                problems.append((row_id, f"line {number}: an empty entry in the {column} column: "
                                         f"{cell!r}"))
                lists[column] = ()
        rows.append(Row(row_id, section, number, cells[1], computable == "yes",
                        lists["course_lib"], lists["notebook"], lists["tests"]))
    return rows, problems


# ---------------------------------------------------------------------------------------------
# Checking
# ---------------------------------------------------------------------------------------------
@lru_cache(maxsize=None)
def _read(path):
    return Path(path).read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def _notebook_citations(path):
    cells = json.loads(_read(path))["cells"]
    text = "\n".join("".join(cell.get("source", "")) for cell in cells)
    return frozenset(cited_ids(text))


def _resolve(dotted):
    """``"activations.sigmoid"`` -> ``(object, module)``; raises on an unknown name."""
    module_name, _, attribute_path = dotted.partition(".")
    if not module_name.isidentifier() or not attribute_path:
        raise ValueError("expected 'module.name' inside course_lib")
    module = importlib.import_module(f"course_lib.{module_name}")
    obj = module
    for attribute in attribute_path.split("."):
        obj = getattr(obj, attribute)
    return obj, module


def _own_doc(obj):
    """The docstring written for ``obj`` itself (not the one of its type, for a dict or tuple)."""
    if callable(obj) or isinstance(obj, type):
        return getattr(obj, "__doc__", None) or ""
    return ""


def check_row(row, root):
    """Every problem of one syllabus row, as ``(ID, message)`` pairs."""
    root = Path(root)
    problems = []

    def report(message):
        problems.append((row.id, f"[{row.id}] (line {row.line}) {message}"))

    if row.computable and not row.course_lib:
        report("is computable but names no course_lib function")
    if row.computable and not row.tests:
        report("is computable but names no test file")

    for dotted in row.course_lib:
        try:
            obj, module = _resolve(dotted)
        except (ImportError, AttributeError, ValueError) as error:
            report(f"course_lib name {dotted!r} cannot be imported: {error}")
            continue
        if row.id not in cited_ids(_own_doc(obj)) | cited_ids(module.__doc__ or ""):
            report(f"neither the docstring of {dotted} nor that of {module.__name__} cites "
                   f"{row.id}")

    bare_names = [dotted.rsplit(".", 1)[-1] for dotted in row.course_lib]
    for test in row.tests:
        path = root / "tests" / test
        if not test.endswith(".py") or not path.is_file():
            report(f"test file tests/{test} does not exist")
            continue
        if not bare_names:
            report(f"test file tests/{test} is named, but no course_lib function it could use")
            continue
        text = _read(path)
        if not any(re.search(rf"\b{re.escape(name)}\b", text) for name in bare_names):
            report(f"test file tests/{test} uses none of {', '.join(bare_names)}")

    for notebook in row.notebooks:
        path = root / "source" / notebook
        if not notebook.endswith(".ipynb") or not path.is_file():
            report(f"notebook source/{notebook} does not exist")
            continue
        if row.id not in _notebook_citations(path):
            report(f"notebook source/{notebook} does not cite {row.id} in any cell")
    return problems


def check_syllabus(text, root, inventory=INVENTORY):
    """Every problem of a syllabus, as ``(ID or None, message)`` pairs; empty when all is well."""
    rows, problems = parse_syllabus(text)
    lines = {}
    for row in rows:
        lines.setdefault(row.id, []).append(row.line)
    for formula_id in inventory:
        found = lines.get(formula_id, [])
        if not found:
            problems.append((formula_id, f"[{formula_id}] has no row in the syllabus"))
        elif len(found) > 1:
            problems.append((formula_id, f"[{formula_id}] appears {len(found)} times "
                                         f"(lines {', '.join(map(str, found))})"))
    for formula_id in sorted(set(lines) - set(inventory)):
        problems.append((formula_id, f"[{formula_id}] is not in the formula inventory"))
    for row in rows:
        problems.extend(check_row(row, root))
    return problems


@lru_cache(maxsize=None)
def _course_problems(root):
    return tuple(check_syllabus(_read(Path(root) / "SYLLABUS.md"), root))


def _messages(problems):
    return "\n".join(message for _, message in problems)


# ---------------------------------------------------------------------------------------------
# The real syllabus
# ---------------------------------------------------------------------------------------------
def test_inventory_has_the_expected_ids():
    assert len(INVENTORY) == len(set(INVENTORY)) == 71, f"inventory of {len(INVENTORY)} IDs"
    assert INVENTORY[0] == "A1" and INVENTORY[-1] == "J3", "the inventory runs from A1 to J3"


def test_syllabus_tables_are_well_formed(course_root):
    layout = [p for p in _course_problems(course_root) if p[0] is None]
    assert not layout, "SYLLABUS.md has malformed tables:\n" + _messages(layout)


def test_every_inventory_id_appears_exactly_once(course_root):
    rows, _ = parse_syllabus(_read(course_root / "SYLLABUS.md"))
    ids = [row.id for row in rows]
    missing = [i for i in INVENTORY if i not in ids]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    unknown = sorted(set(ids) - set(INVENTORY))
    assert not (missing or repeated or unknown), (
        f"SYLLABUS.md: IDs missing {missing}, repeated {repeated}, not in the inventory {unknown}"
    )


def test_syllabus_ids_match_formulas_md(course_root):
    formulas = Path(course_root).parent / "shared" / "FORMULAS.md"
    if not formulas.is_file():
        pytest.skip(f"{formulas} is absent: only the inventory kept in this test is checked")
    listed = formula_ids(_read(formulas))
    rows, _ = parse_syllabus(_read(course_root / "SYLLABUS.md"))
    syllabus = {row.id for row in rows}
    assert len(listed) == len(set(listed)), f"FORMULAS.md lists an ID twice: {sorted(listed)}"
    assert set(listed) == syllabus, (
        f"FORMULAS.md and SYLLABUS.md differ: only in FORMULAS.md "
        f"{sorted(set(listed) - syllabus)}, only in SYLLABUS.md {sorted(syllabus - set(listed))}"
    )
    assert set(listed) == set(INVENTORY), (
        f"FORMULAS.md and the inventory of this test differ: "
        f"{sorted(set(listed) ^ set(INVENTORY))}"
    )


@pytest.mark.parametrize("formula_id", INVENTORY)
def test_row_is_backed_by_code_notebooks_and_tests(formula_id, course_root):
    problems = [p for p in _course_problems(course_root) if p[0] == formula_id]
    assert not problems, _messages(problems)


# ---------------------------------------------------------------------------------------------
# The checker can fail
# ---------------------------------------------------------------------------------------------
HEADER = (
    "| ID | formula / idea | computable | course_lib | notebook | tests |\n"
    "|---|---|---|---|---|---|\n"
)


def _syllabus(*rows, heading="## B. Activation functions"):
    return f"{heading}\n\n{HEADER}" + "".join(row + "\n" for row in rows)


GOOD_B1 = (f"| B1 | sigmoid | yes | `activations.sigmoid`, `activations.sigmoid_grad` | "
           f"`{NOTEBOOK_01}` | `course_lib/test_activations.py` |")


def test_checker_passes_a_correct_row(course_root):
    problems = check_syllabus(_syllabus(GOOD_B1), course_root, inventory=("B1",))
    assert problems == [], "a correct row must pass:\n" + _messages(problems)


def test_checker_reports_a_computable_id_without_a_test(course_root):
    text = _syllabus("| B1 | sigmoid | yes | `activations.sigmoid` | - | - |")
    problems = check_syllabus(text, course_root, inventory=("B1",))
    assert any(i == "B1" and "no test file" in m for i, m in problems), (
        f"a computable ID without a test must be reported, got {problems}"
    )


@pytest.mark.parametrize(
    "row, expected",
    [
        ("| B1 | sigmoid | yes | - | - | `course_lib/test_activations.py` |",
         "names no course_lib function"),
        ("| B1 | sigmoid | yes | `activations.no_such_function` | - | "
         "`course_lib/test_activations.py` |", "cannot be imported"),
        ("| B1 | sigmoid | yes | `no_such_module.sigmoid` | - | `course_lib/test_activations.py` |",
         "cannot be imported"),
        ("| B1 | sigmoid | yes | `losses.mse_loss` | - | `course_lib/test_losses.py` |",
         "cites B1"),
        ("| B1 | sigmoid | yes | `activations.sigmoid` | - | `course_lib/test_no_such_file.py` |",
         "does not exist"),
        ("| B1 | sigmoid | yes | `activations.sigmoid_grad` | - | `course_lib/test_init.py` |",
         "uses none of sigmoid_grad"),
        ("| B1 | sigmoid | yes | `activations.sigmoid` | `99_missing/missing.ipynb` | "
         "`course_lib/test_activations.py` |", "does not exist"),
        ("| B1 | sigmoid | maybe | `activations.sigmoid` | - | `course_lib/test_activations.py` |",
         "computable must be"),
        ("| B1 | sigmoid | yes | `activations.sigmoid`, | - | `course_lib/test_activations.py` |",
         "an empty entry"),
    ],
    ids=["no-function", "unknown-function", "unknown-module", "not-cited", "missing-test",
         "test-does-not-use-it", "missing-notebook", "bad-computable", "empty-entry"],
)
def test_checker_reports_a_faulty_row(row, expected, course_root):
    problems = check_syllabus(_syllabus(row), course_root, inventory=("B1",))
    assert any(i == "B1" and expected in m for i, m in problems), (
        f"expected a problem of B1 containing {expected!r}, got {problems}"
    )


def test_checker_reports_a_notebook_that_does_not_cite_the_id(course_root):
    text = _syllabus(f"| H1 | convolution | yes | `cnn.conv2d_forward` | `{NOTEBOOK_01}` | "
                     f"`course_lib/test_cnn.py` |", heading="## H. Convolutional networks")
    problems = check_syllabus(text, course_root, inventory=("H1",))
    assert [m for i, m in problems if i == "H1"] and all(
        "does not cite H1" in m for _, m in problems
    ), f"the notebook of assignment 01 does not cite H1, got {problems}"


def test_checker_reports_missing_repeated_misplaced_and_unknown_ids(course_root):
    text = _syllabus(GOOD_B1, GOOD_B1, "| B99 | unknown | no | - | - | - |",
                     "| C1 | squared error | no | - | - | - |")
    problems = check_syllabus(text, course_root, inventory=("B1", "B2", "C1"))
    messages = _messages(problems)
    assert "[B1] appears 2 times" in messages, f"B1 is listed twice:\n{messages}"
    assert "[B2] has no row" in messages, f"B2 is missing:\n{messages}"
    assert "[B99] is not in the formula inventory" in messages, f"B99 is unknown:\n{messages}"
    assert any(i == "C1" and "not under the heading" in m for i, m in problems), (
        f"C1 sits in section B:\n{messages}"
    )


def test_checker_reports_a_malformed_header(course_root):
    text = "## B. Activation functions\n\n| ID | formula | course_lib |\n|---|---|---|\n"
    problems = check_syllabus(text, course_root, inventory=())
    assert any(i is None and "table header" in m for i, m in problems), (
        f"a header with the wrong columns must be reported, got {problems}"
    )


def test_escaped_bars_stay_inside_a_cell():
    text = _syllabus(r"| B1 | `\|σ'\| ≤ 1/4` | no | - | - | - |")
    rows, problems = parse_syllabus(text)
    assert problems == [] and len(rows) == 1, f"one row expected, got {rows} {problems}"
    assert rows[0].formula == "`|σ'| ≤ 1/4`", f"the escaped bars belong to the cell: {rows[0]}"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("sigmoid [B1]", {"B1"}),
        ("[B1, B2] and [C3,C4]", {"B1", "B2", "C3", "C4"}),
        ("[B1-B3]", {"B1", "B2", "B3"}),
        ("[B1–B3]", {"B1", "B2", "B3"}),
        ("[B1]-[B3]", {"B1", "B2", "B3"}),
        ("[D10, F3-F5]", {"D10", "F3", "F4", "F5"}),
        ("[B10]", {"B10"}),
        ("B1 without brackets, x[0, 1], [B1 and more], [B1-C2]", set()),
    ],
)
def test_cited_ids(text, expected):
    assert cited_ids(text) == expected, (
        f"cited_ids({text!r}) = {cited_ids(text)}, expected {expected}"
    )


def test_formula_ids_reads_list_items():
    text = "## B. Activations\n- B1 sigmoid [B2]\n- B10 Jacobian\nB3 in prose\n"
    assert formula_ids(text) == ["B1", "B10"], f"got {formula_ids(text)}"


# ---------------------------------------------------------------------------------------------
# Coverage: "taught" means graded
# ---------------------------------------------------------------------------------------------
#: The kinds of coverage, strongest first (see SYLLABUS.md, "Coverage").
KINDS = ("graded", "hand-graded", "demonstrated", "cited")


def _code(cell):
    """The cell's code as the kernel runs it (IPython's syntax read by IPython), parsed."""
    import ast

    from course_tools.ipython_code import kernel_code

    try:
        return ast.parse(kernel_code("".join(cell.get("source", ""))))
    except SyntaxError:
        return None


def _meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def notebook_coverage(path):
    """ID -> the strongest kind of coverage that one source notebook gives it.

    - graded: the ID is cited in the docstring of a function of a solution cell that a graded
      test cell calls (``check_function(f, ...)`` or ``f(...)``);
    - hand-graded: cited in the question before a written answer that is graded by hand and has
      a rubric (``**Rubric``);
    - demonstrated: cited in the docstring of a course_lib name that an ungraded cell imports;
    - cited: cited anywhere in the notebook.
    """
    import ast

    cells = json.loads(_read(path))["cells"]
    kinds = {}

    def give(ids, kind):
        for formula_id in ids:
            if formula_id not in kinds or KINDS.index(kind) < KINDS.index(kinds[formula_id]):
                kinds[formula_id] = kind

    docs = {}
    for cell in cells:
        if _meta(cell).get("solution") and cell["cell_type"] == "code" and _code(cell):
            for node in _code(cell).body:
                if isinstance(node, ast.FunctionDef):
                    docs[node.name] = ast.get_docstring(node) or ""
    for cell in cells:
        if _meta(cell).get("grade") and cell["cell_type"] == "code" and _code(cell):
            for node in ast.walk(_code(cell)):
                if isinstance(node, ast.Name) and node.id in docs:
                    give(cited_ids(docs[node.id]), "graded")
    for i, cell in enumerate(cells):
        if (_meta(cell).get("grade") and cell["cell_type"] == "markdown"
                and "**Rubric" in "".join(cell["source"])):
            question = next((c for c in reversed(cells[:i]) if c["cell_type"] == "markdown"), None)
            if question:
                give(cited_ids("".join(question["source"])), "hand-graded")
    for cell in cells:
        if cell["cell_type"] == "code" and not _meta(cell).get("grade") and _code(cell):
            for node in ast.walk(_code(cell)):
                if (isinstance(node, ast.ImportFrom) and node.module
                        and node.module.startswith("course_lib.")):
                    module = importlib.import_module(node.module)
                    for alias in node.names:
                        give(cited_ids(_own_doc(getattr(module, alias.name, None))),
                             "demonstrated")
    give(_notebook_citations(path), "cited")
    return kinds


def course_coverage(root):
    """ID -> the strongest kind of coverage over every notebook of source/."""
    kinds = {}
    for path in sorted(Path(root, "source").glob("*/*.ipynb")):
        for formula_id, kind in notebook_coverage(path).items():
            if formula_id not in kinds or KINDS.index(kind) < KINDS.index(kinds[formula_id]):
                kinds[formula_id] = kind
    return kinds


def claimed_coverage(text):
    """ID -> kind, from the list under "## Coverage" of SYLLABUS.md, and the problems found.

    Each kind has one line ``- **graded** (N): B1, B2, ...``; an ID that is on no line is not
    covered by any notebook yet.
    """
    claims, problems = {}, []
    for match in re.finditer(r"^- \*\*([a-z-]+)\*\* \((\d+)\): (.*)$", text, flags=re.M):
        kind, count, listed = match.group(1), int(match.group(2)), match.group(3)
        ids = [part.strip() for part in listed.split(",") if part.strip() not in ("", "-")]
        if kind not in KINDS:
            problems.append(f"unknown kind of coverage {kind!r} (known: {', '.join(KINDS)})")
        if count != len(ids):
            problems.append(f"{kind}: says {count} IDs and lists {len(ids)}")
        for formula_id in ids:
            if formula_id in claims:
                problems.append(f"[{formula_id}] is listed as {claims[formula_id]} and as {kind}")
            claims[formula_id] = kind
    if not claims:
        problems.append("SYLLABUS.md has no coverage list ('- **graded** (N): ...')")
    return claims, problems


def test_the_coverage_list_is_well_formed(course_root):
    _, problems = claimed_coverage(_read(course_root / "SYLLABUS.md"))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("formula_id", INVENTORY)
def test_the_syllabus_claims_the_coverage_the_notebooks_give(formula_id, course_root):
    claims, _ = claimed_coverage(_read(course_root / "SYLLABUS.md"))
    derived = course_coverage(str(course_root)).get(formula_id, "none")
    claimed = claims.get(formula_id, "none")
    assert claimed == derived, (
        f"[{formula_id}] SYLLABUS.md says {claimed}, the notebooks give {derived} "
        f"(graded: a graded test checks a student function whose docstring cites it; "
        f"hand-graded: a rubric-graded question cites it; demonstrated: a cell imports a "
        f"course_lib name whose docstring cites it; cited: a cell cites it)")


def test_coverage_is_derived_from_what_the_cells_do(tmp_path):
    """A made-up notebook: one graded function, one demonstration, one question, one citation."""
    def cell(kind, source, **nbgrader):
        return {"cell_type": kind, "metadata": {"nbgrader": nbgrader} if nbgrader else {},
                "source": source, **({"outputs": [], "execution_count": None}
                                     if kind == "code" else {})}
    nb = {"cells": [
        cell("code", 'def f(x):\n    """[B1]"""\n    return x\n', solution=True, grade_id="f"),
        cell("code", 'def g(x):\n    """[B2]"""\n    return x\n', solution=True, grade_id="g"),
        cell("code", "check_function(f, (1,), 1)\n", grade=True, grade_id="t", points=1),
        cell("code", "from course_lib.losses import softmax_jacobian\n"),
        cell("markdown", "Question [E1, B1]. Why?"),
        cell("markdown", "Because.\n\n**Rubric (1 point).** ...", grade=True, solution=True,
             grade_id="a", points=1),
        cell("markdown", "See also [J1]. And [E2]."),
        cell("markdown", "Question [E2]."),
        cell("markdown", "No rubric.", grade=True, solution=True, grade_id="b", points=1),
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "made_up.ipynb"
    path.write_text(json.dumps(nb))
    kinds = notebook_coverage(str(path))
    assert kinds == {"B1": "graded", "E1": "hand-graded", "B10": "demonstrated", "B2": "cited",
                     "J1": "cited", "E2": "cited"}, kinds
