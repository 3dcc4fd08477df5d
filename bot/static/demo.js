// The demo page's own behaviour: its buttons open the chat widget, or ask it a question.
// The buttons are hidden in the markup and only shown when the widget has loaded, so none is dead.
"use strict";
(function () {
  const widget = window.IHSWidget;
  if (!widget) return;
  document.querySelectorAll("[data-open-chat]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { widget.open(); });
  });
  document.querySelectorAll("[data-ask]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { widget.ask(button.dataset.ask); });
  });
})();
