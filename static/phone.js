// On a phone, a page should start with its own content. Two things fold there:
// - the header's menu (pages, search, account), behind one "Menu" button;
// - long filter forms (details.fold-on-phone, served open), down to their summary line.
// And a table wider than its box (mostly on a phone) can be scrolled from the keyboard.
// Without this script, or on a wider screen, everything stays shown.
(function () {
  "use strict";
  var phone = window.matchMedia("(max-width: 600px)").matches;
  if (phone) {
    Array.prototype.forEach.call(document.querySelectorAll("details.fold-on-phone"), function (details) {
      details.open = false;
    });
  }
  // A table wider than its box scrolls sideways inside it: the box takes the focus (arrow keys scroll it) and is
  // named after its table (its caption, or the heading that labels it), so that a keyboard reaches the columns out
  // of sight (on a phone, most of them).
  function reachable() {  // (again when the phone turns: a table may overflow only one way up)
    Array.prototype.forEach.call(document.querySelectorAll(".table-wrap"), function (wrap) {
      var table = wrap.querySelector("table");
      var caption = table && table.querySelector("caption");
      var heading = table && document.getElementById(table.getAttribute("aria-labelledby"));
      if (wrap.scrollWidth <= wrap.clientWidth || !(caption || heading) || wrap.hasAttribute("tabindex")) { return; }
      wrap.tabIndex = 0;
      // a table named by its section's heading sits in that region already: the box is a group of it, not a
      // second region of the same name
      wrap.setAttribute("role", caption ? "region" : "group");
      wrap.setAttribute("aria-label", (caption || heading).textContent.trim());
    });
  }
  reachable();
  window.addEventListener("resize", reachable);
  var button = document.querySelector(".menu-toggle");
  var menu = document.getElementById("site-menu");
  if (!button || !menu) { return; }
  document.documentElement.classList.add("has-menu-toggle");
  button.hidden = false;
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    menu.classList.toggle("is-open", open);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      button.click();
      button.focus();
    }
  });
}());
