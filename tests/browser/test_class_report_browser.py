"""The class report's page in Chromium: it renders, its plots load, and a screenshot is kept.

The report is written from the primary assignment's graded fixture batch (the pipeline test's
``fixture_batches``); the screenshot goes to the screenshot folder (reports/screenshots/).
"""
from __future__ import annotations

import pytest

from course_tools.report import build_report, write_report

from ..assignments.material import primary
from .conftest import SCREENSHOTS

pytestmark = pytest.mark.slow


def test_the_class_report_renders_with_its_plots(browser, fixture_batches, tmp_path):
    assignment = primary()
    graded = fixture_batches(assignment)
    page_path = write_report(build_report(graded["course"], assignment.name, progress=False),
                             tmp_path / "report")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(page_path.as_uri())
        assert page.title() == f"Class report: {assignment.name}"
        images = page.locator("img.figure")
        assert images.count() == 3, "score histogram, pass rates and top mistakes"
        for i in range(images.count()):
            image = images.nth(i)
            assert image.evaluate("img => img.complete && img.naturalWidth > 0"), (
                f"plot {i} did not load")
            assert image.get_attribute("alt"), f"plot {i} has no alt text"
        rows = page.locator("tr.flagged")
        assert rows.count() == len(graded["cheats"]), "the flagged cheats are marked"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot = SCREENSHOTS / f"class_report_{assignment.name}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000, f"empty screenshot {shot}"
        print(f"screenshot of the class report: {shot}")
    finally:
        page.close()
