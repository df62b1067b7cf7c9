"""The practice LMS offers its platform storage and honours lti.frameResize (issue 14)."""

from __future__ import annotations

from lti_tool.demo.oidc import STORAGE_TARGET
from tests.demo.conftest import LMS, TOOL, iframe_src, post_form, query

TEACHER = "1001"


def test_the_course_page_offers_its_storage_to_the_tool_frame_only(client):
    page = client.get(f"{LMS}/demo/staffroom?as={TEACHER}").get_data(as_text=True)
    assert f'data-tool-origin="{TOOL}"' in page
    assert "/static/demo-frame.js" in page
    assert query(iframe_src(page))["lti_storage_target"] == STORAGE_TARGET == "_parent"
    script = open("lti_tool/static/demo-frame.js").read()  # noqa: PTH123, SIM115
    # Answers only the tool's frame, at the tool's origin; never stores for anyone else.
    assert "event.origin !== toolOrigin || event.source !== frame.contentWindow" in script
    assert "event.source.postMessage(message, event.origin)" in script
    for subject in ("lti.capabilities", "lti.put_data", "lti.get_data", "lti.frameResize"):
        assert f'"{subject}"' in script


def test_the_tool_stores_its_state_there_and_the_auth_answer_names_the_target(browser, client):
    login = client.get(iframe_src(client.get(f"{LMS}/demo/staffroom?as={TEACHER}")
                                  .get_data(as_text=True)))
    page = login.get_data(as_text=True)
    assert login.status_code == 200
    assert 'data-lti-storage="put" data-target="_parent"' in page
    assert f'data-origin="{LMS}"' in page  # the practice LMS's auth origin, not "*"
    auth = client.get(browser.auth_request(TEACHER))
    _, fields = post_form(auth.get_data(as_text=True))
    assert fields["lti_storage_target"] == "_parent"
