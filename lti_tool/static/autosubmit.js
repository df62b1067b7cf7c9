// Submit forms marked data-autosubmit (LTI form_post hand-offs); a visible button remains for no-JS.
document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
  form.submit();
});
