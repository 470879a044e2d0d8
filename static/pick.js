// A long list of checkboxes (the agencies of a task, of a comment's mentions): a box above it filters the list as
// one types — "tu phap" finds "Sở Tư pháp", with or without the diacritics — and a line under it names what is
// ticked, so that a choice scrolled out of sight is still seen. Without this script the whole list stays shown.
(function () {
  "use strict";
  var script = document.currentScript;
  var LONG = 9;  // (as style.css: a list of 9 or more scrolls in its box)
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d").toLowerCase().trim();
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("fieldset > .radio-list"), function (list, n) {
      var items = list.querySelectorAll("li");
      if (items.length < LONG || !list.querySelector("input[type=checkbox]")) { return; }
      var id = "pick-" + n;
      var row = document.createElement("div");
      row.className = "pick-filter";
      row.innerHTML = '<label></label><input type="search" autocomplete="off">';
      row.firstChild.htmlFor = id;
      row.firstChild.textContent = script.dataset.filter;
      row.lastChild.id = id;
      list.parentNode.insertBefore(row, list);
      var chosen = document.createElement("p");
      chosen.className = "pick-chosen small muted";
      list.parentNode.insertBefore(chosen, list.nextSibling);
      var told = document.createElement("span");  // what a screen reader is told: counts, not the whole list
      told.className = "visually-hidden";
      told.setAttribute("role", "status");
      row.appendChild(told);
      var box = row.querySelector("input");
      var names = Array.prototype.map.call(items, function (li) { return fold(li.textContent); });
      box.addEventListener("input", function () {
        var words = fold(box.value).split(/\s+/);
        var shown = 0;
        Array.prototype.forEach.call(items, function (li, i) {
          li.hidden = !words.every(function (w) { return names[i].indexOf(w) !== -1; });
          shown += li.hidden ? 0 : 1;
        });
        told.textContent = shown ? script.dataset.matches.replace("{n}", shown) : script.dataset.nomatch;
      });
      box.addEventListener("keydown", function (event) {
        if (event.key === "Enter") { event.preventDefault(); }  // (a filter is not the form's answer)
      });
      function say() {  // the names ticked, under the list; their count, to a screen reader
        var ticked = Array.prototype.filter.call(items, function (li) {
          return li.querySelector("input").checked;
        }).map(function (li) { return li.textContent.trim(); });
        chosen.textContent = ticked.length ? script.dataset.chosen + " " + ticked.join("; ") : script.dataset.none;
        return ticked.length;
      }
      list.addEventListener("change", function () { told.textContent = script.dataset.count.replace("{n}", say()); });
      say();
    });
  });
}());
