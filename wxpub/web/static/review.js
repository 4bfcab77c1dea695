// The review page's small enhancements (the page works without them: the comment form has a list
// of paragraphs, badges and places are #anchor links highlighted by CSS :target).
//  - clicking a paragraph of the phone preview chooses it in the comment form (with the words
//    selected in it as the quote), highlights it, and scrolls the form into view;
//  - choosing a thread's place (or a badge) highlights the paragraph / the thread;
//  - the sign form's 意见 is required when 退回 is chosen.
(function () {
  "use strict";

  function clearHits() {
    document.querySelectorAll(".rv-hit, .rv-hit-more").forEach(function (el) {
      el.classList.remove("rv-hit", "rv-hit-more");
    });
  }

  // The element of the preview that carries the id of the paragraph ``el`` belongs to.
  function anchorOf(el) {
    var screen = el.closest(".screen");
    var node = el.closest("[data-paragraph], p[id], h1[id]");
    if (!screen || !node) { return null; }
    if (node.id && node.closest(".screen") === screen) { return node; }
    var c = node.getAttribute("data-case"), p = node.getAttribute("data-paragraph");
    if (c === null || p === null) { return null; }
    return screen.querySelector('[id][data-case="' + c + '"][data-paragraph="' + p + '"]:not(section)');
  }

  function highlight(target) {
    clearHits();
    target.classList.add("rv-hit");
    var screen = target.closest(".screen");
    var c = target.getAttribute("data-case"), p = target.getAttribute("data-paragraph");
    if (screen && c !== null && p !== null) {
      screen.querySelectorAll('[data-case="' + c + '"][data-paragraph="' + p + '"]').forEach(function (el) {
        if (el !== target && el.tagName !== "SECTION") { el.classList.add("rv-hit-more"); }
      });
    }
  }

  function selectedWithin(el) {
    if (!window.getSelection) { return ""; }
    var selection = window.getSelection();
    if (!selection.rangeCount || selection.isCollapsed) { return ""; }
    var range = selection.getRangeAt(0);
    if (!el.contains(range.commonAncestorContainer)) { return ""; }
    return String(selection).replace(/\s+/g, " ").trim().slice(0, 300);
  }

  function choose(target, quote) {
    var select = document.getElementById("where");
    if (!select) { return; }
    var option = select.querySelector('option[value="' + CSS.escape(target.id) + '"]');
    if (!option) { return; }
    select.value = target.id;
    var hidden = document.getElementById("quote"), shown = document.getElementById("quote-preview");
    if (hidden) { hidden.value = quote; }
    if (shown) {
      shown.textContent = quote ? "引用：“" + quote + "”" : "";
      shown.hidden = !quote;
    }
    highlight(target);
    var form = document.getElementById("comment-form");
    form.scrollIntoView({ block: "nearest", behavior: "auto" });
    var body = document.getElementById("body");
    if (body) { body.focus({ preventScroll: true }); }
  }

  document.addEventListener("click", function (event) {
    var place = event.target.closest("a.to-place");
    if (place) {
      var spot = document.getElementById(place.getAttribute("data-anchor"));
      if (spot) {
        event.preventDefault();
        highlight(spot);
        spot.scrollIntoView({ block: "center", behavior: "auto" });
      }
      return;
    }
    var badge = event.target.closest("a.rv-badge");
    if (badge) {
      var thread = document.getElementById("thread-" + badge.getAttribute("data-thread"));
      if (thread) {
        event.preventDefault();
        document.querySelectorAll(".thread.rv-current").forEach(function (el) { el.classList.remove("rv-current"); });
        thread.classList.add("rv-current");
        thread.scrollIntoView({ block: "nearest", behavior: "auto" });
        thread.focus({ preventScroll: true });
      }
      return;
    }
    if (event.target.closest("a, button, input, select, textarea, summary")) { return; }
    var target = anchorOf(event.target);
    if (!target) { return; }
    choose(target, selectedWithin(target));
  });

  document.addEventListener("change", function (event) {
    if (event.target.id === "where") {
      var hidden = document.getElementById("quote"), shown = document.getElementById("quote-preview");
      if (hidden) { hidden.value = ""; }
      if (shown) { shown.hidden = true; }
      var spot = event.target.value ? document.getElementById(event.target.value) : null;
      if (spot) { highlight(spot); }
    }
    if (event.target.name === "decision") {
      var form = event.target.form;
      var comment = form.querySelector("[data-required-when]");
      if (comment) { comment.required = event.target.value === comment.getAttribute("data-required-when") && event.target.checked; }
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".review .js-only").forEach(function (el) { el.hidden = false; });
    document.querySelectorAll(".screen [data-paragraph], .screen p[id], .screen h1[id]").forEach(function (p) {
      if (document.getElementById("where")) { p.title = "点击对这一段写意见"; }
    });
    var checked = document.querySelector('input[name="decision"]:checked');
    if (checked) { checked.dispatchEvent(new Event("change", { bubbles: true })); }
  });
})();
