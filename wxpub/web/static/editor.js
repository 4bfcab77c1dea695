// The case editor (wxpub.web.editor): 上移/下移 swap two points in the page instead of sending the
// form back for reordering. Without this file the buttons still work (the server reorders the
// form and shows it again, unsaved). A script file: the Content-Security-Policy forbids inline ones.
(function () {
  "use strict";
  function swap(a, b) {
    var fields = ["point_lead", "point_rest"];
    for (var i = 0; i < fields.length; i++) {
      var x = a.querySelector("[name=" + fields[i] + "]");
      var y = b.querySelector("[name=" + fields[i] + "]");
      if (!x || !y) { return false; }
      var value = x.value;
      x.value = y.value;
      y.value = value;
    }
    return true;
  }
  function announce(point, text) {
    var old = document.querySelector(".js-status");
    if (old) { old.parentNode.removeChild(old); }
    var box = document.createElement("p");
    box.className = "flash flash-ok js-status";
    box.setAttribute("role", "status");
    box.textContent = text;
    point.appendChild(box);
  }
  function bind() {
    var form = document.querySelector("form.case-form");
    if (!form) { return; }
    form.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("button[name=move]") : null;
      if (!button) { return; }
      var parts = button.value.split(":");
      var number = parseInt(parts[1], 10);
      var other = parts[0] === "up" ? number - 1 : number + 1;
      var here = form.querySelector("[data-point='" + number + "']");
      var there = form.querySelector("[data-point='" + other + "']");
      if (!here || !there || !swap(here, there)) { return; }
      event.preventDefault();
      var again = there.querySelector("button[value='" + parts[0] + ":" + other + "']");
      (again || there.querySelector("textarea")).focus();
      announce(there, "已把要点" + number + (parts[0] === "up" ? "上移" : "下移") + "为要点" + other +
               "，尚未保存：请检查后点“保存”");
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", bind);
  } else {
    bind();
  }
})();
// After a refused save, put the cursor in the field the message is about.
(function () {
  "use strict";
  function focusInvalid() {
    var field = document.querySelector("form.case-form [aria-invalid=true]");
    if (field) { field.focus(); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusInvalid);
  } else {
    focusInvalid();
  }
})();
