// Draws the graph page's JSON twin (/api/graph?…) with the vendored cytoscape; clicking a node opens its page.
(function () {
  "use strict";
  var box = document.getElementById("graph");
  if (!box || typeof cytoscape === "undefined") return;
  var COLORS = { department: "#b5452d", goal: "#1f4e8c", measure: "#3f8a5a" };

  fetch(box.getAttribute("data-src"), { headers: { Accept: "application/json" }, credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      if (!data.ok) { box.textContent = data.error || "无法加载关系图"; return; }
      var elements = [];
      data.nodes.forEach(function (n) {
        elements.push({ group: "nodes", data: { id: n.id, label: n.label, kind: n.kind, url: n.url, title: n.title },
                        classes: (n.focus ? "focus " : "") + (COLORS[n.kind] ? n.kind : "other") });
      });
      data.edges.forEach(function (e) {
        elements.push({ group: "edges", data: { id: e.id, source: e.source, target: e.target, kind: e.kind },
                        classes: e.kind });
      });
      var big = data.nodes.length > 120;
      var cy = cytoscape({
        container: box,
        elements: elements,
        minZoom: 0.1,
        maxZoom: 3,
        style: [
          { selector: "node", style: { "label": "data(label)", "font-size": 10, "text-wrap": "wrap",
              "text-max-width": 110, "text-valign": "bottom", "text-margin-y": 3, "color": "#333",
              "min-zoomed-font-size": 7,
              "width": 18, "height": 18, "background-color": "#888", "font-family": "sans-serif" } },
          { selector: "node.department", style: { "shape": "round-rectangle", "background-color": COLORS.department,
              "width": 22, "height": 14 } },
          { selector: "node.goal", style: { "shape": "diamond", "background-color": COLORS.goal } },
          { selector: "node.measure", style: { "background-color": COLORS.measure } },
          { selector: "node.focus", style: { "width": 32, "height": 32, "border-width": 3, "border-color": "#f2b705",
              "font-weight": "bold", "font-size": 12 } },
          { selector: "edge", style: { "width": 1, "line-color": "#b9c2cc", "curve-style": "bezier",
              "target-arrow-shape": "triangle", "target-arrow-color": "#b9c2cc", "arrow-scale": 0.7 } },
          { selector: "edge.serves", style: { "line-color": "#6d8fb8", "target-arrow-color": "#6d8fb8" } },
          { selector: "edge.lead", style: { "line-color": "#c96a55", "target-arrow-color": "#c96a55", "width": 1.6 } },
          { selector: "edge.co", style: { "line-style": "dashed" } }
        ],
        layout: { name: "preset" }
      });
      layout(cy, big);

      cy.on("tap", "node", function (ev) {
        var url = ev.target.data("url");
        if (url) window.location.href = url;
      });
      cy.on("mouseover", "node", function (ev) { box.setAttribute("title", ev.target.data("title") || ""); });
      box.setAttribute("data-rendered", String(cy.nodes().length));
      window.planGraph = cy;
    })
    .catch(function () { box.textContent = "无法加载关系图,请使用下方列表。"; });

  // A focused view (department or item) puts the focus in the middle and rings by distance from it;
  // the whole plan uses a force-directed layout.
  function layout(cy, big) {
    var focus = cy.nodes(".focus");
    if (focus.length) {
      var dist = {};
      cy.elements().bfs({ roots: focus, directed: false, visit: function (v, e, u, i, depth) { dist[v.id()] = depth; } });
      cy.layout({ name: "concentric", animate: false, padding: 20, minNodeSpacing: 18, startAngle: -Math.PI / 2,
                  concentric: function (n) { return 10 - (dist[n.id()] === undefined ? 9 : dist[n.id()]); },
                  levelWidth: function () { return 1; } }).run();
    } else {
      cy.layout({ name: "cose", animate: false, padding: 20, randomize: false, nodeDimensionsIncludeLabels: !big,
                  idealEdgeLength: big ? 40 : 90, nodeRepulsion: big ? 6000 : 9000 }).run();
    }
  }
})();
