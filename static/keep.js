// Nothing typed is lost. A form someone typed into asks the server, before it is sent, whether this browser
// is still signed in. If the session ended (idle timeout, signed out in another tab) or the server cannot be
// reached, the form is not sent: the text stays on the page with a message, instead of vanishing behind a
// redirect to the login page. Once signed in again (in another tab), pressing the button again sends it,
// with the new session's CSRF token. While someone types, the session is kept alive: typing is not idling.
// A form sent shows it is on its way, and leaving a page with text not sent asks first (below). Without this
// script the forms work as plain HTML forms.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.fetch || !window.JSON) { return; }
  var data = script.dataset;
  var KEEP_ALIVE_EVERY = 5 * 60 * 1000;  // well inside the shortest idle timeout
  var lastContact = Date.now();
  var sending = null;  // the form on its way (leaving the page for its answer asks nothing)

  function askServer() {
    lastContact = Date.now();
    return fetch(data.status, {credentials: "same-origin", cache: "no-store", headers: {Accept: "application/json"}})
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      });
  }

  function warn(form, text, loginLink) {
    var box = form.querySelector(".keep-alert");
    if (!box) {
      box = document.createElement("div");
      box.className = "flash flash-error keep-alert";
      box.setAttribute("role", "alert");
      var actions = form.querySelector(".form-actions");  // just above the buttons, however deep they sit
      (actions ? actions.parentNode : form).insertBefore(box, actions);
    }
    box.textContent = text + " ";
    if (loginLink) {
      var link = document.createElement("a");
      link.href = data.login;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = data.loginText;
      box.appendChild(link);
    }
  }

  document.addEventListener("input", function (event) {
    var form = event.target.form;
    if (!form || form.method !== "post") { return; }
    form.setAttribute("data-typed", "");
    if (Date.now() - lastContact > KEEP_ALIVE_EVERY) { askServer().catch(function () {}); }
  });

  // (typed into: seen typing, or a text differing from the page's own — typed before this script was run, which the
  // browser runs once the page is read: a fast hand or a slow page)
  function typedInto(form) {
    function changed(field) {
      return (field.tagName === "TEXTAREA" || field.type === "text") && field.value !== field.defaultValue;
    }
    return form.hasAttribute("data-typed") ||
      (form.method === "post" && Array.prototype.some.call(form.elements, changed));
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!typedInto(form) || form.hasAttribute("data-checked")) { return; }
    event.preventDefault();
    if (form.hasAttribute("data-checking")) { return; }  // a second press while asking
    form.setAttribute("data-checking", "");
    var submitter = event.submitter || null;
    askServer().then(function (state) {
      form.removeAttribute("data-checking");
      if (!state.signed_in) { warn(form, data.expired, true); return; }
      Array.prototype.forEach.call(form.querySelectorAll("input[name$='csrf_token']"), function (input) {
        input.value = state.csrf_token;
      });
      form.setAttribute("data-checked", "");
      // (submit() fires no submit event: the leave-page guard below is told it is this form leaving)
      if (form.requestSubmit) { form.requestSubmit(submitter); } else { sending = form; form.submit(); }
    }, function () {
      form.removeAttribute("data-checking");
      warn(form, data.offline, false);
    });
  });

  // A form on its way says so: its buttons are pressed once, not again and again while a long action runs (an
  // import writing a plan's 150 tasks takes seconds). They are disabled once every handler has let the form go
  // and the browser has taken its data (the pressed button's own value included); the pressed one turns a wheel,
  // and an answer slower than a moment is announced in words beside the buttons. All is given back when the page
  // is shown again from the history, or after a while when the answer was a file to save and the page stayed.
  var BUSY_FOR = 10 * 1000;
  var SAY_AFTER = 400;  // an answer quicker than this needs no words: the page simply changes

  function idle(root) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-busy]"), function (element) {
      element.removeAttribute("data-busy");
      element.classList.remove("is-working");
      if (element.tagName === "FORM") { element.removeAttribute("aria-busy"); } else { element.disabled = false; }
    });
    Array.prototype.forEach.call(root.querySelectorAll(".busy-note"), function (note) { note.remove(); });
  }

  function sayWorking(form) {
    if (!form.hasAttribute("data-busy") || form.querySelector(".busy-note")) { return; }
    var note = document.createElement("p");
    note.className = "busy-note";
    note.setAttribute("role", "status");
    note.textContent = data.working;
    var actions = form.querySelector(".form-actions");
    (actions || form).appendChild(note);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter || null;
    window.setTimeout(function () {
      if (event.defaultPrevented) { return; }
      form.setAttribute("data-busy", "");
      form.setAttribute("aria-busy", "true");
      var buttons = form.querySelectorAll("button:not([type=button]):not([type=reset]):not([disabled]), " +
                                          "input[type=submit]:not([disabled])");
      Array.prototype.forEach.call(buttons, function (button) {
        button.disabled = true;
        button.setAttribute("data-busy", "");
      });
      if (submitter && submitter.hasAttribute("data-busy")) { submitter.classList.add("is-working"); }
      window.setTimeout(function () { sayWorking(form); }, SAY_AFTER);
      window.setTimeout(function () { idle(form.parentNode || document); }, BUSY_FOR);
    }, 0);
  });
  window.addEventListener("pageshow", function () { idle(document); });

  // Leaving a page with typed text not sent (a link in the menu, "Đăng xuất", closing the tab) asks first, in the
  // browser's own words: the text would be gone. The form being sent leaves the page as meant. (Registered last,
  // so that it sees whether the handlers above held the form back.)
  document.addEventListener("submit", function (event) {
    sending = event.defaultPrevented ? null : event.target;
  });
  window.addEventListener("beforeunload", function (event) {
    var unsent = Array.prototype.some.call(document.forms, function (form) {
      return form !== sending && typedInto(form);
    });
    if (unsent) {
      event.preventDefault();
      event.returnValue = "";  // (older browsers ask only when a value is given)
    }
  });
  window.addEventListener("pageshow", function () { sending = null; });
}());
