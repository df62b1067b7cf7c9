/* What the planning and observation pages share: times in the reader's own zone, print
   buttons, and the copy of a form's unsaved text that this browser keeps until Staffroom
   has it. Loaded (deferred) before planning.js and observations.js, which use
   window.Staffroom. No inline script: CSP is script-src 'self'. */
(function () {
  "use strict";

  var lang = document.documentElement.lang || "en";
  var shared = window.Staffroom = window.Staffroom || {};

  shared.timeLabel = function (date) {
    return date.toLocaleTimeString([lang], { hour: "2-digit", minute: "2-digit" });
  };

  shared.dateTimeLabel = function (date) {
    return date.toLocaleString([lang]);
  };

  // Times are rendered in UTC by the server; show them in the reader's own zone.
  shared.localTimes = function (root) {
    root.querySelectorAll("time[data-local-time]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (!isNaN(when)) {
        el.textContent = when.toLocaleString([lang], { dateStyle: "medium", timeStyle: "short" });
      }
    });
  };

  // A copy kept in localStorage under one key: { savedAt, ...fields }. Browsers that block
  // third-party storage (Chrome with third-party cookies blocked, as in incognito) refuse
  // it inside the LMS frame: then keep() answers null and the page says so.
  shared.localCopy = function (storageKey) {
    return {
      // The copy's time stamp, or null when this browser refuses to keep it.
      keep: function (fields) {
        var savedAt = new Date().toISOString();
        var copy = { savedAt: savedAt };
        Object.keys(fields).forEach(function (name) { copy[name] = fields[name]; });
        try {
          window.localStorage.setItem(storageKey, JSON.stringify(copy));
          return savedAt;
        } catch (e) {
          return null;
        }
      },
      // Once Staffroom holds the text, the copy of that same text goes (keeping it would
      // offer the same changes twice on the next visit); a newer copy, typed while the
      // save was on its way, stays.
      forget: function (savedAt) {
        try {
          var stored = JSON.parse(window.localStorage.getItem(storageKey) || "null");
          if (stored && stored.savedAt === savedAt) { window.localStorage.removeItem(storageKey); }
        } catch (e) { /* storage refused: nothing was kept */ }
      },
      read: function () {
        try { return JSON.parse(window.localStorage.getItem(storageKey) || "null"); } catch (e) { return null; }
      },
      discard: function () {
        try { window.localStorage.removeItem(storageKey); } catch (e) { /* private mode */ }
      }
    };
  };

  shared.localTimes(document);
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
}());
