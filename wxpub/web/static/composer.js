// The composer's small enhancements (the page works without them: findings are #anchor links
// highlighted by CSS :target, and every case section has its "编辑案例" link).
//  - choosing a finding scrolls its place into the middle of the phone preview and highlights it
//    (every element of the same case paragraph, e.g. an image and its caption, too);
//  - clicking a paragraph of a case in the preview opens that case in the editor.
(function () {
  "use strict";

  function clearHits() {
    document.querySelectorAll(".pv-hit, .pv-hit-more").forEach(function (el) {
      el.classList.remove("pv-hit", "pv-hit-more");
    });
    document.querySelectorAll("a.finding-link.current").forEach(function (el) {
      el.classList.remove("current");
    });
  }

  function highlight(id, link) {
    var target = document.getElementById(id);
    if (!target) { return false; }
    clearHits();
    target.classList.add("pv-hit");
    var screen = target.closest(".screen");
    var c = target.getAttribute("data-case"), p = target.getAttribute("data-paragraph");
    if (screen && c !== null && p !== null && target.tagName !== "SECTION") {
      screen.querySelectorAll('[data-case="' + c + '"][data-paragraph="' + p + '"]').forEach(function (el) {
        if (el !== target) { el.classList.add("pv-hit-more"); }
      });
    }
    if (link) { link.classList.add("current"); }
    target.scrollIntoView({ block: "center", behavior: "auto" });
    if (history.replaceState) { history.replaceState(null, "", "#" + id); }
    return true;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a.finding-link");
    if (link) {
      if (highlight(link.getAttribute("data-anchor"), link)) { event.preventDefault(); }
      return;
    }
    if (event.target.closest("a, button, input, select, textarea, summary")) { return; }
    var paragraph = event.target.closest(".screen section[data-case] > p");
    if (!paragraph) { return; }
    var selection = window.getSelection ? String(window.getSelection()) : "";
    if (selection) { return; } // selecting text to copy it is not a click to edit
    var edit = paragraph.parentElement.querySelector(":scope > a.pv-edit");
    if (edit) { window.location.assign(edit.getAttribute("href")); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".screen section[data-case] > p").forEach(function (p) {
      p.title = "点击在编辑器中打开这个案例";
    });
    if (location.hash.length > 1) {
      var link = document.querySelector('a.finding-link[data-anchor="' + CSS.escape(location.hash.slice(1)) + '"]');
      if (link) { highlight(location.hash.slice(1), link); }
    }
  });
})();
