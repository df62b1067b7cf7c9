// Sessions without cookies (lti_tool/courses/sessions.py). When the browser blocks the
// tool's cookies in the LMS frame, the page names a session token in
// <meta name="staffroom-session">; the server already put it in the addresses of this
// page's links and forms (the _st parameter). This script keeps it current and sends it
// with the page's own requests:
// - fetch and XMLHttpRequest to this tool's origin send it as X-Staffroom-Session (the
//   autosaves, the mention suggestions), and every answer that carries a renewed token
//   replaces it;
// - a link or form of this tool that carries a token carries the latest one when used.
// It never goes to another origin.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="staffroom-session"]');
  if (!meta || !window.URL) { return; }
  var HEADER = "X-Staffroom-Session";
  var PARAM = "_st";
  var token = meta.getAttribute("content");

  function ours(url) {
    try { return new URL(url, window.location.href).origin === window.location.origin; } catch (e) { return false; }
  }

  function renew(response) {
    var renewed = response.headers.get(HEADER);
    if (renewed) { token = renewed; }
    return response;
  }

  if (window.fetch) {
    var originalFetch = window.fetch;
    window.fetch = function (input, init) {
      var url = typeof input === "string" || input instanceof URL ? String(input) : input.url;
      if (!ours(url)) { return originalFetch.apply(this, arguments); }
      var options = Object.assign({}, init || {});
      var headers = new Headers(options.headers || (input instanceof Request ? input.headers : {}));
      headers.set(HEADER, token);
      options.headers = headers;
      return originalFetch.call(this, input, options).then(renew);
    };
  }

  if (window.XMLHttpRequest) {
    var open = XMLHttpRequest.prototype.open;
    var send = XMLHttpRequest.prototype.send;
    XMLHttpRequest.prototype.open = function (method, url) {
      this.staffroomOwn = ours(url);
      return open.apply(this, arguments);
    };
    XMLHttpRequest.prototype.send = function () {
      if (this.staffroomOwn) {
        this.setRequestHeader(HEADER, token);
        this.addEventListener("load", function () {
          var renewed = this.getResponseHeader(HEADER);
          if (renewed) { token = renewed; }
        });
      }
      return send.apply(this, arguments);
    };
  }

  // The latest token into an address of this tool that already carries one.
  function current(address) {
    if (!address || !ours(address)) { return null; }
    var url = new URL(address, window.location.href);
    if (!url.searchParams.has(PARAM)) { return null; }
    url.searchParams.set(PARAM, token);
    return url.href;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href]") : null;
    var href = link && current(link.getAttribute("href"));
    if (href) { link.setAttribute("href", href); }
  }, true);
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var action = form.getAttribute && current(form.getAttribute("action") || window.location.href);
    if (!action) { return; }
    form.setAttribute("action", action);
    if ((form.getAttribute("method") || "get").toLowerCase() === "get") {
      // A GET form replaces its address's query with its fields: the token goes as one.
      var field = form.querySelector('input[name="' + PARAM + '"]');
      if (!field) {
        field = document.createElement("input");
        field.type = "hidden";
        field.name = PARAM;
        form.appendChild(field);
      }
      field.value = token;
    }
  }, true);
}());
