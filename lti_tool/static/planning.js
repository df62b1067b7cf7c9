/* Planning pages: autosave of plan forms (server draft + a copy in this browser) and the
   checklists' ticks. Local times, print buttons and the browser's copy come from
   shared.js (window.Staffroom). No inline script: CSP is script-src 'self'. */
(function () {
  "use strict";

  var SAVE_DELAY_MS = 3000;
  var FIELDS = ["title", "kind", "starts_on", "ends_on", "course_id", "parent_id",
                "objectives", "tags", "body"];

  var shared = window.Staffroom;
  var timeLabel = shared.timeLabel;

  // Markdown checklists ("- [ ] …") render as bare disabled checkboxes: give each one its
  // item's text as its name, or a screen reader announces only "checkbox, not checked".
  document.querySelectorAll(".markdown input.task-list-item-checkbox").forEach(function (box) {
    if (box.labels && box.labels.length) { return; }
    var item = box.closest("li");
    if (!item) { return; }
    var copy = item.cloneNode(true);
    copy.querySelectorAll("ul, ol").forEach(function (list) { list.remove(); });
    var text = copy.textContent.replace(/\s+/g, " ").trim();
    if (text) { box.setAttribute("aria-label", text); }
  });

  // Checklists on the plan page: a tick is sent in the background and the box turns in
  // place (without JavaScript the same form posts and the page comes back ticked).
  var tickStatus = document.querySelector("[data-tick-status]");
  var versionShown = document.querySelector("[data-plan-version]");
  // Said to screen readers; shown as well when nothing was ticked.
  function sayTick(text, failed) {
    if (!tickStatus) { return; }
    tickStatus.textContent = "";
    tickStatus.className = failed ? "flash flash-error" : "visually-hidden";
    window.setTimeout(function () { tickStatus.textContent = text; }, 30);
  }
  document.querySelectorAll("form[data-tick-form]").forEach(function (tickForm) {
    tickForm.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button || !button.classList.contains("task-toggle") || !window.fetch) { return; }
      event.preventDefault();
      if (button.getAttribute("aria-busy") === "true") { return; }
      var data = new FormData(tickForm);
      data.append("tick", button.value);
      button.setAttribute("aria-busy", "true");
      fetch(tickForm.action, {
        method: "POST", credentials: "same-origin", body: data,
        headers: { Accept: "application/json" }
      }).then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      }).then(function (result) {
        if (!result.ok) {
          sayTick((result.body.message || "Nothing was ticked.") + " Reload the page to see the plan as it is now.", true);
          return;
        }
        button.setAttribute("aria-checked", result.body.checked ? "true" : "false");
        button.value = result.body.next;
        if (versionShown && result.body.version) { versionShown.textContent = String(result.body.version); }
        sayTick(result.body.message);
      }).catch(function () {
        sayTick("Staffroom could not be reached: nothing was ticked. Try again in a moment.", true);
      }).then(function () { button.removeAttribute("aria-busy"); });
    });
  });

  // After a successful save the plan page names the draft this browser may drop.
  document.querySelectorAll("[data-clear-draft]").forEach(function (el) {
    shared.localCopy(el.getAttribute("data-clear-draft")).discard();
  });

  var form = document.querySelector("form[data-autosave-url]");
  if (!form) { return; }

  var url = form.getAttribute("data-autosave-url");
  var planKey = form.getAttribute("data-draft-key");
  var copy = shared.localCopy(form.getAttribute("data-storage-key"));
  var status = document.getElementById("autosave-status");
  var timer = null;
  var dirty = false;
  var saving = false;
  var unsafe = false;  // the last change reached neither Staffroom nor this browser's storage
  var submitting = false;

  function field(name) { return form.elements.namedItem(name); }

  function values() {
    var data = {};
    FIELDS.forEach(function (name) {
      var el = field(name);
      if (el && typeof el.value === "string") { data[name] = el.value; }
    });
    return data;
  }

  function baseVersion() {
    var el = field("version");
    var n = el ? parseInt(el.value, 10) : NaN;
    return isNaN(n) ? null : n;
  }

  function say(text) { if (status) { status.textContent = text; } }

  // The copy's time stamp, or null when this browser refuses to keep it.
  function keepLocally(data) {
    return copy.keep({ baseVersion: baseVersion(), data: data });
  }

  function csrfToken() {
    var el = field("csrf_token");
    return el ? el.value : "";
  }

  function save() {
    timer = null;
    if (saving) { timer = window.setTimeout(save, SAVE_DELAY_MS); return; }
    var data = values();
    var kept = keepLocally(data);
    saving = true;
    dirty = false;
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ plan_key: planKey, base_version: baseVersion(), data: data })
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (body) {
      unsafe = false;
      if (kept) { copy.forget(kept); }
      say("Saved as draft at " + timeLabel(new Date(body.saved_at)));
    }).catch(function () {
      dirty = true;
      // No copy in this browser (its storage refused): only this page holds the text,
      // and it is sent again as soon as the connection is back.
      unsafe = !kept;
      say(kept ? "Offline — kept in this browser at " + timeLabel(new Date())
               : "Offline — not saved yet. Keep this page open: your changes are saved " +
                 "as soon as Staffroom can be reached again.");
    }).then(function () { saving = false; });
  }

  function changed() {
    dirty = true;
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(save, SAVE_DELAY_MS);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", function () {
    submitting = true;
    if (timer) { window.clearTimeout(timer); timer = null; }
    keepLocally(values());  // until the plan page confirms the save
  });
  window.addEventListener("online", function () { if (dirty) { save(); } });
  window.addEventListener("beforeunload", function (event) {
    if (!dirty || submitting) { return; }
    if (keepLocally(values()) || !unsafe) { return; }
    // Offline and nowhere to keep a copy: leaving now would lose the text, so ask first.
    event.preventDefault();
    event.returnValue = "";
  });

  // Second line of defence: a copy this browser kept that differs from the form.
  var offer = document.getElementById("local-draft-offer");
  var stored = copy.read();
  var current = values();
  var differs = stored && stored.data && FIELDS.some(function (name) {
    return typeof stored.data[name] === "string" && stored.data[name] !== (current[name] || "");
  });
  if (offer && differs && !document.querySelector(".conflict")) {
    offer.querySelector("[data-local-draft-time]").textContent = shared.dateTimeLabel(new Date(stored.savedAt));
    offer.hidden = false;
    offer.querySelector("[data-local-draft=restore]").addEventListener("click", function () {
      FIELDS.forEach(function (name) {
        var el = field(name);
        if (el && typeof stored.data[name] === "string" && el.value !== stored.data[name]) {
          el.value = stored.data[name];
          // Tell whatever shows the field (the document editor) that its text changed.
          el.dispatchEvent(new Event("input", { bubbles: true }));
        }
      });
      // Edited from an older version? Then saving goes through the conflict check and merge.
      var version = field("version");
      if (version && stored.baseVersion !== null && stored.baseVersion !== undefined) {
        version.value = String(stored.baseVersion);
      }
      offer.hidden = true;
      say("Restored the changes this browser kept. Save to keep them.");
      changed();
      var title = field("title");
      if (title) { title.focus(); }
    });
    offer.querySelector("[data-local-draft=discard]").addEventListener("click", function () {
      copy.discard();
      offer.hidden = true;
      say("Discarded the changes this browser kept.");
    });
  }
}());
