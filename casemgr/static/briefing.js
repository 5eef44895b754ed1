// Generating a briefing takes seconds: once the form is sent, its buttons are disabled (no
// second export by a double click) and the one pressed shows a spinner.
(function () {
  "use strict";

  var form = document.getElementById("briefing-form");
  if (!form) {
    return;
  }
  var buttons = Array.prototype.slice.call(form.querySelectorAll("[type=submit]"));
  var added = [];

  function restore() {
    added.forEach(function (element) {
      element.remove();
    });
    added = [];
    buttons.forEach(function (button) {
      button.disabled = false;
      button.classList.remove("d-none");
    });
    form.removeAttribute("aria-busy");
  }

  form.addEventListener("submit", function (event) {
    var pressed = event.submitter || buttons[0];
    // A disabled button is not sent: its name goes in a hidden field, so the server still
    // knows whether a PDF or a bundle was asked for.
    var choice = document.createElement("input");
    choice.type = "hidden";
    choice.name = pressed.name;
    choice.value = pressed.value;
    var busy = document.createElement("button");
    busy.type = "button";
    busy.className = pressed.className;
    busy.disabled = true;
    busy.id = "briefing-busy";
    var spinner = document.createElement("span");
    spinner.className = "spinner-border spinner-border-sm me-2";
    spinner.setAttribute("aria-hidden", "true");
    var text = document.createElement("span");
    text.setAttribute("role", "status");
    text.textContent = "Generating briefing…";
    busy.append(spinner, text);
    pressed.before(busy);
    form.append(choice);
    added = [choice, busy];
    pressed.classList.add("d-none");
    buttons.forEach(function (button) {
      button.disabled = true;
    });
    form.setAttribute("aria-busy", "true");
  });

  // Coming back with the browser's Back button shows the page as it was left: usable again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      restore();
    }
  });
})();
