// The practice LMS's side of the tool's frame, as an LMS offers it:
// - LTI postMessage Storage: lti.capabilities, lti.put_data and lti.get_data, answered only
//   for the tool's origin (the iframe's), each origin with its own store, kept in this page;
// - lti.frameResize: the frame takes the height the tool asks for (no inner scroll bar).
(function () {
  "use strict";
  var store = {};
  var MAX_HEIGHT = 20000;

  function reply(event, message) {
    message.message_id = event.data.message_id;
    event.source.postMessage(message, event.origin);
  }

  // Listening from the start (this script runs before the frame is in the page); the
  // frame and the tool's origin are looked up when a message comes.
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || typeof data !== "object" || typeof data.subject !== "string") { return; }
    var frame = document.querySelector("iframe[data-tool-origin]");
    if (!frame) { return; }
    var toolOrigin = frame.getAttribute("data-tool-origin");
    if (event.origin !== toolOrigin || event.source !== frame.contentWindow) {
      if (data.subject.indexOf("lti.") === 0 && event.source) {
        reply(event, { subject: data.subject + ".response",
                       error: { code: "wrong_origin", message: "Only the tool's frame may ask." } });
      }
      return;
    }
    var mine = store[event.origin] || (store[event.origin] = {});
    switch (data.subject) {
      case "lti.capabilities":
        reply(event, { subject: "lti.capabilities.response", supported_messages: [
          { subject: "lti.capabilities" },
          { subject: "lti.put_data", frame: "_parent" },
          { subject: "lti.get_data", frame: "_parent" },
          { subject: "lti.frameResize" }
        ] });
        break;
      case "lti.put_data":
        if (typeof data.key !== "string" || typeof data.value !== "string") {
          reply(event, { subject: "lti.put_data.response",
                         error: { code: "bad_request", message: "key and value are required" } });
          return;
        }
        mine[data.key] = data.value;
        reply(event, { subject: "lti.put_data.response", key: data.key, value: data.value });
        break;
      case "lti.get_data":
        if (typeof data.key !== "string" || !Object.prototype.hasOwnProperty.call(mine, data.key)) {
          reply(event, { subject: "lti.get_data.response", key: data.key,
                         error: { code: "bad_request", message: "nothing is stored under this key" } });
          return;
        }
        reply(event, { subject: "lti.get_data.response", key: data.key, value: mine[data.key] });
        break;
      case "lti.frameResize":
        var height = Number(data.height);
        if (isFinite(height) && height > 0) {
          // The height of the page inside, plus the frame's own border.
          var border = frame.offsetHeight - frame.clientHeight;
          var wanted = Math.min(Math.ceil(height), MAX_HEIGHT) + border;
          // A shorter page keeps the taller frame until the person scrolls back up: shrinking
          // under someone scrolled down would move what they were about to press.
          if (wanted >= frame.offsetHeight || frame.getBoundingClientRect().top >= 0) {
            frame.style.height = wanted + "px";
          }
        }
        break;
      default:
        reply(event, { subject: data.subject + ".response",
                       error: { code: "unsupported_subject", message: "Not offered here." } });
    }
  });
}());
