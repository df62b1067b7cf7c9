// The end of LTI Dynamic Registration: tell the LMS that opened the registration (its
// window or its frame) that the tool is done, so it closes it (LTI-DR 1.0, section 3.7).
(function () {
  "use strict";
  var lms = window.opener || (window.parent !== window ? window.parent : null);
  function close() {
    if (lms) {
      lms.postMessage({ subject: "org.imsglobal.lti.close" }, "*");
    }
  }
  var button = document.getElementById("registration-close");
  if (button) {
    button.addEventListener("click", close);
  }
  // Once the page has loaded: the LMS removes the frame (or window) when it hears this.
  if (document.readyState === "complete") {
    close();
  } else {
    window.addEventListener("load", close);
  }
})();
