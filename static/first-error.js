// A form the server sent back with a field it refused: the page opens at that field, not at its top. The first
// field marked aria-invalid (render_field marks every refused field) is shown — its folded section opened — and
// focused, so that a screen reader reads its message with it; the banner above still says what happened. Once the
// page has loaded: the other scripts have dressed it (the date boxes' calendar moves its box, which loses the
// focus) and the browser has gone to the address's #anchor (which leaves the focus nowhere).
window.addEventListener("load", function () {
  "use strict";
  var field = document.querySelector("[aria-invalid='true']:not([type=hidden]):not([aria-hidden=true])");
  if (!field || document.activeElement !== document.body) { return; }  // (someone already typing elsewhere)
  for (var node = field.parentElement; node; node = node.parentElement) {
    if (node.tagName === "DETAILS") { node.open = true; }
  }
  field.scrollIntoView({block: "center"});
  field.focus({preventScroll: true});
});
