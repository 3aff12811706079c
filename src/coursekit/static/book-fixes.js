/* Small fixes for the book's theme, loaded on every page by coursekit.book.quiz.
 *
 * Sidebar toggles: pydata-sphinx-theme 0.17 adds its own .primary-toggle/.secondary-toggle
 * buttons to the (hidden) top navbar, and both it and sphinx-book-theme wire only the FIRST such
 * button with document.querySelector. The visible buttons in the article header then do nothing,
 * so on a phone the navigation cannot be opened (pydata-sphinx-theme#2451,
 * sphinx-book-theme#988). When a click on a visible toggle changes nothing, pass it on to the
 * wired button. If a later theme release handles the click itself, the state changes and the
 * click is not passed on, so this fix switches itself off. */
(function () {
  "use strict";

  function sidebarState() {
    var parts = [];
    ["#pst-primary-sidebar-modal", "#pst-secondary-sidebar-modal"].forEach(function (sel) {
      var dialog = document.querySelector(sel);
      parts.push(dialog && dialog.open ? "open" : "closed");
    });
    ["#pst-primary-sidebar", "#pst-secondary-sidebar"].forEach(function (sel) {
      var sidebar = document.querySelector(sel);
      parts.push(sidebar ? sidebar.className : "");
    });
    return parts.join("|");
  }

  function fixToggles() {
    ["primary-toggle", "secondary-toggle"].forEach(function (name) {
      var buttons = document.querySelectorAll("." + name);
      if (buttons.length < 2) return;
      var wired = buttons[0];
      Array.prototype.slice.call(buttons, 1).forEach(function (button) {
        button.addEventListener("click", function () {
          var before = sidebarState();
          window.setTimeout(function () {
            if (sidebarState() === before) wired.click();
          }, 0);
        });
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fixToggles);
  } else {
    fixToggles();
  }
})();
