"""The page benchmark at a tiny size, as a regression guard that is not a timing.

``bench/pages.py`` fills a school through the tool's own launches, roster sync and
services, then opens every main page as a signed-in teacher. Here it runs at two
tiny sizes (two schools on two platforms in the test database) and every page must
answer 200 with the same number of SQL statements at both sizes (no N+1), send them
all at once (the count never varies between requests), and write nothing on the
request path (bookkeeping is done after the response is sent), but for a page that
says why it must (reading notes is audited before they are shown), whose writes must
then be the same at both sizes.
"""

from __future__ import annotations

from bench.pages import PAGES, Scale, build_school, measure

TINY = Scale("tiny", learners=12, teachers=6, plans=24, revisions=2, tasks=60, comments=60,
             observations=6, notes=30)
DOUBLE = TINY.scaled("double", 2)


def _run(app, scale: Scale, tag: str):  # type: ignore[no-untyped-def]
    school = build_school(app, scale, tag=tag)
    try:
        return measure(school, repeats=2, warmup=1)
    finally:
        school.lms.close()


def test_every_page_costs_the_same_statements_at_two_sizes(app):
    assert DOUBLE.teachers > TINY.teachers
    assert DOUBLE.plans > TINY.plans
    assert DOUBLE.observations > TINY.observations
    assert DOUBLE.notes > TINY.notes
    small, large = _run(app, TINY, "a"), _run(app, DOUBLE, "b")
    assert set(small) == set(large) == set(PAGES)
    for name in PAGES:
        for result in (small[name], large[name]):
            assert result.ok, (name, result.statuses)
            assert len(set(result.statements)) == 1, (name, result.statements)
            if not PAGES[name].writes:
                assert max(result.writes) == 0, f"{name} writes on the request path"
        assert small[name].writes == large[name].writes, (name, "writes grow with data")
        assert small[name].sql == large[name].sql, (
            f"{name}: {small[name].sql} statements with {TINY}, {large[name].sql} with {DOUBLE}"
        )
    # What the pages defer is done after the response: a visit, mentions seen, changes seen.
    assert max(large["space"].after) > 0
    assert max(large["plan"].after) > 0
    assert max(large["dashboard"].after) > 0
