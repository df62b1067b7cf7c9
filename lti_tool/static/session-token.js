// Sessions without cookies (lti_tool/courses/sessions.py). When the browser may block the
// tool's cookies in the LMS frame, the page names a session token in
// <meta name="staffroom-session">, with the addresses it is for (its course). This script
// carries it:
// - fetch and XMLHttpRequest to this tool's origin send it as X-Staffroom-Session (the
//   autosaves, the mention suggestions), and every answer that carries a renewed token
//   replaces it;
// - a link or form of this tool for the token's course gets it (the _st parameter) at the
//   moment it is used, and so does the page's canonical address (a reload).
// It never goes to another origin, nor into the page's HTML.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="staffroom-session"]');
  if (!meta || !window.URL) { return; }
  var HEADER = "X-Staffroom-Session";
  var PARAM = "_st";
  var token = meta.getAttribute("content");
  var scope = meta.getAttribute("data-scope") || "/courses/";

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

  // The token into an address of this tool for the token's course (or the deep link
  // picker's answer); null for any other address, which never gets it.
  function withToken(address) {
    if (!address || !ours(address)) { return null; }
    var url = new URL(address, window.location.href);
    if (url.pathname.indexOf(scope) !== 0 && url.pathname !== "/lti/deep-link") { return null; }
    url.searchParams.set(PARAM, token);
    return url.href;
  }

  // For scripts that navigate themselves (follow-link.js): an address with the token.
  window.staffroomWithToken = withToken;

  // A reload (or "back") of this page opens it with the token too.
  var canonical = document.querySelector('link[rel="canonical"]');
  if (canonical && withToken(canonical.getAttribute("href"))) {
    canonical.setAttribute("href", withToken(canonical.getAttribute("href")));
  }

  function onLink(event) {
    var link = event.target.closest ? event.target.closest("a[href]") : null;
    // A link within the page (the skip link, a heading) stays one: no reload.
    if (!link || link.getAttribute("href").charAt(0) === "#") { return; }
    var href = withToken(link.getAttribute("href"));
    if (href) { link.setAttribute("href", href); }
  }
  document.addEventListener("click", onLink, true);
  // (Not on a middle click: a tab of its own would show the token in its address bar, and
  // the server refuses a token there (sessions.request_token); that tab offers to open
  // Staffroom from the course. A reload of the frame keeps it: the frame is still a frame.)
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var action = form.getAttribute && withToken(form.getAttribute("action") || window.location.href);
    if (!action) { return; }
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
    } else {
      form.setAttribute("action", action);
    }
  }, true);
}());
