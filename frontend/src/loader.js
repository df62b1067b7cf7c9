/* Loads the editor (editor.css, then editor.js) on pages that have a Markdown text box,
   and on no other page. Every page includes this small script; the editor itself is
   fetched only where <textarea data-editor="markdown"> asks for it. */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || !document.querySelector('textarea[data-editor="markdown"]')) { return; }
  var base = me.src.replace(/[^/?#]*([?#].*)?$/, "");
  var started = false;
  function script() {
    if (started) { return; }
    started = true;
    var el = document.createElement("script");
    el.src = base + "editor.js";
    document.head.appendChild(el);
  }
  var css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = base + "editor.css";
  css.addEventListener("load", script);
  css.addEventListener("error", script);
  document.head.appendChild(css);
}());
