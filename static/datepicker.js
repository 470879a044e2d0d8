// A calendar beside every date field. The field stays a text box that takes dd/mm/yyyy as typed; the button
// opens the browser's own calendar and writes the chosen day into the box as dd/mm/yyyy. Without this script
// (or without a calendar in the browser) the box works as before.
(function () {
  "use strict";
  var script = document.currentScript;
  var label = (script && script.dataset.label) || "Chọn ngày trên lịch";
  var probe = document.createElement("input");
  probe.type = "date";
  if (probe.type !== "date" || typeof probe.showPicker !== "function") { return; }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function isoOf(text) {  // "30/6/2026" -> "2026-06-30", or "" when the box holds no date
    var m = /^\s*(\d{1,2})[\/.\-](\d{1,2})[\/.\-](\d{4})\s*$/.exec(text || "");
    return m ? m[3] + "-" + pad(+m[2]) + "-" + pad(+m[1]) : "";
  }

  function attach(box) {
    var picker = document.createElement("input");
    picker.type = "date";
    picker.tabIndex = -1;
    picker.className = "date-picker-native";
    picker.setAttribute("aria-hidden", "true");
    if (box.hasAttribute("aria-invalid")) {  // a helper of the box: it says what the box says
      picker.setAttribute("aria-invalid", box.getAttribute("aria-invalid"));
    }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-secondary btn-sm date-picker-button";
    button.setAttribute("aria-label", label);
    button.title = label;
    // a calendar drawn as SVG: no emoji font needed
    button.innerHTML = '<svg width="18" height="18" viewBox="0 0 24 24" aria-hidden="true" focusable="false">' +
      '<rect x="3" y="5" width="18" height="16" rx="2" fill="none" stroke="currentColor" stroke-width="2"/>' +
      '<path d="M3 10h18M8 3v4M16 3v4" stroke="currentColor" stroke-width="2" fill="none"/>' +
      '<rect x="7" y="13" width="4" height="4" fill="currentColor"/></svg>';
    button.addEventListener("click", function () {
      picker.value = isoOf(box.value);
      picker.showPicker();
    });
    picker.addEventListener("change", function () {
      var parts = picker.value.split("-");
      if (parts.length === 3) {
        box.value = parts[2] + "/" + parts[1] + "/" + parts[0];
        box.dispatchEvent(new Event("input", {bubbles: true}));
        box.focus();
      }
    });
    var wrap = document.createElement("span");
    wrap.className = "date-picker";
    box.parentNode.insertBefore(wrap, box);
    wrap.appendChild(box);
    wrap.appendChild(button);
    wrap.appendChild(picker);
  }

  document.querySelectorAll("input[data-vn-date]").forEach(attach);
}());
