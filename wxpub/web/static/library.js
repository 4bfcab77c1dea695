/* The case library (/library): small progressive enhancements of a page that works without them.
   - "全选本页" ticks every case of the page for the bulk buttons;
   - in a chapter view, rows can be dragged to a new place: the new order of the page's rows is
     POSTed (form-encoded, with the page's CSRF token) to the order endpoint, and the positions it
     answers are shown. Keyboard users (and everyone without JavaScript) keep the ↑ / ↓ buttons. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  function selectAll() {
    var box = document.getElementById("select-all");
    if (!box) return;
    var picks = Array.prototype.slice.call(
      document.querySelectorAll('input[form="bulk"][name="case_id"]'));
    if (!picks.length) return;
    box.parentElement.hidden = false;
    box.addEventListener("change", function () {
      picks.forEach(function (p) { p.checked = box.checked; });
    });
    picks.forEach(function (p) {
      p.addEventListener("change", function () {
        box.checked = picks.every(function (q) { return q.checked; });
      });
    });
  }

  function dragAndDrop() {
    var table = document.querySelector("table.cases[data-order-url]");
    var tokenField = document.querySelector('#move input[name="csrf_token"]');
    if (!table || !tokenField) return;
    var tbody = table.tBodies[0];
    var status = document.getElementById("order-status");
    var dragged = null;
    var before = null;

    function rows() { return Array.prototype.slice.call(tbody.rows); }
    function ids() { return rows().map(function (r) { return r.getAttribute("data-case-id"); }); }
    function clearTargets() {
      rows().forEach(function (r) { r.classList.remove("drop-target", "below"); });
    }
    // The dragged row takes the target's place: dropped on a row below it, it goes after that row.
    function goesAfter(target) {
      return !!(dragged.compareDocumentPosition(target) & Node.DOCUMENT_POSITION_FOLLOWING);
    }
    function say(text, failed) {
      if (!status) return;
      status.textContent = text;
      status.classList.toggle("failed", !!failed);
    }
    function refreshButtons() {
      var list = rows();
      list.forEach(function (r, i) {
        var up = r.querySelector("button.up");
        var down = r.querySelector("button.down");
        if (up) up.disabled = i === 0 && table.getAttribute("data-first-page") === "yes";
        if (down) down.disabled = i === list.length - 1 && table.getAttribute("data-last-page") === "yes";
      });
    }
    function restore(order) {
      var byId = {};
      rows().forEach(function (r) { byId[r.getAttribute("data-case-id")] = r; });
      order.forEach(function (id) { tbody.appendChild(byId[id]); });
      refreshButtons();
    }
    function show(positions) {
      rows().forEach(function (r) {
        var cell = r.querySelector("td.pos");
        var position = positions[r.getAttribute("data-case-id")];
        if (cell && position !== undefined) cell.textContent = position;
      });
      refreshButtons();
    }

    function save(moved, previous) {
      var order = ids();
      if (order.join(",") === previous.join(",")) return;
      var body = new URLSearchParams();
      body.append("csrf_token", tokenField.value);
      body.append("chapter", table.getAttribute("data-chapter"));
      order.forEach(function (id) { body.append("case_ids", id); });
      say("正在保存顺序……");
      fetch(table.getAttribute("data-order-url"), {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "X-Requested-With": "fetch", "Accept": "application/json" }
      }).then(function (response) {
        return response.json().catch(function () {
          return { ok: false, message: response.status === 400
            ? "页面已过期，请刷新页面后再拖动" : "保存顺序失败（HTTP " + response.status + "）" };
        }).then(function (data) {
          if (!response.ok || !data.ok) throw new Error(data.message || "保存顺序失败");
          return data;
        });
      }, function () {
        throw new Error("网络连接失败，请检查网络后再试");
      }).then(function (data) {
        show(data.positions || {});
        moved.classList.remove("moved");
        void moved.offsetWidth; // restart the highlight
        moved.classList.add("moved");
        say(data.message);
      }).catch(function (error) {
        restore(previous);
        say(error.message + "。顺序没有改变。", true);
      });
    }

    rows().forEach(function (row) {
      row.draggable = true;
      var handle = row.querySelector(".handle");
      if (handle) handle.hidden = false;
      // Typing or selecting text in the score field must not start a drag of the row.
      row.addEventListener("mousedown", function (event) {
        row.draggable = !event.target.closest("input, button, label");
      });
      row.addEventListener("dragstart", function (event) {
        dragged = row;
        before = ids();
        row.classList.add("dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", row.getAttribute("data-case-id"));
      });
      row.addEventListener("dragend", function () {
        row.classList.remove("dragging");
        row.draggable = true;
        clearTargets();
        dragged = null;
      });
      row.addEventListener("dragover", function (event) {
        if (!dragged || dragged === row) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = "move";
        if (!row.classList.contains("drop-target")) {
          clearTargets();
          row.classList.add("drop-target");
          if (goesAfter(row)) row.classList.add("below");
        }
      });
      row.addEventListener("dragleave", function (event) {
        if (!row.contains(event.relatedTarget)) row.classList.remove("drop-target", "below");
      });
      row.addEventListener("drop", function (event) {
        event.preventDefault();
        if (!dragged || dragged === row) return;
        var moved = dragged;
        var previous = before;
        tbody.insertBefore(moved, goesAfter(row) ? row.nextSibling : row);
        clearTargets();
        save(moved, previous);
      });
    });
  }

  ready(function () {
    selectAll();
    dragAndDrop();
  });
})();
