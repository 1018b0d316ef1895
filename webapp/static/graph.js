// Draws the graph page's JSON twin (/api/graph?…) with the vendored cytoscape.
// The whole plan shows one node per domain (a click expands it to its goals and measures, another click folds it);
// a department's view boxes its items by domain; an item's view rings its neighbours around it.
// Hovering a link shows its evidence in words; clicking an item opens its page.
(function () {
  "use strict";
  var box = document.getElementById("graph");
  if (!box || typeof cytoscape === "undefined") return;
  var view = box.getAttribute("data-view") || "item";
  var COLORS = { department: "#b5452d", goal: "#1f4e8c", measure: "#3f8a5a", domain: "#1f4e8c" };
  // model units: a side label's room, a row, the gap links cross between a group's two columns, between blocks
  var MIN_READABLE = 0.8, MAX_FIT = 1.25;  // the zoom below which 11 px labels get hard to read
  var LABEL = 230, ROW = 30, SPAN = 150, GAP = 60;
  var tip = document.createElement("div");
  tip.className = "graph-tip";
  tip.hidden = true;
  box.parentNode.insertBefore(tip, box.nextSibling);
  var cy = null;

  var STYLE = [
    { selector: "node", style: { "label": "data(label)", "font-size": 11, "text-wrap": "wrap",
        "text-max-width": 130, "text-valign": "bottom", "text-margin-y": 3, "color": "#1f2933",
        "min-zoomed-font-size": 6, "width": 18, "height": 18, "background-color": "#888",
        "font-family": "sans-serif" } },
    { selector: "node.department", style: { "shape": "round-rectangle", "background-color": COLORS.department,
        "width": 26, "height": 16, "font-weight": "bold" } },
    { selector: "node.goal", style: { "shape": "diamond", "background-color": COLORS.goal } },
    { selector: "node.measure", style: { "background-color": COLORS.measure } },
    { selector: "node.co", style: { "background-color": "#fff", "border-width": 2, "border-color": COLORS.measure } },
    { selector: "node.goal.co", style: { "border-color": COLORS.goal } },
    { selector: "node.focus", style: { "width": 32, "height": 32, "border-width": 3, "border-color": "#f2b705",
        "font-weight": "bold", "font-size": 13 } },
    { selector: "node.domain", style: { "shape": "round-rectangle", "background-color": "#e8eff8",
        "border-width": 2, "border-color": COLORS.domain, "text-valign": "center", "text-halign": "center",
        "width": "data(w)", "height": 62, "font-size": 13, "font-weight": "bold", "color": "#173b6a" } },
    { selector: ":parent", style: { "shape": "round-rectangle", "background-color": "#f4f6f9",
        "background-opacity": 1, "border-width": 1, "border-color": "#9fb3cc", "padding": 18,
        "text-valign": "top", "text-halign": "center", "text-margin-y": -4, "font-size": 14,
        "text-max-width": 600, "text-wrap": "wrap",
        "font-weight": "bold", "color": "#173b6a" } },
    { selector: "node.label-left", style: { "text-valign": "center", "text-halign": "left", "text-margin-x": -6,
        "text-margin-y": 0, "text-max-width": 220, "text-wrap": "ellipsis" } },
    { selector: "node.label-right", style: { "text-valign": "center", "text-halign": "right", "text-margin-x": 6,
        "text-margin-y": 0, "text-max-width": 220, "text-wrap": "ellipsis" } },
    { selector: "edge", style: { "width": 1.2, "line-color": "#b9c2cc", "curve-style": "straight",
        "target-arrow-shape": "triangle", "target-arrow-color": "#b9c2cc", "arrow-scale": 0.8 } },
    { selector: "edge.serves", style: { "line-color": "#6d8fb8", "target-arrow-color": "#6d8fb8" } },
    { selector: "edge.strong", style: { "width": 2.6, "line-color": "#2f6aa8", "target-arrow-color": "#2f6aa8" } },
    { selector: "edge.weak", style: { "width": 1, "line-style": "dashed", "line-color": "#c3ccd6",
        "target-arrow-color": "#c3ccd6" } },
    { selector: "edge.reviewed", style: { "width": 2.6, "line-color": "#3f7a52", "target-arrow-color": "#3f7a52" } },
    { selector: "edge.serves_many", style: { "width": "data(w)", "line-color": "#9fb3cc",
        "target-arrow-color": "#9fb3cc", "label": "data(label)", "font-size": 11, "color": "#5f6b7a",
        "text-background-color": "#fff", "text-background-opacity": 1 } },
    { selector: "edge.duties", style: { "line-color": "#c96a55", "target-arrow-color": "#c96a55", "width": 1.6,
        "label": "data(label)", "font-size": 11, "color": "#8a3320", "text-background-color": "#fff",
        "text-background-opacity": 1 } },
    { selector: "edge.lead", style: { "line-color": "#c96a55", "target-arrow-color": "#c96a55", "width": 1.6 } },
    { selector: "edge.co", style: { "line-style": "dashed" } },
    { selector: "edge.hover", style: { "line-color": "#f2b705", "target-arrow-color": "#f2b705" } }
  ];

  function elementsOf(data) {
    var out = [];
    data.nodes.forEach(function (n) {
      // one line inside a group (措施4 title), and as a group's own heading (儿童与健康 · 目标 12 · 措施 13)
      var label = n.parent ? n.label.replace("\n", " ") : n.expanded ? n.label.replace("\n", " · ") : n.label;
      var d = { id: n.id, label: label, kind: n.kind, url: n.url, title: n.title, toggle: n.toggle || "" };
      if (n.parent) d.parent = n.parent;
      if (n.kind === "domain") d.w = Math.max(120, 16 * Math.max(n.label.split("\n")[0].length, 8));
      var cls = [(COLORS[n.kind] || n.kind === "group") ? n.kind : "other"];
      if (n.focus) cls.push("focus");
      if (n.role) cls.push(n.role);
      if (n.expanded) cls.push("expanded");
      out.push({ group: "nodes", data: d, classes: cls.join(" ") });
    });
    data.edges.forEach(function (e) {
      out.push({ group: "edges", classes: [e.kind, e.strength || ""].join(" "),
                 data: { id: e.id, source: e.source, target: e.target, kind: e.kind, label: e.label || "",
                         evidence: e.evidence || "", w: Math.min(1 + (e.count || 1), 6) } });
    });
    return out;
  }

  // Blocks flow left to right in rows about as wide as the box's shape. A group's goals stand in one column with
  // their labels to the left, its measures in another with labels to the right: links cross the gap between.
  function grouped() {
    var blocks = [];
    cy.nodes().orphans().forEach(function (top) {
      var kids = top.children();
      if (!kids.length) {
        blocks.push({ node: top, w: top.hasClass("domain") ? top.data("w") + 30 : LABEL, h: ROW * 2 + 10,
                      alone: top.hasClass("focus") });  // the department heads its groups on a row of its own
        return;
      }
      var cols = [kids.filter(".goal"), kids.not(".goal")].filter(function (c) { return c.length; });
      var h = Math.max.apply(null, cols.map(function (c) { return c.length; })) * ROW;
      blocks.push({ cols: cols, w: LABEL * cols.length + (cols.length - 1) * SPAN + 40, h: h + 56 });
    });
    var area = 0, widest = 0;
    blocks.forEach(function (b) { area += (b.w + GAP) * (b.h + GAP); widest = Math.max(widest, b.w); });
    var rowWidth = Math.max(widest, Math.sqrt(area * box.clientWidth / Math.max(box.clientHeight, 200)));
    var x = 0, y = 0, rowH = 0;
    blocks.forEach(function (b) {
      if (x > 0 && x + b.w > rowWidth) { x = 0; y += rowH + GAP; rowH = 0; }
      if (b.node) {
        b.node.position({ x: b.alone ? 40 : x + b.w / 2, y: y + b.h / 2 });
      } else {
        b.cols.forEach(function (c, k) {
          var left = b.cols.length > 1 && k === 0, cx = x + 20 + (left ? LABEL - 10 : k * (LABEL + SPAN) + 10);
          c.forEach(function (n, i) {
            n.addClass(left ? "label-left" : "label-right");
            n.position({ x: cx, y: y + 40 + i * ROW });
          });
        });
      }
      x += b.w + GAP;
      rowH = Math.max(rowH, b.h);
      if (b.alone) { x = 0; y += rowH; rowH = 0; }
    });
  }

  // An item's view puts the item in the middle and rings the others by their distance from it.
  function rings() {
    var focus = cy.nodes(".focus"), dist = {};
    cy.elements().bfs({ roots: focus, directed: false, visit: function (v, e, u, i, depth) { dist[v.id()] = depth; } });
    cy.layout({ name: "concentric", animate: false, padding: 20, minNodeSpacing: 60, startAngle: -Math.PI / 6,
                nodeDimensionsIncludeLabels: true, avoidOverlap: true,
                concentric: function (n) { return 10 - (dist[n.id()] === undefined ? 9 : dist[n.id()]); },
                levelWidth: function () { return 1; } }).run();
  }

  function draw(data) {
    if (!cy) {
      cy = cytoscape({ container: box, elements: [], style: STYLE, minZoom: 0.15, maxZoom: 3, layout: { name: "preset" } });
      bind();
    }
    cy.batch(function () { cy.elements().remove(); cy.add(elementsOf(data)); });
    if (view === "item") rings();
    else if (view === "plan" && !cy.nodes(":parent").length) {  // domains on a circle: a link never crosses a node
      cy.layout({ name: "circle", animate: false, padding: 20, avoidOverlap: true, spacingFactor: 1.1,
                  startAngle: -Math.PI / 2 }).run();
    } else grouped();
    cy.fit(undefined, 24);
    if (cy.zoom() > MAX_FIT) { cy.zoom(MAX_FIT); cy.center(); }  // a small view is not blown up
    if (cy.zoom() < MIN_READABLE && view !== "item") {  // many blocks: start readable at the top left
      var bb = cy.elements().boundingBox();
      cy.zoom(MIN_READABLE);
      cy.pan({ x: 16 - bb.x1 * MIN_READABLE, y: 16 - bb.y1 * MIN_READABLE });
    }
    box.setAttribute("data-rendered", String(cy.nodes().length));
    box.setAttribute("data-expanded", (data.expanded || []).join(","));
    window.planGraph = cy;
  }

  function load(src) {
    box.setAttribute("aria-busy", "true");
    return fetch(src, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        box.removeAttribute("aria-busy");
        if (!data.ok) { box.textContent = data.error || "无法加载关系图"; return; }
        draw(data);
      });
  }

  function showTip(text, ev) {
    if (!text) { tip.hidden = true; return; }
    tip.textContent = text;
    tip.hidden = false;
    var p = ev.originalEvent || {}, x = (p.clientX || 0) + 14, y = (p.clientY || 0) + 14;
    tip.style.left = Math.max(4, Math.min(x, window.innerWidth - tip.offsetWidth - 8)) + "px";
    tip.style.top = Math.max(4, Math.min(y, window.innerHeight - tip.offsetHeight - 8)) + "px";
  }

  function bind() {
    cy.on("tap", "node", function (ev) {
      var n = ev.target;
      if (n.data("kind") === "domain" && n.data("toggle")) {  // expand or fold a domain, keep it in the URL
        history.replaceState(null, "", n.data("url"));
        load(n.data("toggle"));
        return;
      }
      if (n.isParent()) return;
      if (n.data("url")) window.location.href = n.data("url");
    });
    cy.on("mouseover", "node", function (ev) { showTip(ev.target.data("title"), ev); });
    cy.on("mouseover", "edge", function (ev) {
      ev.target.addClass("hover");
      showTip(ev.target.data("evidence") || ev.target.data("label"), ev);
    });
    cy.on("tap", "edge", function (ev) { showTip(ev.target.data("evidence") || ev.target.data("label"), ev); });
    cy.on("mouseout", "node, edge", function (ev) { ev.target.removeClass("hover"); tip.hidden = true; });
    cy.on("viewport", function () { tip.hidden = true; });
  }

  load(box.getAttribute("data-src")).catch(function () {
    box.textContent = "无法加载关系图,请使用下方列表。";
  });
})();
