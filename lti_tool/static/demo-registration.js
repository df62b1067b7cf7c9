// The practice LMS's "Register a tool by URL": open the registration (frame or window)
// and close it when the tool posts {subject: "org.imsglobal.lti.close"} (LTI-DR 1.0).
"use strict";
(function () {
  var section = document.getElementById("registration");
  if (!section) {
    return;
  }
  var toolOrigin = section.dataset.toolOrigin;
  var popup = null;
  var button = document.getElementById("open-registration-window");
  if (button) {
    button.addEventListener("click", function () {
      popup = window.open(section.dataset.startUrl, "tool-registration", "width=800,height=700");
    });
  }
  window.addEventListener("message", function (event) {
    if (event.origin !== toolOrigin || !event.data || event.data.subject !== "org.imsglobal.lti.close") {
      return;
    }
    if (popup && !popup.closed) {
      popup.close();
    }
    var frame = section.querySelector("iframe");
    if (frame) {
      frame.remove();
    }
    document.getElementById("registration-status").textContent = "The tool finished the registration.";
    window.location.assign(section.dataset.doneUrl);
  });
})();
