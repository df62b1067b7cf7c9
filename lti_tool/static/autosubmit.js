// Submit forms marked data-autosubmit (LTI form_post hand-offs); a visible button remains for no-JS.
// Once the page has loaded (its other scripts too): leaving earlier would cut their requests off.
(function () {
  "use strict";
  function submit() {
    document.querySelectorAll("form[data-autosubmit]").forEach(function (form) { form.submit(); });
  }
  if (document.readyState === "complete") { submit(); } else { window.addEventListener("load", submit); }
}());
