// The answer to a launch that opens a placed link: go on to the page at once, from the
// tool's own document, so that the next request is same-origin (a redirect of the LMS's
// cross-site launch POST would stay cross-site, and course pages refuse cross-site frames).
// In a session without cookies the address carries the session token (session-token.js,
// a deferred script: it has run by then). It goes once the page has loaded, its other
// scripts too: leaving earlier would cut their requests off. Without JavaScript the link
// is there to press.
"use strict";
(function () {
  function follow() {
    document.querySelectorAll("a[data-follow]").forEach(function (link) {
      var withToken = window.staffroomWithToken && window.staffroomWithToken(link.getAttribute("href"));
      window.location.replace(withToken || link.href);
    });
  }
  if (document.readyState === "complete") { follow(); } else { window.addEventListener("load", follow); }
}());
