/* A copy button for WeChat's rid (alert inbox, 诊断 page): <button data-copy="ID" hidden> copies the
   text of the element ID; without JavaScript the button stays hidden and the rid is selectable. */
(function () {
  "use strict";

  function select(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    if (!target) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = target.textContent.trim();
      var said = function () { button.textContent = "已复制"; setTimeout(function () { button.textContent = "复制"; }, 2000); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(said, function () { select(target); });
      } else {
        select(target);
        try { if (document.execCommand("copy")) { said(); } } catch (e) { /* selected: Ctrl+C */ }
      }
    });
  });
})();
