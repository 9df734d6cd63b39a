// The destruction site desk: a code read at the site (typed, or typed by a keyboard-wedge scanner) answers
// in place, a refusal too, and the scan box is emptied and keeps the focus for the next code. A scanner
// typing while no field has the focus types into the site's scan box, not the header's.
(function () {
  "use strict";
  function isScan(element) { return element && element.id === "site-scan"; }

  document.addEventListener("keydown", function (event) {
    var box = document.getElementById("site-code");
    var nowhere = event.target === document.body || event.target === document.documentElement;
    if (!box || !nowhere || event.ctrlKey || event.altKey || event.metaKey || event.key.length !== 1) { return; }
    box.focus();
  }, true);

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (!isScan(event.detail.requestConfig && event.detail.requestConfig.elt)) { return; }
    var answer = event.detail.xhr;
    if (answer.status >= 400) {
      if (answer.getResponseHeader("X-Site-Read")) {
        event.detail.shouldSwap = true;  // the core's refusal, shown in place
        event.detail.isError = false;
      } else {
        window.location.reload();  // the session ended, or the page is no longer this user's
      }
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!isScan(form)) { return; }
    var box = document.getElementById("site-code");
    var rounds = document.getElementById("site-rounds");
    if (box) { box.value = ""; box.removeAttribute("aria-invalid"); box.focus(); }
    if (rounds) { rounds.value = ""; }
  });
})();
