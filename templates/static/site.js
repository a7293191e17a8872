/* openrouter-archiver site: filters, sorting, relative times; loads charts.js for charts.
   Every page reads without it; this only adds interactivity. No dependencies. */
(function () {
  "use strict";

  var fmt = function (n) { return n.toLocaleString("en-US"); };
  var params = new URLSearchParams(window.location.search);

  function setParam(name, value) {
    var url = new URL(window.location.href);
    if (value) { url.searchParams.set(name, value); } else { url.searchParams.delete(name); }
    window.history.replaceState(null, "", url.pathname + url.search + url.hash);
  }

  /* ---- tables: sort every column marked data-sort; search and facets on main tables ---- */
  function Grid(table, toolbar) {
    this.table = table;
    this.tbody = table.tBodies[0];
    this.items = Array.prototype.map.call(this.tbody.rows, function (tr, index) {
      var tokens = {};
      (tr.getAttribute("data-in") || "").split(" ").forEach(function (t) { if (t) { tokens["in:" + t] = 1; } });
      (tr.getAttribute("data-out") || "").split(" ").forEach(function (t) { if (t) { tokens["out:" + t] = 1; } });
      (tr.getAttribute("data-f") || "").split(" ").forEach(function (t) { if (t) { tokens["f:" + t] = 1; } });
      return { tr: tr, index: index, text: tr.getAttribute("data-s") || "", tokens: tokens, shown: true };
    });
    this.columns = {};
    this.toolbar = toolbar;
    var self = this;
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      if (!th.hasAttribute("data-sort")) { return; }
      // The label goes in a button (focus, Enter, Space); the header keeps its role and aria-sort.
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      th.addEventListener("click", function () { self.sortBy(th); });
    });
    if (toolbar) { this.bindToolbar(toolbar); }
  }

  Grid.prototype.values = function (column, numeric) {
    var key = column + (numeric ? "n" : "t");
    if (!this.columns[key]) {
      this.columns[key] = this.items.map(function (item) {
        var cell = item.tr.cells[column];
        if (!cell) { return null; }
        var raw = cell.getAttribute("data-v");
        if (numeric) {
          return raw === null || raw === "" ? null : parseFloat(raw);
        }
        // A text cell showing no value ("–") says so with an empty data-v: its dash is no text
        // to sort by (it sorted after every letter, so first when descending).
        return raw === "" ? null : cell.textContent.trim().toLowerCase();
      });
    }
    return this.columns[key];
  };

  Grid.prototype.sortBy = function (th) {
    var numeric = th.getAttribute("data-sort") === "num";
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(th.parentNode.cells, function (cell) { cell.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var values = this.values(th.cellIndex, numeric);
    var order = this.items.slice();
    var direction = ascending ? 1 : -1;
    order.sort(function (a, b) {
      var x = values[a.index], y = values[b.index];
      if (x === y) { return a.index - b.index; }
      if (x === null || x === "") { return 1; }   // Unknown values last, whichever the direction.
      if (y === null || y === "") { return -1; }
      return (x < y ? -1 : 1) * direction;
    });
    var fragment = document.createDocumentFragment();
    order.forEach(function (item) { fragment.appendChild(item.tr); });
    this.tbody.appendChild(fragment);
  };

  Grid.prototype.bindToolbar = function (toolbar) {
    var self = this;
    this.search = toolbar.querySelector("[data-search]");
    this.boxes = Array.prototype.slice.call(toolbar.querySelectorAll("input[data-facet]"));
    this.counter = toolbar.querySelector("[data-count]");
    this.resets = Array.prototype.slice.call(document.querySelectorAll("[data-reset]"));
    this.empty = document.querySelector("[data-empty]");
    var pending = false;
    var schedule = function () {
      if (pending) { return; }
      pending = true;
      window.requestAnimationFrame(function () { pending = false; self.filter(); });
    };
    if (this.search) {
      if (params.get("q")) { this.search.value = params.get("q"); }
      this.search.addEventListener("input", schedule);
    }
    // The facets live in the URL as the search does (f=orphan,alias, as the grid writes
    // them): a reload, the back button or a shared link shows the same rows.
    this.boxes.forEach(function (box) {
      var listed = (params.get(box.getAttribute("data-facet")) || "").split(",");
      box.checked = listed.indexOf(box.value) !== -1;
      box.addEventListener("change", schedule);
    });
    this.resets.forEach(function (button) {
      button.addEventListener("click", function () {
        if (self.search) { self.search.value = ""; }
        self.boxes.forEach(function (box) { box.checked = false; });
        self.filter();
      });
    });
    var checked = this.boxes.some(function (box) { return box.checked; });
    if ((this.search && this.search.value) || checked) { this.filter(); }
  };

  Grid.prototype.filter = function () {
    var query = this.search ? this.search.value.trim().toLowerCase() : "";
    var terms = query ? query.split(/\s+/) : [];
    var wanted = this.boxes.filter(function (box) { return box.checked; }).map(function (box) {
      return box.getAttribute("data-facet") + ":" + box.value;
    });
    var shown = 0;
    this.items.forEach(function (item) {
      var ok = true;
      for (var i = 0; ok && i < terms.length; i++) { ok = item.text.indexOf(terms[i]) !== -1; }
      for (var j = 0; ok && j < wanted.length; j++) { ok = item.tokens[wanted[j]] === 1; }
      if (ok !== item.shown) { item.tr.hidden = !ok; item.shown = ok; }
      if (ok) { shown++; }
    });
    if (this.counter) { this.counter.textContent = fmt(shown); }
    var active = terms.length > 0 || wanted.length > 0;
    this.resets.forEach(function (button) { if (button.classList.contains("reset")) { button.hidden = !active; } });
    if (this.empty) { this.empty.hidden = shown > 0; }
    Array.prototype.forEach.call(document.querySelectorAll("details.drop"), function (drop) {
      drop.classList.toggle("active", drop.querySelector("input:checked") !== null);
    });
    setParam("q", query);
    var facets = {};
    this.boxes.forEach(function (box) {
      var name = box.getAttribute("data-facet");
      facets[name] = facets[name] || [];
      if (box.checked) { facets[name].push(box.value); }
    });
    Object.keys(facets).forEach(function (name) { setParam(name, facets[name].join(",")); });
  };

  function setupTables() {
    var tables = document.querySelectorAll("table[data-grid]");
    Array.prototype.forEach.call(tables, function (table, index) {
      var main = index === 0 && table.closest(".entity") === null;
      new Grid(table, main ? document.querySelector(".toolbar") : null);
    });
    document.addEventListener("click", function (event) {
      Array.prototype.forEach.call(document.querySelectorAll("details.drop[open]"), function (drop) {
        if (!drop.contains(event.target)) { drop.open = false; }
      });
    });
  }

  /* ---- charts: their script (static/charts.js, next to this one) only where there are charts ---- */
  var here = document.currentScript ? document.currentScript.src : "";
  function loadCharts() {
    if (!here || !document.querySelector("section.chartblock")) { return; }
    var script = document.createElement("script");
    script.src = here.replace(/site\.js(\?.*)?$/, "charts.js");
    document.head.appendChild(script);
  }

  /* ---- the change monitor: its script (static/monitor.js) only on the monitor's pages ---- */
  function loadMonitor() {
    if (!here || !document.querySelector("[data-monitor]")) { return; }
    var script = document.createElement("script");
    script.src = here.replace(/site\.js(\?.*)?$/, "monitor.js");
    document.head.appendChild(script);
  }

  /* ---- relative times ("about 3 hours ago"), from the reader's clock ---- */
  function setupAges() {
    var now = Date.now();
    Array.prototype.forEach.call(document.querySelectorAll("[data-age]"), function (element) {
      var then = Date.parse(element.getAttribute("data-age"));
      if (isNaN(then)) { return; }
      var minutes = Math.max(0, Math.round((now - then) / 60000));
      var text = minutes < 60 ? minutes + " min" : minutes < 2880 ? Math.round(minutes / 60) + " hours" : Math.round(minutes / 1440) + " days";
      element.textContent = "about " + text + " ago";
    });
  }

  /* ---- honest freshness: the newest sync's age on the reader's clock, stale past a limit ---- */
  function ageText(minutes) {
    if (minutes < 60) { return minutes + " min"; }
    if (minutes < 2880) { return Math.round(minutes / 60) + " h"; }
    return Math.round(minutes / 1440) + " days";
  }

  function setupFreshness() {
    var now = Date.now();
    Array.prototype.forEach.call(document.querySelectorAll("[data-fresh]"), function (holder) {
      var then = Date.parse(holder.getAttribute("data-fresh"));
      var limit = parseFloat(holder.getAttribute("data-stale-after")) * 1000;
      if (isNaN(then) || isNaN(limit)) { return; }
      var stale = now - then > limit;
      var minutes = Math.max(0, Math.round((now - then) / 60000));
      holder.classList.toggle("stale", stale);
      Array.prototype.forEach.call(holder.querySelectorAll("[data-fresh-age]"), function (label) {
        label.textContent = "synced " + ageText(minutes) + " ago";
      });
      Array.prototype.forEach.call(holder.querySelectorAll("[data-fresh-dot]"), function (dot) { dot.hidden = stale; });
      Array.prototype.forEach.call(holder.querySelectorAll("[data-fresh-stale]"), function (note) { note.hidden = !stale; });
    });
  }

  /* ---- keyboard: Esc closes open menus (and gives focus back to their toggle) ---- */
  function setupEscape() {
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") { return; }
      Array.prototype.forEach.call(document.querySelectorAll("details.drop[open], details[data-menu][open]"), function (menu) {
        var hadFocus = menu.contains(document.activeElement);
        menu.open = false;
        if (hadFocus) { menu.querySelector("summary").focus(); }
      });
    });
  }

  function start() {
    setupTables();
    loadMonitor();
    loadCharts();
    setupAges();
    setupFreshness();
    setupEscape();
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
