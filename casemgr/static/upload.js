// Evidence upload with a progress bar per file. The form posts the same fields with one file
// per request and asks for JSON, so each file's outcome shows beside its bar. Without this
// script the form posts every file at once, as before.
(function () {
  "use strict";

  var form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) {
    return;
  }
  var input = form.querySelector("input[type=file]");
  var button = form.querySelector("[type=submit]");

  function row(list, file) {
    var item = document.createElement("li");
    item.className = "mb-2";
    var name = document.createElement("div");
    name.className = "d-flex justify-content-between small";
    var label = document.createElement("span");
    label.className = "text-break";
    label.textContent = file.name;
    var percent = document.createElement("span");
    percent.className = "ms-2";
    percent.textContent = "waiting";
    name.append(label, percent);
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Upload of " + file.name);
    var outcome = document.createElement("div");
    outcome.className = "small";
    item.append(name, bar, outcome);
    list.append(item);
    return { bar: bar, percent: percent, outcome: outcome };
  }

  function show(parts, ok, text) {
    parts.outcome.className = "small " + (ok ? "text-success" : "text-danger");
    parts.outcome.textContent = text;
  }

  function stored(parts, outcome) {
    var link = document.createElement("a");
    link.href = outcome.url;
    link.textContent = "item #" + outcome.item_id;
    show(parts, true, "Stored as ");
    parts.outcome.append(link, ".");
  }

  // The server's own words: a refused file's reason, or the form's messages.
  function report(parts, xhr) {
    var answer = null;
    try {
      answer = JSON.parse(xhr.responseText);
    } catch (error) {
      answer = null;
    }
    if (!answer) {
      show(parts, false, "Not stored: the server answered " + xhr.status + " " + xhr.statusText + ".");
      return false;
    }
    if (answer.errors.length) {
      show(parts, false, "Not stored: " + answer.errors.join(" "));
      return false;
    }
    var outcome = answer.outcomes[0];
    if (outcome.item_id) {
      stored(parts, outcome);
      return true;
    }
    show(parts, false, "Refused: " + outcome.refusal);
    return false;
  }

  function send(file, parts) {
    return new Promise(function (resolve) {
      var data = new FormData(form);
      data.delete(input.name);
      data.append(input.name, file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action || window.location.href);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) {
          var sent = Math.round((event.loaded / event.total) * 100);
          parts.bar.value = sent;
          parts.percent.textContent = sent + "%";
        }
      });
      xhr.addEventListener("load", function () {
        parts.bar.value = 100;
        parts.percent.textContent = "100%";
        resolve(report(parts, xhr));
      });
      xhr.addEventListener("error", function () {
        show(parts, false, "Not stored: the connection failed.");
        resolve(false);
      });
      parts.percent.textContent = "0%";
      xhr.send(data);
    });
  }

  form.addEventListener("submit", function (event) {
    var files = Array.prototype.slice.call(input.files || []);
    if (!files.length) {
      return; // the server says which field is missing
    }
    event.preventDefault();
    button.disabled = true;
    var old = document.getElementById("upload-progress");
    if (old) {
      old.remove();
    }
    var section = document.createElement("section");
    section.id = "upload-progress";
    section.className = "upload-progress mt-3";
    section.setAttribute("aria-label", "Upload progress");
    var status = document.createElement("p");
    status.className = "small mb-2";
    status.setAttribute("role", "status");
    status.textContent = "Uploading " + files.length + " file" + (files.length > 1 ? "s" : "") + "…";
    var list = document.createElement("ol");
    list.className = "list-unstyled mb-0";
    section.append(status, list);
    form.append(section);
    var rows = files.map(function (file) {
      return row(list, file);
    });
    var done = 0;
    files
      .reduce(function (previous, file, index) {
        return previous.then(function () {
          return send(file, rows[index]).then(function (ok) {
            done += ok ? 1 : 0;
          });
        });
      }, Promise.resolve())
      .then(function () {
        if (done === files.length) {
          window.location.assign(window.location.pathname);
          return;
        }
        button.disabled = false;
        status.textContent = done + " of " + files.length + " files stored; each file's outcome is below. ";
        var gallery = document.createElement("a");
        gallery.href = window.location.pathname;
        gallery.textContent = "Show the gallery";
        status.append(gallery);
      });
  });
})();
