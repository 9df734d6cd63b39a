// The audit desk's read box: after each read the code field is emptied and has the focus again (the
// next scan goes straight in); a read refused as a whole shows its reason in the list of reads; and a
// poll or read answered by another page (the login page, once the session ended; an error page) reloads
// the page instead of nesting it.
(function () {
  "use strict";
  var form = document.getElementById("read-form");

  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    var xhr = detail.xhr;
    var asked = detail.requestConfig && detail.requestConfig.path;
    if (xhr.responseURL && asked && new URL(xhr.responseURL).pathname !== new URL(asked, window.location.href).pathname) {
      detail.shouldSwap = false;
      window.location.reload();
      return;
    }
    if (form && detail.elt === form && xhr.status >= 400) {
      if (xhr.responseText.trim().indexOf("<li") === 0) {
        detail.shouldSwap = true;  // a read refused as a whole: its reason joins the list of reads
        detail.isError = false;
      } else {
        window.location.reload();  // an expired form or session: the page says what to do
      }
    }
  });

  if (!form) { return; }
  form.addEventListener("htmx:afterRequest", function () {
    var code = document.getElementById("code");
    var manual = document.getElementById("manual");
    var reason = document.getElementById("reason");
    code.value = "";
    if (manual) { manual.checked = false; }
    if (reason) { reason.value = ""; }
    code.focus();
  });
})();
