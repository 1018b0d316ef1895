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
  // A decision reloads the page: the undecided entry now where the decided one was (the next one: the decided
  // entry left the open view, or moved to the reviewed end) gets the focus, so the next key acts on it. The flash
  // saying what was decided is a role=status region, read out without the focus: it no longer keeps the focus
  // from the entries (the next key had to be j).
  var KEY = "queue-position";
  function undecided() { return Array.prototype.slice.call(document.querySelectorAll(".q-entry:not(.done)")); }
  document.addEventListener("submit", function (ev) {
    var entry = ev.target && ev.target.closest ? ev.target.closest(".q-entry") : null;
    if (!entry) { return; }
    try {
      sessionStorage.setItem(KEY, JSON.stringify({ page: location.pathname + location.search, at: undecided().indexOf(entry) }));
    } catch (e) { /* storage refused: the first undecided entry is focused */ }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var saved = null;
    try { saved = JSON.parse(sessionStorage.getItem(KEY) || "null"); sessionStorage.removeItem(KEY); } catch (e) { saved = null; }
    if (document.querySelector("[autofocus]")) { return; }
    var open = undecided();
    if (!open.length) { return; }
    var at = saved && saved.page === location.pathname + location.search && saved.at > 0 ? saved.at : 0;
    open[Math.min(at, open.length - 1)].focus({ preventScroll: at === 0 });
  });
})();
