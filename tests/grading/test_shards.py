"""Grading part of a class: ``parallel_grade --shard K/N`` and ``--students``, without grading.

The parsing of both options and their errors, the round-robin split of the sorted students, and
the batch records: a shard writes its own file and leaves the others alone, and
``grading_record.read_batch_records`` merges them as the class report reads them. Two shards
really graded at the same time against one PostgreSQL gradebook are
tests/pipeline/test_sharded_grading.py.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from course_tools import grading_record
from course_tools.parallel_grade import (choose_students, main, parse_shard, parse_students,
                                         shard_of)

CLASS = ["zoe", "ann", "bob", "cat", "dan", "eve", "fay"]  # unsorted on purpose


# ---------------------------------------------------------------------------------------------
# The options


@pytest.mark.parametrize("text, expected", [("1/1", (1, 1)), ("2/3", (2, 3)), (" 4/4 ", (4, 4)),
                                            ("10/12", (10, 12))])
def test_a_shard_is_read_as_k_of_n(text, expected):
    assert parse_shard(text) == expected


@pytest.mark.parametrize("text, message", [
    ("0/2", "the shard K must be between 1 and N=2, got 0"),
    ("3/2", "the shard K must be between 1 and N=2, got 3"),
    ("-1/2", "the shard K must be between 1 and N=2, got -1"),
    ("1/0", "the number of shards N must be at least 1, got 0"),
    ("0/0", "the number of shards N must be at least 1, got 0"),
    ("1", "--shard takes K/N, the K-th of N shards (e.g. 1/4), got '1'"),
    ("1-2", "got '1-2'"),
    ("a/b", "got 'a/b'"),
    ("1/2/3", "got '1/2/3'"),
    ("1.5/2", "got '1.5/2'"),
    ("", "got ''"),
])
def test_a_bad_shard_says_what_is_wrong(text, message):
    with pytest.raises(ValueError) as info:
        parse_shard(text)
    assert message in str(info.value), f"{text!r}: {info.value}"


def test_a_student_list_is_sorted_and_each_name_counted_once():
    assert parse_students("bob,ann") == ["ann", "bob"]
    assert parse_students(" bob , ann,bob") == ["ann", "bob"]
    assert parse_students("ann") == ["ann"]


@pytest.mark.parametrize("text", ["", " ", ",", "ann,", "ann,,bob"])
def test_an_empty_name_in_the_student_list_is_refused(text):
    with pytest.raises(ValueError, match="--students takes NAME"):
        parse_students(text)


@pytest.mark.parametrize("argv, message", [
    (["a1", "--shard=3/2"], "--shard 3/2: the shard K must be between 1 and N=2, got 3"),
    (["a1", "--shard=1/0"], "the number of shards N must be at least 1, got 0"),
    (["a1", "--shard=half"], "--shard takes K/N"),
    (["a1", "--students=ann,,bob"], "--students takes NAME[,NAME...] without empty names"),
    (["a1", "--shard=1/2", "--students=ann"], "not allowed with argument"),
])
def test_bad_shard_options_are_usage_errors(argv, message, capsys, tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, f"--course={tmp_path}"])
    assert exit_info.value.code == 2, f"{argv} must be a usage error"
    err = capsys.readouterr().err
    assert message in err, f"{argv}: expected {message!r} in {err!r}"


def course_with_submissions(root: Path, students: list[str], assignment: str = "a1") -> Path:
    (root / "nbgrader_config.py").write_text("c = get_config()\n")
    for student in students:
        (root / "submitted" / student / assignment).mkdir(parents=True)
    return root


def test_a_named_student_without_a_submission_is_an_error(tmp_path, capsys):
    course = course_with_submissions(tmp_path, ["ann", "bob"])
    (course / "submitted" / "cat" / "another_assignment").mkdir(parents=True)
    code = main(["a1", f"--course={course}", "--students=ann,cat,dan"])
    assert code == 1, "nobody is graded when a named student has no submission"
    err = capsys.readouterr().err
    assert "--students: no submission submitted/<student>/a1 for cat, dan" in err, err
    assert not (course / "gradebook.db").exists(), "the error comes before the gradebook is used"


def test_a_named_student_excluded_by_the_configuration_is_said_to_be(tmp_path):
    from nbgrader.coursedir import CourseDirectory

    course = course_with_submissions(tmp_path, ["ann", "bob"])
    coursedir = CourseDirectory(root=str(course), student_id_exclude="bob")
    with pytest.raises(ValueError, match=r"for bob \(excluded by "
                                         r"CourseDirectory.student_id_exclude\)"):
        choose_students(["ann"], ["bob"], None, "a1", coursedir)


# ---------------------------------------------------------------------------------------------
# The split


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 10])
def test_the_shards_are_disjoint_and_cover_the_class(n):
    shards = [shard_of(CLASS, k, n) for k in range(1, n + 1)]
    every = [student for shard in shards for student in shard]
    assert sorted(every) == sorted(CLASS), f"{n} shards {shards} do not hold each student once"
    sizes = [len(shard) for shard in shards]
    assert max(sizes) - min(sizes) <= 1, f"{n} shards are unbalanced: {sizes}"
    for shard in shards:
        assert shard == sorted(shard), shard


def test_the_split_deals_the_sorted_names_round_robin():
    assert shard_of(CLASS, 1, 3) == ["ann", "dan", "zoe"]
    assert shard_of(CLASS, 2, 3) == ["bob", "eve"]
    assert shard_of(CLASS, 3, 3) == ["cat", "fay"]
    assert shard_of(CLASS, 1, 1) == sorted(CLASS)
    assert shard_of(["ann"], 2, 2) == [], "a shard may be empty when N exceeds the class"


def test_every_node_computes_the_same_split_whatever_order_it_lists_the_class_in():
    reordered = list(reversed(CLASS))
    for k in (1, 2, 3):
        assert shard_of(reordered, k, 3) == shard_of(CLASS, k, 3)


def test_choose_students_gives_everyone_the_named_ones_or_a_shard():
    assert choose_students(CLASS) == sorted(CLASS)
    assert choose_students(CLASS, ["eve", "ann"]) == ["ann", "eve"]
    assert choose_students(CLASS, shard=(2, 3)) == ["bob", "eve"]
    with pytest.raises(ValueError, match="cannot be used together"):
        choose_students(CLASS, ["ann"], (1, 2))


# ---------------------------------------------------------------------------------------------
# The batch records


def entry(seconds: float, *faults: str) -> dict:
    return {"graded": True, "seconds": seconds, "faults": list(faults)}


def test_a_shard_writes_its_own_record_and_leaves_the_others_alone(tmp_path):
    whole = grading_record.write_batch_record(tmp_path, "a1", {"ann": entry(1.0)}, 5.0)
    before = whole.read_bytes()
    first = grading_record.write_batch_record(tmp_path, "a1", {"bob": entry(2.0)}, 3.0, (1, 2))
    second = grading_record.write_batch_record(tmp_path, "a1", {"cat": entry(4.0)}, 6.0, (2, 2))
    assert first.name == "a1.shard-1-of-2.batch.json" and second.name == "a1.shard-2-of-2.batch.json"
    assert whole.read_bytes() == before, "a shard changed the record of the whole class"
    one, two = (json.loads(p.read_text()) for p in (first, second))
    assert (set(one["students"]), one["shard"]) == ({"bob"}, [1, 2])
    assert (set(two["students"]), two["shard"]) == ({"cat"}, [2, 2])
    assert grading_record.shard_record_paths(tmp_path, "a1") == {(1, 2): first, (2, 2): second}
    assert grading_record.shard_record_paths(tmp_path, "a") == {}, "another assignment's prefix"


def test_running_a_shard_again_keeps_its_other_students(tmp_path):
    grading_record.write_batch_record(tmp_path, "a1", {"ann": entry(1.0), "cat": entry(1.0)},
                                      2.0, (1, 2))
    path = grading_record.write_batch_record(tmp_path, "a1", {"ann": entry(9.0)}, 9.0, (1, 2))
    students = json.loads(path.read_text())["students"]
    assert students == {"ann": entry(9.0), "cat": entry(1.0)}


def record(path: Path, started: str, ended: str, students: dict, shard=None) -> None:
    data = {"assignment": "a1", "started_at": started, "graded_at": ended, "seconds": 1.0,
            "students": students}
    if shard:
        data["shard"] = list(shard)
    path.write_text(json.dumps(data))


def test_the_report_reads_the_whole_record_unchanged_when_there_are_no_shards(tmp_path):
    path = grading_record.write_batch_record(tmp_path, "a1", {"ann": entry(1.0)}, 5.0)
    assert grading_record.read_batch_records(tmp_path, "a1") == json.loads(path.read_text())
    assert grading_record.read_batch_records(tmp_path / "nowhere", "a1") == {}


def test_shard_records_are_merged_the_newest_entry_of_each_student_winning(tmp_path):
    record(grading_record.batch_record_path(tmp_path, "a1"), "2026-01-01T09:00:00+00:00",
           "2026-01-01T09:10:00+00:00", {"ann": entry(1.0, "old"), "bob": entry(1.0, "old"),
                                         "gus": entry(1.0)})
    record(grading_record.shard_record_path(tmp_path, "a1", (1, 2)),
           "2026-01-02T10:00:00+00:00", "2026-01-02T10:05:00+00:00", {"ann": entry(2.0)}, (1, 2))
    record(grading_record.shard_record_path(tmp_path, "a1", (2, 2)),
           "2026-01-02T10:01:00+00:00", "2026-01-02T10:07:30+00:00", {"bob": entry(3.0)}, (2, 2))
    merged = grading_record.read_batch_records(tmp_path, "a1")
    assert merged["students"] == {"ann": entry(2.0), "bob": entry(3.0), "gus": entry(1.0)}
    assert merged["seconds"] == 450.0, "from the first shard's start to the last one's end"
    assert merged["shards"] == [2, 2]


def test_a_whole_class_run_after_the_shards_wins(tmp_path):
    record(grading_record.shard_record_path(tmp_path, "a1", (1, 2)),
           "2026-01-02T10:00:00+00:00", "2026-01-02T10:05:00+00:00", {"ann": entry(2.0)}, (1, 2))
    record(grading_record.batch_record_path(tmp_path, "a1"), "2026-01-03T09:00:00+00:00",
           "2026-01-03T09:10:00+00:00", {"ann": entry(7.0)})
    merged = grading_record.read_batch_records(tmp_path, "a1")
    assert merged["students"] == {"ann": entry(7.0)}
    assert (merged["seconds"], merged["shards"]) == (1.0, None)


def test_a_missing_shard_is_counted(tmp_path):
    record(grading_record.shard_record_path(tmp_path, "a1", (2, 3)),
           "2026-01-02T10:00:00+00:00", "2026-01-02T10:00:20+00:00", {"bob": entry(2.0)}, (2, 3))
    merged = grading_record.read_batch_records(tmp_path, "a1")
    assert (merged["seconds"], merged["shards"]) == (20.0, [1, 3])
