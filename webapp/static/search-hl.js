// Item page opened from a search result: mark the matched words (?hl=a|b, as published) in the matched clause
// (#clause-id) or, without one, in the item text, and bring that sentence into view.
(function () {
  "use strict";
  function run() {
    var params = new URLSearchParams(window.location.search);
    var terms = (params.get("hl") || "").split("|").filter(function (t) { return t.trim().length > 0; });
    if (!terms.length) return;
    terms.sort(function (a, b) { return b.length - a.length; });
    var target = window.location.hash ? document.getElementById(decodeURIComponent(window.location.hash.slice(1))) : null;
    var scope = target || document.querySelector(".clauses") || document.querySelector("main");
    if (!scope) return;
    var walker = document.createTreeWalker(scope, NodeFilter.SHOW_TEXT, null);
    var nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    var first = null;
    nodes.forEach(function (node) {
      var text = node.nodeValue, out = [], pos = 0, i = 0;
      while (i < text.length) {
        var hit = null;
        for (var k = 0; k < terms.length; k++) {
          if (text.substr(i, terms[k].length) === terms[k]) { hit = terms[k]; break; }
        }
        if (hit) {
          if (i > pos) out.push(document.createTextNode(text.slice(pos, i)));
          var m = document.createElement("mark");
          m.className = "search-hit";
          m.textContent = hit;
          out.push(m);
          if (!first) first = m;
          i += hit.length;
          pos = i;
        } else {
          i += 1;
        }
      }
      if (!out.length) return;
      if (pos < text.length) out.push(document.createTextNode(text.slice(pos)));
      var parent = node.parentNode;
      out.forEach(function (n) { parent.insertBefore(n, node); });
      parent.removeChild(node);
    });
    if (target) {
      target.classList.add("search-target");
      target.style.background = "#fff6cc";
    }
    var focus = target || first;
    if (focus && focus.scrollIntoView) focus.scrollIntoView({ block: "center" });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
  else run();
})();
