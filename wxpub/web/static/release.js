/* The release page (/releases/<id>): a confirm() before destructive forms (the server also needs
   the ticked box; the copy button for WeChat's rid is copy.js), and — while the release is in flight — a poll of
   its status that reloads the page when something changed (or says so, when a form is being filled). */
(function () {
  "use strict";

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    });
  });

  // A refused form is shown again: bring its reason (beside the form) into view.
  var refusal = document.querySelector(".rl-form .error");
  if (refusal) {
    refusal.scrollIntoView({block: "center"});
    refusal.focus({preventScroll: true});
  }

  var page = document.getElementById("release");
  var url = page && page.getAttribute("data-status-url");
  if (!url) { return; }
  var signature = page.getAttribute("data-signature");
  var note = document.getElementById("live-note");
  var typing = false;
  page.addEventListener("input", function () { typing = true; });
  var failures = 0;
  var timer = setInterval(poll, 4000);

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (answer) {
        if (!answer.ok) { throw new Error("HTTP " + answer.status); }
        return answer.json();
      })
      .then(function (status) {
        failures = 0;
        if (status.signature !== signature) {
          if (typing) {
            clearInterval(timer);
            if (note) { note.textContent = "状态已变为“" + status.state_name + "”：请刷新本页查看（刷新会清空正在填写的内容）。"; }
            return;
          }
          window.location.reload();
          return;
        }
        if (!status.live) { clearInterval(timer); }
      })
      .catch(function () {
        failures += 1;
        if (failures >= 3) {
          clearInterval(timer);
          if (note) { note.textContent = "暂时无法自动更新状态，请稍后刷新本页。"; }
        }
      });
  }
})();
