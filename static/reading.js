// The import page of a scanned document while OCR reads it in the background: asks how far it is every few
// seconds, moves the progress bar, and opens the preview once reading is over. Without it, the link does.
(function () {
  "use strict";
  var bar = document.getElementById("reading-progress");
  if (!bar || !window.fetch) { return; }
  var label = document.querySelector("label[for=reading-progress]");
  function look() {
    fetch(bar.dataset.progress, {credentials: "same-origin", cache: "no-store", headers: {Accept: "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (state && state.status !== "reading") { window.location.replace(bar.dataset.page); return; }
        if (state) {
          bar.max = state.pages; bar.value = state.read; bar.textContent = state.read + "/" + state.pages;
          label.textContent = bar.dataset.label.replace("{read}", state.read).replace("{pages}", state.pages);
        }
        window.setTimeout(look, 3000);
      })
      .catch(function () { window.setTimeout(look, 10000); });
  }
  window.setTimeout(look, 3000);
}());
