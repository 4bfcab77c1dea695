// 信息发布审核表: the 打印 button (shown only when this script runs; Ctrl+P works without it).
for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
