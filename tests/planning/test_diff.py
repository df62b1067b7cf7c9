"""Line diffs and the three-way merge behind the conflict page."""

from __future__ import annotations

from lti_tool.planning.diff import has_conflict_markers, line_diff, merge3, merge_value

BASE = "## Starter\nRecall task\n\n## Main\nMicroscope lab\n\n## Plenary\nExit ticket"


def test_line_diff_marks_added_and_removed_lines_with_numbers():
    lines = [x for x in line_diff("a\nb\nc", "a\nB\nc\nd") if x is not None]
    assert [(x.kind, x.text) for x in lines] == [
        ("same", "a"), ("removed", "b"), ("added", "B"), ("same", "c"), ("added", "d"),
    ]
    assert lines[2].new_number == 2
    assert lines[1].old_number == 2


def test_line_diff_elides_long_unchanged_stretches():
    old = "\n".join(f"line {i}" for i in range(40))
    new = old.replace("line 2\n", "line two\n").replace("line 35", "line thirty-five")
    result = line_diff(old, new, context=2)
    assert None in result  # the unchanged middle is left out
    assert len([x for x in result if x is not None]) < 20


def test_line_diff_ignores_crlf_from_browsers():
    assert line_diff("a\nb", "a\r\nb") == []


def test_non_overlapping_edits_merge_automatically():
    theirs = BASE.replace("Recall task", "Recall quiz on cell parts")
    mine = BASE.replace("Exit ticket", "Exit ticket: one thing I learned")
    result = merge3(BASE, theirs, mine)
    assert result.conflicts == 0
    assert "Recall quiz on cell parts" in result.text
    assert "Exit ticket: one thing I learned" in result.text
    assert not has_conflict_markers(result.text)


def test_overlapping_edits_are_marked_for_the_teacher():
    theirs = BASE.replace("Microscope lab", "Microscope lab with onion cells")
    mine = BASE.replace("Microscope lab", "Microscope lab with cheek cells")
    result = merge3(BASE, theirs, mine, "saved by Bo (version 2)", "your version")
    assert result.conflicts == 1
    assert (
        "<<<<<<< saved by Bo (version 2)\nMicroscope lab with onion cells\n=======\n"
        "Microscope lab with cheek cells\n>>>>>>> your version"
    ) in result.text
    assert "## Starter\nRecall task" in result.text  # untouched lines stay as they were
    assert has_conflict_markers(result.text)


def test_identical_edits_on_both_sides_are_not_a_conflict():
    both = BASE.replace("Recall task", "Retrieval practice")
    result = merge3(BASE, both, both)
    assert result.conflicts == 0
    assert result.text == both


def test_one_sided_changes_and_insertions_at_the_end():
    assert merge3(BASE, BASE, BASE + "\nHomework").text == BASE + "\nHomework"
    assert merge3(BASE, BASE + "\nHomework", BASE).text == BASE + "\nHomework"
    clash = merge3(BASE, BASE + "\nHomework A", BASE + "\nHomework B")
    assert clash.conflicts == 1


def test_merge_value_keeps_the_teachers_value_on_conflict():
    assert merge_value("a", "a", "b") == ("b", False)
    assert merge_value("a", "c", "a") == ("c", False)
    assert merge_value("a", "c", "c") == ("c", False)
    assert merge_value("a", "c", "b") == ("b", True)
