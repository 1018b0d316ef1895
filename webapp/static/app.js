// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Destructive actions (撤销, 恢复, 删除 …) ask first: a button with data-confirm names what it will do.
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("button[data-confirm]");
    if (btn && !window.confirm(btn.getAttribute("data-confirm"))) ev.preventDefault();
  });

  // Evidence: clicking a phrase button highlights where that department's evidence sits in the text.
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("button.phrase[data-highlight]");
    if (!btn) return;
    var name = btn.getAttribute("data-highlight");
    var on = !btn.classList.contains("on");
    document.querySelectorAll("button.phrase.on").forEach(function (b) { b.classList.remove("on"); });
    document.querySelectorAll(".evidence.focus").forEach(function (m) { m.classList.remove("focus"); });
    if (!on) return;
    btn.classList.add("on");
    var first = null;
    document.querySelectorAll(".evidence[data-depts]").forEach(function (m) {
      if (m.getAttribute("data-depts").split("|").indexOf(name) >= 0) {
        m.classList.add("focus");
        first = first || m;
      }
    });
    if (first) first.scrollIntoView({ block: "center", behavior: "smooth" });
  });

  // Client-side sorting for tables marked .sortable (numbers sort numerically).
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("thead th").forEach(function (th, col) {
      th.classList.add("clickable");
      th.setAttribute("tabindex", "0");
      var sort = function () {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        table.querySelectorAll("thead th").forEach(function (o) { o.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col].textContent.trim(), y = b.cells[col].textContent.trim();
          var nx = parseFloat(x), ny = parseFloat(y);
          var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y, "zh-CN");
          return asc ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      };
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") sort(); });
    });
  });

  // The department picker on the home page opens the department as soon as one is chosen.
  var picker = document.querySelector("[data-testid=dept-picker]");
  if (picker) {
    picker.addEventListener("change", function () { picker.form.submit(); });
  }
})();
