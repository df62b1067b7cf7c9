// lti.frameResize: inside the LMS frame, tell the LMS the page's height so that it fits
// the frame without an inner scroll bar (Canvas, and the practice LMS, honour it). Sent
// to the course's LMS origin (the launch's return URL) when known; the height is all it says.
(function () {
  "use strict";
  if (window.parent === window || !window.postMessage) { return; }
  var origin = document.body.getAttribute("data-frame-origin") || "*";
  var sent = 0;
  var queued = false;
  var SHRINK_LEEWAY = 8;

  // The height the page needs: grow to what overflows the frame; shrink to the content
  // when it is clearly shorter (a few pixels of leeway, so the two never alternate).
  function wanted() {
    var doc = document.documentElement;
    var content = Math.ceil(doc.getBoundingClientRect().height);
    if (doc.scrollHeight > window.innerHeight) { return Math.max(doc.scrollHeight, content); }
    return content + SHRINK_LEEWAY < window.innerHeight ? content : null;
  }

  function post() {
    queued = false;
    var now = wanted();
    if (now === null || now === sent) { return; }
    sent = now;
    window.parent.postMessage({ subject: "lti.frameResize", height: now }, origin);
  }

  function soon() {
    if (!queued) { queued = true; window.requestAnimationFrame(post); }
  }

  post();
  window.addEventListener("load", soon);
  window.addEventListener("resize", soon);  // the LMS changed the frame: check again
  if (window.ResizeObserver) { new window.ResizeObserver(soon).observe(document.body); }
}());
