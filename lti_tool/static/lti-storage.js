// LTI postMessage Storage (checklist P1-P3): the state and nonce of a launch kept in the
// LMS's window, for browsers that block the tool's cookies inside the course page.
// Messages go to the LMS's origin only (never to any origin), and an answer counts only when it comes
// from that origin and carries the message_id of our request.
(function () {
  "use strict";
  var box = document.querySelector("[data-lti-storage]");
  if (!box) { return; }
  var next = box.querySelector("[data-lti-storage-next]");
  var mode = box.getAttribute("data-lti-storage");
  var origin = box.getAttribute("data-origin");
  var fallbackTarget = box.getAttribute("data-target");
  var state = box.getAttribute("data-state");
  var nonce = box.getAttribute("data-nonce");
  var keys = { state: "lti_state_" + state, nonce: "lti_nonce_" + nonce };
  var waiting = {};

  function messageId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return String(Date.now()) + "-" + String(Math.random()).slice(2);
  }

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.origin !== origin || !data || typeof data !== "object") { return; }
    var answer = waiting[data.message_id];
    if (answer) { delete waiting[data.message_id]; answer(data); }
  });

  // One request; resolves with the answer, or null (an error, or no answer in time).
  function ask(frame, message, waitMs) {
    return new Promise(function (resolve) {
      var id = messageId();
      var timer = window.setTimeout(function () { delete waiting[id]; resolve(null); }, waitMs);
      waiting[id] = function (data) {
        window.clearTimeout(timer);
        resolve(data.subject === message.subject + ".response" && !data.error ? data : null);
      };
      message.message_id = id;
      try { frame.postMessage(message, origin); } catch (e) { window.clearTimeout(timer); resolve(null); }
    });
  }

  function frameNamed(name) {
    if (name === "_parent") { return window.parent; }
    try { return window.parent.frames[name] || null; } catch (e) { return null; }
  }

  // The frame that answers: the one lti.capabilities names, else lti_storage_target's.
  function storageFrame(subject) {
    return ask(window.parent, { subject: "lti.capabilities" }, 600).then(function (caps) {
      var offered = caps && Array.isArray(caps.supported_messages) ? caps.supported_messages : [];
      for (var i = 0; i < offered.length; i += 1) {
        if (offered[i] && offered[i].subject === subject) {
          return frameNamed(offered[i].frame || fallbackTarget);
        }
      }
      return frameNamed(fallbackTarget);
    });
  }

  function goOn() {
    if (mode === "put") { window.location.href = next.getAttribute("href"); } else { next.submit(); }
  }

  function start() {
  if (window.parent === window) { goOn(); return; }  // not in a frame: the cookie works
  if (mode === "put") {
    storageFrame("lti.put_data").then(function (frame) {
      if (!frame) { return null; }
      return Promise.all([
        ask(frame, { subject: "lti.put_data", key: keys.state, value: state }, 2000),
        ask(frame, { subject: "lti.put_data", key: keys.nonce, value: nonce }, 2000)
      ]);
    }).then(goOn, goOn);
  } else {
    storageFrame("lti.get_data").then(function (frame) {
      if (!frame) { return []; }
      return Promise.all([
        ask(frame, { subject: "lti.get_data", key: keys.state }, 2000),
        ask(frame, { subject: "lti.get_data", key: keys.nonce }, 2000)
      ]);
    }).then(function (answers) {
      var names = ["lti_storage_state", "lti_storage_nonce"];
      var wanted = [keys.state, keys.nonce];
      names.forEach(function (name, i) {
        var answer = answers[i];
        if (answer && answer.key === wanted[i] && typeof answer.value === "string") {
          next.elements.namedItem(name).value = answer.value;
        }
      });
      goOn();
    }, goOn);
  }
  }

  // Once the page has loaded (its other scripts too): leaving earlier would cut them off.
  if (document.readyState === "complete") { start(); } else { window.addEventListener("load", start); }
}());
