/* Peer observation pages: the lesson form's autosave. Local times, print buttons and the
   browser's copy come from shared.js (window.Staffroom). No inline script: CSP is
   script-src 'self'.

   The lesson form saves everything it holds (notes, ratings, evidence, answers) a moment
   after each change: to Staffroom with the session's CSRF token; when the session has
   ended (an expired or dropped cookie), with the key this page carries, to the resume
   endpoint; and, where this browser allows it, a copy in localStorage until Staffroom has
   it. A dropped connection is retried when it comes back. */
(function () {
  "use strict";

  var SAVE_DELAY_MS = 1500;
  var RETRY_MS = 15000;

  var shared = window.Staffroom;
  var timeLabel = shared.timeLabel;

  var form = document.querySelector("form.lesson-form[data-autosave-url]");
  if (!form) { return; }

  var url = form.getAttribute("data-autosave-url");
  var resumeUrl = form.getAttribute("data-resume-url");
  var resumeKey = form.getAttribute("data-resume-key");
  var copy = shared.localCopy(form.getAttribute("data-storage-key"));
  var status = document.getElementById("autosave-status");
  var list = document.getElementById("note-list");
  var template = document.getElementById("note-template");
  var composer = document.getElementById("new-note-body");
  var timer = null;
  var retry = null;
  var dirty = false;
  var saving = false;
  var sessionGone = false;
  var unsafe = false;
  var submitting = false;
  var pendingSubmit = null;

  function say(text) { if (status) { status.textContent = text; } }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) { return "n" + window.crypto.randomUUID().replace(/-/g, "").slice(0, 20); }
    return "n" + Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
  }

  function versionField() { return form.elements.namedItem("version"); }
  function version() { return parseInt(versionField().value, 10) || 0; }

  function values() {
    var notes = [];
    list.querySelectorAll("li[data-note]").forEach(function (li) {
      var key = li.getAttribute("data-note");
      var tag = li.querySelector("select");
      var body = li.querySelector("textarea");
      var at = li.querySelector("input[name$='-at'], input[data-field=at]");
      notes.push({ key: key, tag: tag ? tag.value : "note", body: body ? body.value : "",
                   at: at ? at.value : "" });
    });
    var ratings = {};
    form.querySelectorAll("fieldset[data-criterion]").forEach(function (set) {
      var key = set.getAttribute("data-criterion");
      var checked = set.querySelector("input[type=radio]:checked");
      var evidence = set.querySelector("textarea");
      ratings[key] = { rating: checked ? checked.value : "", evidence: evidence ? evidence.value : "" };
    });
    var answers = {};
    form.querySelectorAll("textarea[name^='answer-']").forEach(function (el) {
      answers[el.name.slice("answer-".length)] = el.value;
    });
    return { notes: notes, ratings: ratings, answers: answers };
  }

  function keepLocally(data) { return copy.keep({ data: data }); }

  function csrfToken() {
    var el = form.elements.namedItem("csrf_token");
    return el ? el.value : "";
  }

  function post(target, headers, body) {
    headers["Content-Type"] = "application/json";
    return fetch(target, { method: "POST", credentials: "same-origin", headers: headers,
                           body: JSON.stringify(body) });
  }

  function isJson(response) {
    return (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
  }

  // The session's endpoint first; if the session is gone (an HTML refusal: not launched,
  // or a CSRF token without its session), the resume endpoint with this page's key.
  function send(body) {
    if (sessionGone) {
      return post(resumeUrl, { "X-Resume-Key": resumeKey }, body);
    }
    return post(url, { "X-CSRFToken": csrfToken() }, body).then(function (response) {
      if (!response.ok && !isJson(response) && resumeUrl && resumeKey) {
        sessionGone = true;
        // Read the refusal to its end (an unread body stays open until the page goes).
        return response.text().catch(function () { return ""; }).then(function () {
          return post(resumeUrl, { "X-Resume-Key": resumeKey }, body);
        });
      }
      return response;
    });
  }

  function save() {
    timer = null;
    if (saving) { schedule(); return; }
    var data = values();
    var kept = keepLocally(data);
    var body = { version: version(), notes: data.notes, ratings: data.ratings, answers: data.answers };
    saving = true;
    dirty = false;
    send(body).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        return { response: response, json: json };
      });
    }).then(function (result) {
      var response = result.response, json = result.json;
      if (response.ok) {
        versionField().value = String(json.version);
        unsafe = false;
        if (kept) { copy.forget(kept); }
        say((sessionGone ? "Saved at " + timeLabel(new Date()) + ". Your Staffroom session has " +
             "ended: open Staffroom again from your course before you share. Nothing is lost."
             : "Saved at " + timeLabel(new Date(json.saved_at))));
        return;
      }
      dirty = true;
      if (response.status === 409) {
        say("Not saved: this observation was saved from another window meanwhile. What you " +
            "typed is still here" + (kept ? " and kept in this browser" : "") +
            ": reload the page to see the other window's notes, then add yours again.");
      } else if (response.status === 400 && json.error) {
        dirty = false;
        say("Not saved: " + json.error);
      } else {
        unsafe = !kept;
        say("Not saved yet (" + (json.error || "HTTP " + response.status) + "). " +
            (kept ? "Kept in this browser; " : "Keep this page open; ") +
            "open Staffroom again from your course and your notes are saved.");
        retryLater();
      }
    }).catch(function () {
      dirty = true;
      unsafe = !kept;
      say(kept ? "Offline — kept in this browser at " + timeLabel(new Date()) + "; saved when the connection is back."
               : "Offline — not saved yet. Keep this page open: your notes are saved as soon " +
                 "as Staffroom can be reached again.");
      retryLater();
    }).then(function () {
      saving = false;
      if (pendingSubmit && !dirty) {
        var submitter = pendingSubmit;
        pendingSubmit = null;
        submitting = true;
        if (!form.requestSubmit) { form.submit(); } else if (submitter) { form.requestSubmit(submitter); } else { form.requestSubmit(); }
      }
    });
  }

  function retryLater() {
    if (retry) { return; }
    retry = window.setTimeout(function () { retry = null; if (dirty) { save(); } }, RETRY_MS);
  }

  function schedule() {
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(save, SAVE_DELAY_MS);
  }

  function changed() { dirty = true; schedule(); }

  function wireNote(li) {
    var remove = li.querySelector("[data-remove-note]");
    if (remove) {
      remove.hidden = false;
      remove.addEventListener("click", function () {
        var next = li.nextElementSibling || li.previousElementSibling;
        li.remove();
        changed();
        say("Note removed.");
        if (next) { var area = next.querySelector("textarea"); if (area) { area.focus(); } }
        else if (composer) { composer.focus(); }
      });
    }
  }

  function addNote(tag, text, at, key) {
    var fragment = template.content.cloneNode(true);
    var li = fragment.querySelector("li");
    key = key || newKey();
    li.setAttribute("data-note", key);
    li.querySelector("input[name=note_key]").value = key;
    var atField = li.querySelector("input[data-field=at]");
    atField.name = "note-" + key + "-at";
    atField.value = at;
    var time = li.querySelector("time[data-note-time]");
    time.setAttribute("datetime", at);
    time.textContent = timeLabel(new Date(at));
    var select = li.querySelector("select[data-field=tag]");
    select.id = select.name = "note-" + key + "-tag";
    select.value = tag;
    li.querySelector("label[data-for=tag]").htmlFor = select.id;
    var area = li.querySelector("textarea[data-field=body]");
    area.id = area.name = "note-" + key + "-body";
    area.value = text;
    li.querySelector("label[data-for=body]").htmlFor = area.id;
    list.insertBefore(li, list.firstChild);
    wireNote(li);
    return li;
  }

  list.querySelectorAll("li[data-note]").forEach(wireNote);

  function addFromComposer() {
    var text = composer.value;
    if (!text.trim()) { composer.focus(); return; }
    var checked = form.querySelector("input[name=new_note_tag]:checked");
    addNote(checked ? checked.value : "note", text, new Date().toISOString());
    composer.value = "";
    composer.focus();
    say("Note added.");
    changed();
  }

  var addButton = form.querySelector("[data-add-note]");
  if (addButton) {
    addButton.addEventListener("click", function (event) { event.preventDefault(); addFromComposer(); });
  }
  if (composer) {
    composer.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); addFromComposer(); }
    });
  }

  form.addEventListener("input", function (event) {
    if (event.target === composer) { return; }  // an unfinished note is kept below, not saved
    changed();
  });
  form.addEventListener("change", function (event) {
    if (event.target === composer || event.target.name === "new_note_tag") { return; }
    changed();
  });
  form.addEventListener("submit", function (event) {
    if (submitting) { return; }
    if (timer) { window.clearTimeout(timer); timer = null; }
    if (composer && composer.value.trim()) { addFromComposer(); }
    if (saving || dirty) {
      // Share or save only once the latest autosave has settled, with its version.
      event.preventDefault();
      pendingSubmit = event.submitter || null;
      if (!saving) { save(); }
      return;
    }
    submitting = true;
    keepLocally(values());
  });
  window.addEventListener("online", function () { if (dirty) { save(); } });
  window.addEventListener("beforeunload", function (event) {
    if (submitting) { return; }
    var unfinished = composer && composer.value.trim();
    if (!dirty && !unfinished) { return; }
    if (keepLocally(values()) && !unfinished && !unsafe) { return; }
    event.preventDefault();
    event.returnValue = "";
  });

  // A copy this browser kept (a previous session, a dropped connection) that Staffroom lacks.
  var offer = document.getElementById("local-copy-offer");
  var stored = copy.read();
  function differs(kept) {
    if (!kept || !kept.data) { return false; }
    return JSON.stringify(kept.data) !== JSON.stringify(values());
  }
  if (offer && differs(stored)) {
    offer.querySelector("[data-local-time-of-copy]").textContent = shared.dateTimeLabel(new Date(stored.savedAt));
    offer.hidden = false;
    offer.querySelector("[data-local-copy=restore]").addEventListener("click", function () {
      var data = stored.data;
      (data.notes || []).slice().reverse().forEach(function (note) {
        var li = list.querySelector("li[data-note='" + (window.CSS && CSS.escape ? CSS.escape(note.key) : note.key) + "']");
        if (li) {
          li.querySelector("select").value = note.tag;
          li.querySelector("textarea").value = note.body;
        } else {
          addNote(note.tag, note.body, note.at || new Date().toISOString(), note.key);
        }
      });
      Object.keys(data.ratings || {}).forEach(function (key) {
        var set = form.querySelector("fieldset[data-criterion='" + key + "']");
        if (!set) { return; }
        var value = data.ratings[key];
        set.querySelectorAll("input[type=radio]").forEach(function (radio) { radio.checked = radio.value === value.rating; });
        var evidence = set.querySelector("textarea");
        if (evidence) { evidence.value = value.evidence; }
      });
      Object.keys(data.answers || {}).forEach(function (key) {
        var area = form.elements.namedItem("answer-" + key);
        if (area) { area.value = data.answers[key]; }
      });
      offer.hidden = true;
      say("Restored the notes this browser kept; saving them now.");
      changed();
    });
    offer.querySelector("[data-local-copy=discard]").addEventListener("click", function () {
      copy.discard();
      offer.hidden = true;
      say("Discarded the notes this browser kept.");
    });
  }
}());
