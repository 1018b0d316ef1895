// Item page opened from a search result: mark the matched words (?hl=a|b, as published) in the matched clause
// (#clause-id) or, without one, in the item text, and bring that sentence into view. A word may run across the
// page's evidence and repair marks, so hits are found in the scope's whole text and wrapped node by node.
(function () {
  "use strict";
  function hits(text, terms) {
    var out = [], i = 0;
    while (i < text.length) {
      var hit = null;
      for (var k = 0; k < terms.length; k++) {
        if (text.substr(i, terms[k].length) === terms[k]) { hit = terms[k]; break; }
      }
      if (hit) { out.push([i, i + hit.length]); i += hit.length; } else { i += 1; }
    }
    return out;
  }
  function run() {
    var params = new URLSearchParams(window.location.search);
    var terms = (params.get("hl") || "").split("|").filter(function (t) { return t.trim().length > 0; });
    if (!terms.length) return;
    terms.sort(function (a, b) { return b.length - a.length; });
    var id = window.location.hash ? decodeURIComponent(window.location.hash.slice(1)) : "";
    var target = id ? document.getElementById(id) : null;
    var scope = target || document.querySelector(".clauses") || document.querySelector("main");
    if (!scope) return;
    var walker = document.createTreeWalker(scope, NodeFilter.SHOW_TEXT, null);
    var nodes = [], full = "";
    while (walker.nextNode()) {
      nodes.push({ node: walker.currentNode, start: full.length });
      full += walker.currentNode.nodeValue;
    }
    var ranges = hits(full, terms);
    var first = null;
    for (var n = nodes.length - 1; n >= 0; n--) {  // from the end, so earlier offsets stay valid
      var node = nodes[n].node, start = nodes[n].start, end = start + node.nodeValue.length;
      for (var r = ranges.length - 1; r >= 0; r--) {
        var a = Math.max(ranges[r][0], start), b = Math.min(ranges[r][1], end);
        if (a >= b) continue;
        var tail = node.splitText(a - start);
        tail.splitText(b - a);
        var m = document.createElement("mark");
        m.className = "search-hit";
        tail.parentNode.replaceChild(m, tail);
        m.appendChild(tail);
        first = m;
      }
    }
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
