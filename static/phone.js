// On a phone, a page should start with its own content. Two things fold there:
// - the header's menu (pages, search, account), behind one "Menu" button;
// - long filter forms (details.fold-on-phone, served open), down to their summary line.
// Without this script, or on a wider screen, everything stays shown.
(function () {
  "use strict";
  var phone = window.matchMedia("(max-width: 600px)").matches;
  if (phone) {
    Array.prototype.forEach.call(document.querySelectorAll("details.fold-on-phone"), function (details) {
      details.open = false;
    });
  }
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
