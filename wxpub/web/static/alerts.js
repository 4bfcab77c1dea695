// The alert inbox (/alerts): a form marked data-confirm (标为已解决) asks in a dialog instead of
// the tick box the page has without JavaScript; the server still requires the tick (confirm=1).
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (!question) {
      return;
    }
    var box = form.querySelector("input[name=confirm]");
    if (box && box.checked) {
      return;
    }
    if (window.confirm(question)) {
      if (box) {
        box.checked = true;
      }
    } else {
      event.preventDefault();
    }
  });
})();
