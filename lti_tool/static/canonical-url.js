// A page sent in answer to a form POST (the LTI launch) names its own address in
// <link rel="canonical">. Putting that address in the browser's history makes a reload
// or a "back" a plain GET of the page instead of a resubmission of the launch form.
(function () {
  "use strict";
  var link = document.querySelector('link[rel="canonical"]');
  if (!link || !window.history || !window.history.replaceState) {
    return;
  }
  if (link.href !== window.location.href) {
    window.history.replaceState(window.history.state, "", link.href);
  }
})();
