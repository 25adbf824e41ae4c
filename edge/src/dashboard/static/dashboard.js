// The dashboard's only script (served by the Worker as a static asset; the CSP allows no other). Two jobs:
//  1. Live refresh: every REFRESH_MS while the tab is visible, re-fetch this page and swap in each element
//     marked data-live-region (matched by id). Regions the operator is working in (focus inside, a ticked
//     box) are left alone. Stopped while the tab is hidden; refreshed at once when it shows again. The new
//     markup is the server's own escaped rendering, parsed inertly (DOMParser runs no scripts).
//  2. Confirmation for destructive forms (data-confirm).
// Without this script every page still works: the content is server-rendered and actions are plain forms.
(function () {
  "use strict";
  var REFRESH_MS = 5000;

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form instanceof HTMLFormElement ? form.getAttribute("data-confirm") : null;
    if (question && !window.confirm(question)) event.preventDefault();
  });

  if (!document.body || document.body.getAttribute("data-live") !== "on") return;
  var status = document.querySelector("[data-live-status]");
  var timer = null;
  var inFlight = false;
  var signedOut = false;

  function say(text, state) {
    if (!status) return;
    status.textContent = text;
    status.setAttribute("data-state", state);
  }

  function busy(region) {
    return region.contains(document.activeElement) && document.activeElement !== document.body || region.querySelector("input:checked") !== null;
  }

  function refresh() {
    if (inFlight || document.hidden) return;
    inFlight = true;
    fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" }, cache: "no-store" })
      .then(function (response) {
        if (response.redirected && /\/sign-in/.test(response.url)) {
          signedOut = true;
          stop();
          say("Signed out", "off");
          return null;
        }
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        if (html === null) return;
        var next = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live-region][id]").forEach(function (region) {
          var fresh = next.getElementById(region.id);
          if (fresh && !busy(region)) region.replaceWith(document.adoptNode(fresh));
        });
        var now = new Date();
        say("Live · " + now.toLocaleTimeString(), "on");
        document.body.setAttribute("data-refreshed", String(now.getTime()));
      })
      .catch(function () {
        say("Reconnecting…", "error");
      })
      .finally(function () {
        inFlight = false;
      });
  }

  function start() {
    if (timer === null && !signedOut) timer = window.setInterval(refresh, REFRESH_MS);
  }
  function stop() {
    if (timer !== null) window.clearInterval(timer);
    timer = null;
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      stop();
      say("Paused while hidden", "off");
    } else if (!signedOut) {
      refresh();
      start();
    }
  });
  say("Live", "on");
  start();
})();
