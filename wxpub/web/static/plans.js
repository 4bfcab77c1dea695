// The planning form (/plans): live check through POST /api/v1/plans (dry run) as fields change,
// chapter rows filled from the chosen series, interval/cron fields by the chosen rhythm, and a
// confirmation before 保存并应用. Without JavaScript the form works as plain POSTs.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var form = document.getElementById("plan-form");
  if (!form) { return; }
  var output = document.getElementById("plan-check");
  var yamlList = document.getElementById("yaml-lines");
  var timer = null, seq = 0;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function issueList(items, kind) {
    var ul = el("ul", "issues issues-" + kind);
    items.forEach(function (i) {
      var li = el("li", null, (i.chapter ? "[" + i.chapter + "] " : "") + i.message);
      if (i.line) { li.appendChild(el("span", "line", "（YAML 第 " + i.line + " 行）")); }
      ul.appendChild(li);
    });
    return ul;
  }

  function render(data) {
    output.textContent = "";
    if (data.errors && data.errors.length) {
      var box = el("div", "error-box");
      box.appendChild(el("h3", null, "错误 " + data.errors.length + " 个（改正前不能应用）"));
      box.appendChild(issueList(data.errors, "error"));
      output.appendChild(box);
    }
    if (data.warnings && data.warnings.length) {
      var warn = el("div", "warn");
      warn.appendChild(el("h3", null, "警告 " + data.warnings.length + " 个（请有人看过）"));
      warn.appendChild(issueList(data.warnings, "warning"));
      output.appendChild(warn);
    }
    if (!(data.errors || []).length && !(data.warnings || []).length) {
      output.appendChild(el("p", "flash flash-ok ok-box", "检查通过：没有错误，也没有警告。"));
    }
    if (data.schedule) { output.appendChild(el("p", "schedule", "排期：" + data.schedule)); }
    if (data.calendar && data.calendar.length) {
      var table = el("table", "accounts plan-calendar");
      var head = el("tr");
      [["序号", "num"], ["篇章"], ["北京时间"], ["方式"], ["标题"], ["说明"]].forEach(function (h) {
        head.appendChild(el("th", h[1] || null, h[0]));
      });
      var thead = el("thead"); thead.appendChild(head); table.appendChild(thead);
      var body = el("tbody");
      data.calendar.forEach(function (r) {
        var tr = el("tr", r.skipped ? "skipped" : "");
        [["序号", r.index, "num"], ["篇章", r.label], ["北京时间", r.when, "when"], ["方式", r.mode_name],
         ["标题", r.title]].forEach(function (c) {
          var td = el("td", c[2] || null, String(c[1]));
          td.setAttribute("data-label", c[0]);
          tr.appendChild(td);
        });
        var notes = el("td"); notes.setAttribute("data-label", "说明");
        r.notes.forEach(function (n, i) {
          notes.appendChild(el("span", "note-item" + (r.skipped && i === 0 ? " skip" : ""), n));
        });
        tr.appendChild(notes);
        body.appendChild(tr);
      });
      table.appendChild(body);
      output.appendChild(table);
    }
    if (data.yaml && yamlList) {
      yamlList.textContent = "";
      data.yaml.replace(/\n$/, "").split("\n").forEach(function (line) {
        var li = el("li"); li.appendChild(el("code", null, line)); yamlList.appendChild(li);
      });
    }
  }

  function formObject() {
    var get = function (name) {
      var field = form.elements[name];
      if (!field) { return ""; }
      if (field.type === "checkbox") { return field.checked; }
      if (field.length !== undefined && field.tagName !== "SELECT") {  // a radio group
        for (var i = 0; i < field.length; i++) { if (field[i].checked) { return field[i].value; } }
        return "";
      }
      return field.value;
    };
    var data = {};
    ["series", "account", "account_type", "mode", "timezone", "start_date", "start_time", "repeat", "interval",
     "cron", "time_of_day", "blackout", "holidays_file", "title_template", "theme"].forEach(function (n) { data[n] = get(n); });
    data.workdays_only = form.elements.workdays_only.checked;
    data.chapters = [];
    form.querySelectorAll("#chapter-rows tbody tr").forEach(function (tr) {
      var q = function (n) { var f = tr.querySelector("[name=" + n + "]"); return f ? f.value : ""; };
      if (q("ch_name").trim()) {
        data.chapters.push({name: q("ch_name"), at_date: q("ch_date"), at_time: q("ch_time"), mode: q("ch_mode"),
                            part: q("ch_part")});
      }
    });
    return data;
  }

  // The source YAML travels base64-encoded (a browser would turn its line breaks into CRLF).
  function fromBase64(value) {
    var bytes = Uint8Array.from(atob(value), function (c) { return c.charCodeAt(0); });
    return new TextDecoder("utf-8").decode(bytes);
  }

  function check() {
    var mine = ++seq;
    var token = form.elements.csrf_token.value;
    var source = form.elements.source_b64;
    var status = el("p", "checking", "正在检查…");
    output.insertBefore(status, output.firstChild);
    fetch(form.getAttribute("data-check-url"), {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": token},
      body: JSON.stringify(source ? {form: formObject(), source_yaml: fromBase64(source.value), dry_run: true}
                                  : {form: formObject(), dry_run: true})
    }).then(function (resp) {
      return resp.json().then(function (data) { return {ok: resp.ok, data: data}; });
    }).then(function (answer) {
      if (mine !== seq) { return; }
      if (!answer.ok) {
        output.textContent = "";
        output.appendChild(el("p", "error", answer.data.message || "检查失败，请点“检查”按钮重试"));
        return;
      }
      render(answer.data);
    }).catch(function () {
      if (mine === seq && status.parentNode) { status.textContent = "自动检查暂时不可用，请点“检查”按钮。"; }
    });
  }

  function later() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(check, 500);
  }

  function showRepeat() {
    var chosen = (form.querySelector("input[name=repeat]:checked") || {}).value;
    form.querySelectorAll("[data-repeat]").forEach(function (node) {
      node.hidden = node.getAttribute("data-repeat") !== chosen;
    });
  }

  function renumber() {
    form.querySelectorAll("#chapter-rows tbody tr").forEach(function (tr, i) {
      var n = i + 1;
      tr.querySelector(".row-no").textContent = n;
      tr.querySelectorAll("[id]").forEach(function (field) {
        field.id = field.id.replace(/-\d+$/, "-" + n);
      });
      tr.querySelectorAll("label[for]").forEach(function (label) {
        label.setAttribute("for", label.getAttribute("for").replace(/-\d+$/, "-" + n));
        label.textContent = label.textContent.replace(/第 \d+ 篇/, "第 " + n + " 篇");
      });
    });
  }

  function addRow(name) {
    var body = form.querySelector("#chapter-rows tbody");
    var row = body.lastElementChild.cloneNode(true);
    row.querySelectorAll("input").forEach(function (f) { f.value = ""; });
    row.querySelectorAll("select").forEach(function (f) { f.selectedIndex = 0; });
    row.querySelector("[name=ch_name]").value = name || "";
    body.appendChild(row);
    renumber();
    return row;
  }

  function fillFromSeries() {
    var option = form.elements.series.selectedOptions[0];
    var names = option && option.getAttribute("data-chapters") ? option.getAttribute("data-chapters").split("|") : [];
    var list = document.getElementById("chapter-names");
    list.textContent = "";
    names.forEach(function (n) { var o = el("option"); o.value = n; list.appendChild(o); });
    if (!names.length) { return; }
    var body = form.querySelector("#chapter-rows tbody");
    var rows = body.querySelectorAll("tr");
    for (var i = rows.length - 1; i > 0; i--) { body.removeChild(rows[i]); }
    rows[0].querySelectorAll("input").forEach(function (f) { f.value = ""; });
    rows[0].querySelectorAll("select").forEach(function (f) { f.selectedIndex = 0; });
    rows[0].querySelector("[name=ch_name]").value = names[0];
    names.slice(1).forEach(function (n) { addRow(n); });
    addRow("");
  }

  form.addEventListener("input", later);
  form.addEventListener("change", function (event) {
    if (event.target.name === "repeat") { showRepeat(); }
    if (event.target.name === "series") {
      var rows = form.querySelectorAll("#chapter-rows [name=ch_name]");
      var empty = Array.prototype.every.call(rows, function (f) { return !f.value.trim(); });
      if (empty) { fillFromSeries(); }
    }
    later();
  });
  document.getElementById("add-row").addEventListener("click", function () {
    addRow("").querySelector("[name=ch_name]").focus();
  });
  document.getElementById("fill-rows").addEventListener("click", function () {
    if (window.confirm("用所选系列的篇章重新填写篇章表？表中已填的内容会被替换。")) { fillFromSeries(); later(); }
  });
  var apply = document.getElementById("apply-button");
  if (apply) {
    apply.addEventListener("click", function (event) {
      var box = document.getElementById("confirm");
      if (box && !box.checked) { return; }  // the server asks for the tick box
      if (!window.confirm(apply.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  }
  showRepeat();
})();
