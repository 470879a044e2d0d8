// A form the server sent back with a field it refused: the page opens at that field, not at its top. The first
// field marked aria-invalid (render_field marks every refused field) is shown — its folded section opened — and
// focused, so that a screen reader reads its message with it; the banner above still says what happened. Once the
// page has loaded: the other scripts have dressed it (the date boxes' calendar moves its box, which loses the
// focus) and the browser has gone to the address's #anchor (which leaves the focus nowhere).
//
// Otherwise, a page that comes back to a place of its own (an #anchor: a work item after "Nhận xử lý") opens with
// the focus there, described by what the action did; one that opens with what the last action did ("Đã gửi …") and no such place, with the focus on
// that message: a screen reader reads it (a status already there when the page loads is not announced) and Tab goes
// on from there.
window.addEventListener("load", function () {
  "use strict";
  if (document.activeElement !== document.body) { return; }  // (someone already typing elsewhere)
  var field = document.querySelector("[aria-invalid='true']:not([type=hidden]):not([aria-hidden=true])");
  if (!field) {
    var said = document.querySelector(".flashes");
    var anchor = null;
    try {
      anchor = location.hash.length > 1 && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    } catch (e) { anchor = null; }  // (a malformed #… in the address)
    if (anchor) {  // the place the action came back to (a work item's form): the focus starts there, not at the top
      if (!anchor.hasAttribute("tabindex")) { anchor.tabIndex = -1; }
      if (said) {  // ... described by what the action did ("Bạn đã nhận xử lý …"): a status there when the page
        // loads is not announced
        said.id = said.id || "flashes";
        var described = (anchor.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
        if (described.indexOf(said.id) < 0) {
          anchor.setAttribute("aria-describedby", described.concat(said.id).join(" "));
        }
      }
      anchor.focus({preventScroll: true});
    } else if (said) {
      said.focus();
    }
    return;
  }
  var count = document.getElementById("error-summary-title");
  if (count) {  // more than one field refused: the first says so ("Còn 3 mục cần sửa …"), as the list above shows
    field.setAttribute("aria-describedby", [count.id].concat(
      (field.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean)).join(" "));
  }
  show(field);
});

// Open the folded sections around a field, bring it into sight and focus it: with the head of its card (what the form
// is for) above it when both fit on the screen, else at the screen's middle.
function show(field) {
  "use strict";
  for (var node = field.parentElement; node; node = node.parentElement) {
    if (node.tagName === "DETAILS") { node.open = true; }
  }
  field.scrollIntoView({block: "center"});
  var card = field.closest(".card");
  if (card) {
    var top = card.getBoundingClientRect().top;
    if (top < 0 && field.getBoundingClientRect().bottom - top <= window.innerHeight) { window.scrollBy(0, top); }
  }
  field.focus({preventScroll: true});
}

// A line of the list of refused fields goes to its field and focuses it (a link to a field only scrolls); a group of
// choices, its first choice (not the filter box static/pick.js puts above a long list).
document.addEventListener("click", function (event) {
  "use strict";
  var link = event.target.closest && event.target.closest(".error-summary a[href^='#']");
  var target = link && document.getElementById(link.getAttribute("href").slice(1));
  if (!target) { return; }
  var field = target.matches("input, select, textarea") ? target
    : target.querySelector("input[type=checkbox], input[type=radio]") || target.querySelector("input, select, textarea");
  if (field) {
    event.preventDefault();
    show(field);
  }
});
