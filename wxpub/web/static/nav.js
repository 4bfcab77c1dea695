// The site menu (base.html): a <details> that the server sends open, so that without JavaScript
// every link shows (a wrapping grid on a phone, a bar on a desk). Here, on a phone, it is folded
// under 「菜单」 while the page loads; on a desk it is always open (its summary is hidden, app.css).
(function () {
  "use strict";
  var menu = document.getElementById("site-menu");
  if (!menu || !window.matchMedia) {
    return;
  }
  var phone = window.matchMedia("(max-width: 40rem)");
  function fit() {
    menu.open = !phone.matches;
  }
  fit();
  if (phone.addEventListener) {
    phone.addEventListener("change", fit);
  } else if (phone.addListener) {
    phone.addListener(fit);
  }
  // Escape closes the open menu on a phone and gives the focus back to 「菜单」.
  menu.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && phone.matches && menu.open) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });
})();
