// Tag writing at a station's reader: a refusal of the tag form or of a job's cancel (a 4xx answer
// carrying the core's reason) is shown in place, where htmx would otherwise leave the page as it was.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    var status = detail.xhr ? detail.xhr.status : 0;
    var target = detail.target;
    if (status >= 400 && status < 500 && status !== 401 && target && target.closest && target.closest("[data-tag-writing]")) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });
})();
