// The task page's process diagram, improved when scripts run (without this file the page works as served:
// the server opens each diagram on its current step, and "Xem toàn bộ quy trình" is a link to the whole one).
// - "Xem toàn bộ quy trình" / "Về bước đang xử lý" switch the drawing in place, without reloading the page;
// - a diagram whose current step is out of its box (a narrow screen, the whole view) is scrolled to it,
//   also when a folded diagram is opened on a phone;
// - printing shows the whole process (paper cannot scroll).
(function () {
  "use strict";

  function currentStep(scroller) {
    return scroller.querySelector(".dg-node.dg-current");
  }

  function showCurrent(scroller) {
    var step = currentStep(scroller);
    if (!step || !scroller.clientWidth) { return; }
    var box = scroller.getBoundingClientRect();
    var shape = step.getBoundingClientRect();
    if (shape.left >= box.left && shape.right <= box.right) { return; }
    scroller.scrollLeft += shape.left + shape.width / 2 - (box.left + box.width / 2);
  }

  function setView(svg, whole) {
    var key = whole ? "whole" : "focus";
    svg.setAttribute("viewBox", svg.getAttribute("data-" + key + "-viewbox"));
    svg.setAttribute("width", svg.getAttribute("data-" + key + "-width"));
    svg.classList.toggle("is-whole", whole);
  }

  Array.prototype.forEach.call(document.querySelectorAll("a.diagram-switch"), function (link) {
    var scroller = document.getElementById(link.getAttribute("data-target"));
    var svg = scroller && scroller.querySelector("svg[data-focus-viewbox]");
    if (!svg) { return; }
    link.setAttribute("role", "button");
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var whole = !svg.classList.contains("is-whole");
      setView(svg, whole);
      link.textContent = link.getAttribute(whole ? "data-label-focus" : "data-label-whole");
      scroller.scrollLeft = 0;
      showCurrent(scroller);
    });
    link.addEventListener("keydown", function (event) {  // a button answers the space bar too
      if (event.key === " ") {
        event.preventDefault();
        link.click();
      }
    });
  });

  // paper cannot scroll: the whole process is printed, and the page comes back as it was
  var focused = [];
  window.addEventListener("beforeprint", function () {
    focused = Array.prototype.filter.call(document.querySelectorAll("svg[data-focus-viewbox]"), function (svg) {
      return !svg.classList.contains("is-whole");
    });
    focused.forEach(function (svg) { setView(svg, true); });
  });
  window.addEventListener("afterprint", function () {
    focused.forEach(function (svg) { setView(svg, false); });
    focused = [];
  });

  Array.prototype.forEach.call(document.querySelectorAll(".diagram-scroll"), showCurrent);
  Array.prototype.forEach.call(document.querySelectorAll("details.diagram-details"), function (details) {
    details.addEventListener("toggle", function () {
      if (details.open) {
        Array.prototype.forEach.call(details.querySelectorAll(".diagram-scroll"), showCurrent);
      }
    });
  });
}());
