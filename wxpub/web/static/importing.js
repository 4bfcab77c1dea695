// Import form (wxpub.web.importing): progressive enhancement only, the form works without it.
// - files dropped on the drop zone become the input's files;
// - the chosen files are listed with their sizes, and a file of an unsupported type, one over the
//   per-file limit, too many files or too much in all are said at once (the form is not sent);
// - the chapter list shows the chosen series' chapters only.
(function () {
  "use strict";
  var form = document.querySelector("form.upload-form");
  if (!form) { return; }
  var input = form.querySelector("#files");
  var zone = form.querySelector("#drop-zone");
  var list = form.querySelector("#chosen");
  var problem = form.querySelector("#files-problem");
  var seriesSelect = form.querySelector("#series");
  var chapterSelect = form.querySelector("#chapter");
  var maxFiles = parseInt(form.dataset.maxFiles, 10);
  var maxFile = parseInt(form.dataset.maxFileBytes, 10);
  var maxBatch = parseInt(form.dataset.maxBatchBytes, 10);
  var types = form.dataset.types.split(" ");

  function size(bytes) {
    if (bytes >= 1048576) { return (bytes / 1048576).toFixed(1).replace(/\.0$/, "") + " MB"; }
    if (bytes >= 1024) { return Math.round(bytes / 1024) + " KB"; }
    return bytes + " 字节";
  }

  function suffix(name) {
    var dot = name.lastIndexOf(".");
    return dot < 0 ? "" : name.slice(dot).toLowerCase();
  }

  // What is wrong with the chosen files as a whole ("" when nothing); each file's own problem is
  // marked in the list (the server says it again in the dry run, for that file only).
  function check() {
    var files = input.files, total = 0, messages = [];
    list.textContent = "";
    for (var i = 0; i < files.length; i++) {
      var file = files[i], item = document.createElement("li"), name = document.createElement("span");
      var amount = document.createElement("span");
      name.textContent = file.name;
      amount.className = "size";
      amount.textContent = size(file.size);
      var note = "";
      if (types.indexOf(suffix(file.name)) < 0) {
        item.className = "bad-type";
        note = "不支持这种类型的文件，它不会被导入";
      } else if (file.size > maxFile) {
        item.className = "too-big";
        note = "超过单个文件 " + size(maxFile) + " 的上限，它不会被导入";
      }
      item.appendChild(name);
      item.appendChild(amount);
      if (note) {
        var why = document.createElement("span");
        why.className = "why";
        why.textContent = note;
        item.appendChild(why);
      }
      list.appendChild(item);
      total += file.size;
    }
    if (files.length > maxFiles) {
      messages.push("一次最多导入 " + maxFiles + " 个文件，现在选了 " + files.length + " 个，请分批导入。");
    }
    if (total > maxBatch) {
      messages.push("这些文件合计 " + size(total) + "，超过了一次最多 " + size(maxBatch) + " 的上限，请分批导入。");
    }
    problem.textContent = messages.join("");
    problem.hidden = messages.length === 0;
    return messages.length === 0;
  }

  input.addEventListener("change", check);
  form.addEventListener("submit", function (event) {
    if (!check()) { event.preventDefault(); problem.focus(); }
  });
  problem.tabIndex = -1;

  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.add("dragging");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove("dragging"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      check();
    }
  });

  // The chapter list: the chosen series' chapters (all of them when the files say the series).
  function narrow() {
    var series = seriesSelect.value;
    var groups = chapterSelect.querySelectorAll("optgroup");
    for (var i = 0; i < groups.length; i++) {
      var shown = series === "" || groups[i].dataset.series === series;
      groups[i].hidden = !shown;
      groups[i].disabled = !shown;
    }
    var chosen = chapterSelect.selectedOptions[0];
    if (chosen && chosen.parentElement.tagName === "OPTGROUP" && chosen.parentElement.disabled) {
      chapterSelect.value = "";
    }
  }
  seriesSelect.addEventListener("change", narrow);
  narrow();
  check();
}());
