// The monthly report's "打印 / 存为 PDF" button. A script file, not an onclick attribute: the web
// app's Content-Security-Policy allows scripts from this site only, never inline ones.
(function () {
  "use strict";
  function bind() {
    var buttons = document.querySelectorAll("[data-action=print]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].addEventListener("click", function () { window.print(); });
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", bind);
  } else {
    bind();
  }
})();
