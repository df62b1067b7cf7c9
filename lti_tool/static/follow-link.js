// The answer to a launch that opens a placed link: go on to the page at once, from the
// tool's own document, so that the next request is same-origin (a redirect of the LMS's
// cross-site launch POST would stay cross-site, and course pages refuse cross-site frames).
// Without JavaScript the link is there to press.
"use strict";
document.querySelectorAll("a[data-follow]").forEach(function (link) {
  window.location.replace(link.href);
});
