// lti.frameResize: inside the LMS frame, tell the LMS the page's height so that it fits
// the frame without an inner scroll bar (Canvas, and the practice LMS, honour it). Sent
// to the course's LMS origin (the launch's return URL) when known; the height is all it says.
(function () {
  "use strict";
  if (window.parent === window || !window.postMessage) { return; }
  var origin = document.body.getAttribute("data-frame-origin") || "*";
  var sent = 0;
  var queued = false;

  function height() {
    var body = document.body;
    var style = window.getComputedStyle(body);
    return Math.ceil(body.getBoundingClientRect().height +
      parseFloat(style.marginTop || "0") + parseFloat(style.marginBottom || "0"));
  }

  function post() {
    queued = false;
    var now = height();
    if (now === sent) { return; }
    sent = now;
    window.parent.postMessage({ subject: "lti.frameResize", height: now }, origin);
  }

  function soon() {
    if (!queued) { queued = true; window.requestAnimationFrame(post); }
  }

  post();
  window.addEventListener("load", soon);
  if (window.ResizeObserver) { new window.ResizeObserver(soon).observe(document.body); }
}());
