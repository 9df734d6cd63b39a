// The desks' one script of their own (no inline scripts: the pages' Content-Security-Policy forbids them).
// 1. Keyboard-wedge scanners: a scanner that types a code and Enter while no field has the focus is heard
//    anyway: fast keystrokes ending in Enter go to the scan box, which opens what the code names.
// 2. Live scans: a page with a [data-sightings] list listens to its station's sightings (server-sent
//    events) and shows each; a page with [data-open-on-scan] opens the item scanned.
(function () {
  "use strict";
  var buffer = "";
  var last = 0;
  var WEDGE_GAP_MS = 60;
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT");
    if (typing || event.ctrlKey || event.altKey || event.metaKey) { buffer = ""; return; }
    var now = Date.now();
    if (now - last > WEDGE_GAP_MS) { buffer = ""; }
    last = now;
    if (event.key === "Enter") {
      var box = document.getElementById("scan-code");
      if (buffer.length >= 4 && box && box.form) {
        box.value = buffer;
        buffer = "";
        event.preventDefault();
        box.form.requestSubmit();
      }
      buffer = "";
      return;
    }
    if (event.key.length === 1) { buffer += event.key; }
  });

  function listen(list) {
    var source = new EventSource(list.getAttribute("data-sightings"));
    var opens = list.hasAttribute("data-open-on-scan");
    source.addEventListener("sighting", function (message) {
      var sighting;
      try { sighting = JSON.parse(message.data); } catch (e) { return; }
      var item = document.createElement("li");
      item.className = "new";
      var code = sighting.evidence_no || sighting.code || "";
      var link = document.createElement("a");
      link.href = "/find?code=" + encodeURIComponent(code);
      link.textContent = code;
      item.appendChild(link);
      var text = document.createElement("span");
      text.textContent = " " + (sighting.summary || "");
      item.appendChild(text);
      list.insertBefore(item, list.firstChild);
      if (opens && code) { window.location.assign(link.href); }
    });
  }
  document.querySelectorAll("[data-sightings]").forEach(listen);
})();
