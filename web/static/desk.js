// The desks' one script of their own (no inline scripts: the pages' Content-Security-Policy forbids them).
// 1. Keyboard-wedge scanners: a scanner that types a code and Enter while no field has the focus is heard
//    anyway: fast keystrokes ending in Enter go to the scan box, which opens what the code names.
// 2. Live scans: at a desk with a station (body[data-sightings]) every page listens to the station's
//    sightings (server-sent events) and opens what a scan names; the live-scans page lists them instead,
//    and a page whose form is being filled in shows a link rather than leave the form.
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

  // where a sighting leads: the item, the seal or the location it names
  function target(sighting) {
    if (sighting.kind === "seal" && sighting.seal_no) { return ["/seal/" + sighting.seal_no, sighting.seal_no]; }
    if (sighting.kind === "location" && sighting.location_code) {
      return ["/location/" + sighting.location_code, sighting.location_code];
    }
    if (sighting.evidence_no) { return ["/item/" + sighting.evidence_no, sighting.evidence_no]; }
    return null;
  }

  function busy() {
    // a form being filled in is never left behind: the scan is announced instead
    var focused = document.activeElement;
    if (focused && (focused.tagName === "INPUT" || focused.tagName === "TEXTAREA" || focused.tagName === "SELECT")) {
      return focused.id !== "scan-code" || focused.value !== "";
    }
    return false;
  }

  function listen(body) {
    var source = new EventSource(body.getAttribute("data-sightings"));
    var list = document.getElementById("sightings-list");
    var notice = document.getElementById("scan-notice");
    source.addEventListener("ready", function () { document.body.setAttribute("data-listening", ""); });
    source.addEventListener("sighting", function (message) {
      var sighting;
      try { sighting = JSON.parse(message.data); } catch (e) { return; }
      var found = target(sighting);
      if (!found) { return; }
      if (list) {
        var entry = document.createElement("li");
        entry.className = "new";
        var link = document.createElement("a");
        link.href = found[0];
        link.textContent = found[1];
        entry.appendChild(link);
        if (sighting.state) {
          var state = document.createElement("span");
          state.textContent = " · " + sighting.state;
          entry.appendChild(state);
        }
        list.insertBefore(entry, list.firstChild);
        return;
      }
      if (busy() && notice) {
        notice.textContent = "";
        var open = document.createElement("a");
        open.href = found[0];
        open.textContent = found[1];
        notice.appendChild(open);
        notice.hidden = false;
        return;
      }
      window.location.assign(found[0]);
    });
  }
  if (document.body.hasAttribute("data-sightings")) { listen(document.body); }
})();
