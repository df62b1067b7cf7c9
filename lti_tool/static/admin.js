/* Staffroom admin: "Copy" buttons on the "Set up in your LMS" page, and a question before
   a change that cannot be undone.
   Each Copy button names the element holding its value in data-copy-target; the result is
   announced through the page's polite live region (#copy-status). A form with data-confirm
   asks its question (the browser's own dialog) before it is sent. No inline script (CSP). */
(function () {
  "use strict";

  var status = document.getElementById("copy-status");

  function announce(message) {
    if (!status) { return; }
    // Clear first so that copying twice in a row is announced twice.
    status.textContent = "";
    window.setTimeout(function () { status.textContent = message; }, 50);
  }

  function selectText(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function fallbackCopy(element) {
    selectText(element);
    try {
      return document.execCommand("copy");
    } catch (e) {
      return false;
    }
  }

  function showCopied(button) {
    var label = button.querySelector(".copy-label");
    if (!label) { return; }
    label.textContent = "Copied";
    window.setTimeout(function () { label.textContent = "Copy"; }, 2000);
  }

  function copy(button) {
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    if (!target) { return; }
    var text = target.textContent.trim();
    var done = function () { showCopied(button); announce("Copied"); };
    var failed = function () {
      if (fallbackCopy(target)) {
        done();
      } else {
        selectText(target);
        announce("Copying is blocked: the value is selected, press Ctrl+C or Cmd+C to copy it");
      }
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, failed);
    } else {
      failed();
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy-target]");
    if (button) { copy(button); }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
})();
