// Review queue keys: j/k move between entries, a/r/l/c press that entry's button, e focuses its reassign field.
(function () {
  "use strict";
  function entries() { return Array.prototype.slice.call(document.querySelectorAll(".q-entry")); }
  function current() {
    var el = document.activeElement;
    while (el && el.classList && !el.classList.contains("q-entry")) { el = el.parentElement; }
    return el && el.classList && el.classList.contains("q-entry") ? el : null;
  }
  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    var tag = (ev.target && ev.target.tagName) || "";
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") { return; }
    var list = entries();
    if (!list.length) { return; }
    var cur = current();
    var i = cur ? list.indexOf(cur) : -1;
    if (ev.key === "j" || ev.key === "k") {
      var next = list[Math.max(0, Math.min(list.length - 1, i + (ev.key === "j" ? 1 : -1)))] || list[0];
      next.focus();
      ev.preventDefault();
      return;
    }
    if (!cur) { return; }
    var target = cur.querySelector('[data-key="' + ev.key + '"]');
    if (!target) { return; }
    ev.preventDefault();
    if (target.tagName === "INPUT") { target.focus(); } else { target.click(); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var first = document.querySelector(".q-entry:not(.done)");
    if (first && !document.querySelector(".flash, [autofocus]")) { first.focus({ preventScroll: true }); }
  });
})();
