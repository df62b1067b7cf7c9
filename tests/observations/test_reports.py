"""Coverage (names only, this term), growth (one's own), aggregates (five or more)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa

from lti_tool.extensions import db
from lti_tool.observations import reports
from lti_tool.observations.models import Observation
from tests.observations.conftest import base, page, to_shared


@pytest.mark.parametrize(("today", "starts", "ends"), [
    (date(2026, 12, 6), date(2026, 9, 1), date(2027, 1, 1)),
    (date(2027, 1, 1), date(2027, 1, 1), date(2027, 4, 15)),
    (date(2027, 4, 14), date(2027, 1, 1), date(2027, 4, 15)),
    (date(2027, 8, 31), date(2027, 4, 15), date(2027, 9, 1)),
])
def test_the_term_around_a_day(app, today, starts, ends):
    term = reports.term_of(today, ["09-01", "01-01", "04-15"])
    assert (term.starts, term.ends) == (starts, ends)


def test_the_terms_are_configurable_and_bad_entries_are_ignored(app):
    term = reports.term_of(date(2026, 3, 1), ["02-30", "08-15", "nonsense", "02-01"])
    assert (term.starts, term.ends) == (date(2026, 2, 1), date(2026, 8, 15))
    app.config["OBSERVATION_TERM_STARTS"] = ["01-01", "07-01"]
    assert reports.term_of(date(2026, 3, 1)).starts == date(2026, 1, 1)


def test_coverage_names_only(amara, tomasz, people):
    people("teacher-3", "Priya Raman")
    to_shared(tomasz, amara, notes=[{"key": "c1", "tag": "note", "body": "Private words",
                                     "at": ""}])
    html = page(amara.get(f"{base(amara)}/coverage"))
    assert "Private words" not in html
    observed = html.split('id="not-observed-heading"')[1].split("</section>")[0]
    observing = html.split('id="not-observing-heading"')[1].split("</section>")[0]
    assert "Amara Okafor" not in observed
    assert "Tomasz Nowak" in observed
    assert "Priya Raman" in observed
    assert "Tomasz Nowak" not in observing
    assert "Amara Okafor" in observing
    assert "Priya Raman" in observing


def test_an_observation_of_last_term_does_not_count_this_term(amara, tomasz):
    oid = to_shared(tomasz, amara)
    db.session.execute(sa.update(Observation).where(Observation.id == oid).values(
        started_at=datetime(2001, 1, 5)))
    db.session.commit()
    html = page(amara.get(f"{base(amara)}/coverage"))
    observed = html.split('id="not-observed-heading"')[1].split("</section>")[0]
    assert "Amara Okafor" in observed


def test_growth_is_ones_own_ratings_over_time_as_svg_and_a_table(amara, tomasz):
    first = to_shared(tomasz, amara, rating="2")
    second = to_shared(tomasz, amara, rating="3")
    db.session.execute(sa.update(Observation).where(Observation.id == first).values(
        shared_at=datetime(2026, 10, 1)))
    db.session.commit()
    html = page(amara.get(f"{base(amara)}/growth"))
    assert html.count("<svg") >= 1
    assert '<path class="line"' in html
    assert "Developing, then Proficient" in html  # the chart's text alternative, in order
    assert "<table>" in html
    assert f"/observations/{second}" in html
    assert "https://" not in html.split("<main")[1].split("</main>")[0].split("<svg")[1][:200]
    # Tomasz was the observer, not the observee: he has no growth from these.
    assert "Nothing to show yet" in page(tomasz.get(f"{base(tomasz)}/growth"))


def test_aggregates_appear_only_from_five_observations(app, amara, tomasz, people):
    priya = people("teacher-3", "Priya Raman")
    look_for = "Questions drew out and checked what learners think"
    for _ in range(4):
        to_shared(tomasz, amara, rating="3")
    result = reports.aggregate(threshold=5)
    assert result.observations == 4
    assert result.rows == []
    assert result.withheld > 0
    html = page(priya.get(f"{base(priya)}/report"))
    assert look_for not in html
    assert "Not enough observations yet" in html
    to_shared(amara, tomasz, rating="4")  # the fifth: another pair
    html = page(priya.get(f"{base(priya)}/report"))
    assert look_for in html
    result = reports.aggregate(platform_id=None, threshold=5)
    row = next(r for r in result.rows if r.criterion == look_for)
    assert (row.observations, row.counts) == (5, {3: 4, 4: 1})
    for name in ("Amara Okafor", "Tomasz Nowak"):  # never who
        assert name not in html.split("<main")[1].split('class="whoami"')[0]
        table = html.split('<table class="counts">')[1].split("</table>")[0]
        assert name not in table


def test_a_look_for_below_the_threshold_is_withheld_while_others_show(app, amara, tomasz):
    for _ in range(5):
        to_shared(tomasz, amara, rating="1")
    from lti_tool.observations.models import ObservationRating

    rows = db.session.scalars(sa.select(ObservationRating).where(
        ObservationRating.criterion == "Routines and transitions kept time for learning")).all()
    for r in rows[:2]:
        r.rating = None
    db.session.commit()
    result = reports.aggregate(platform_id=None, threshold=5)
    shown = {r.criterion for r in result.rows}
    assert "Routines and transitions kept time for learning" not in shown
    assert "Learners felt safe to try, be wrong and ask for help" in shown
