/* openrouter-archiver: the endpoint grid at any size.
   Loads grid.json (written by archiver/site/grid_data.py) once and renders only the rows in
   view, between two spacer rows; sort, search and facets run on arrays in memory. The page's
   own first rows and its paged tables (endpoints/page-N.html) serve readers without it.
   Upstream text only ever goes in as textContent or attribute values, never as HTML. */
(function () {
  "use strict";

  var OVERSCAN = 6;        // rows rendered above and below the visible ones
  var COLUMNS = 18;
  var URL_DELAY_MS = 120;
  var fmt = function (n) { return n.toLocaleString("en-US"); };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function initial(name) {
    return name ? String.fromCodePoint(name.codePointAt(0)).toUpperCase() : "";
  }

  function avatar(name, tint, kind) {
    var node = el("span", "av av" + tint + (kind ? " " + kind : ""), initial(name));
    node.setAttribute("aria-hidden", "true");
    return node;
  }

  /* A header's name as text: "Uptime (24 h)" from its label and its unit. */
  function columnName(th) {
    var unit = th.querySelector("small"), text = th.textContent.trim();
    if (!unit) { return text; }
    return text.slice(0, text.length - unit.textContent.length).trim() + " (" + unit.textContent + ")";
  }

  function link(href, text) {
    var node = el("a", null, text);
    node.setAttribute("href", href);
    return node;
  }

  /* ---- the data: dictionary-encoded columns, facet bit masks ---- */
  function Data(json) {
    this.count = json.count;
    this.ids = json.ids;
    this.pages = json.pages || {};
    this.columns = json.columns;
    this.labels = json.labels || {};
    this.facets = json.facets;
    this.bit = {};
    var self = this;
    json.tokens.forEach(function (token, index) { self.bit[token] = index; });
    this.orders = {};
    var model = this.columns.model.values, provider = this.columns.provider.values;
    this.modelText = model.map(function (v) { return (v[1] + " " + v[2]).toLowerCase(); });
    this.providerText = provider.map(function (v) { return (v[1] + " " + v[2] + " " + v[3]).toLowerCase(); });
  }

  /* Rows in a column's order: a counting sort on the codes (values are stored in sort order),
     stable, so ties keep the default order; unknown values last whichever the direction. */
  Data.prototype.order = function (name, direction) {
    var key = name + ":" + direction;
    if (this.orders[key]) { return this.orders[key]; }
    var n = this.count, out = new Int32Array(n);
    if (!name) {
      for (var r = 0; r < n; r++) { out[r] = r; }
    } else {
      var column = this.columns[name], codes = column.codes, known = column.known;
      var bucketOf = new Int32Array(column.values.length + 1);
      for (var c = 0; c <= column.values.length; c++) {
        bucketOf[c] = c >= known || c === column.values.length ? known : direction > 0 ? c : known - 1 - c;
      }
      var unknown = column.values.length;  // code -1 goes here
      var starts = new Int32Array(known + 2);
      for (var i = 0; i < n; i++) { starts[bucketOf[codes[i] < 0 ? unknown : codes[i]] + 1]++; }
      for (var b = 1; b < starts.length; b++) { starts[b] += starts[b - 1]; }
      for (var j = 0; j < n; j++) { out[starts[bucketOf[codes[j] < 0 ? unknown : codes[j]]]++] = j; }
    }
    this.orders[key] = out;
    return out;
  };

  /* Which rows pass: every search term in the model's or the provider's text, every facet set. */
  Data.prototype.mask = function (terms, tokens) {
    var n = this.count, keep = new Uint8Array(n).fill(1), self = this;
    var models = this.columns.model.codes, providers = this.columns.provider.codes;
    terms.forEach(function (term) {
      var inModel = self.modelText.map(function (text) { return text.indexOf(term) !== -1; });
      var inProvider = self.providerText.map(function (text) { return text.indexOf(term) !== -1; });
      for (var i = 0; i < n; i++) {
        if (keep[i] && !inModel[models[i]] && !inProvider[providers[i]]) { keep[i] = 0; }
      }
    });
    var need = {};
    tokens.forEach(function (token) {
      var bit = self.bit[token];
      if (bit === undefined) { keep.fill(0); return; }
      var word = Math.floor(bit / 30);
      need[word] = (need[word] || 0) | (1 << (bit % 30));
    });
    Object.keys(need).forEach(function (word) {
      var masks = self.facets[word], wanted = need[word];
      for (var i = 0; i < n; i++) { if (keep[i] && (masks[i] & wanted) !== wanted) { keep[i] = 0; } }
    });
    return keep;
  };

  Data.prototype.value = function (name, row) {
    var code = this.columns[name].codes[row];
    return code < 0 ? null : this.columns[name].values[code];
  };

  /* ---- one row, the same markup as templates/grid_rows.html ---- */
  Data.prototype.renderRow = function (row, position, root) {
    var tr = el("tr"), page = root + (this.pages[row] || "endpoint/" + this.ids[row] + ".html");
    tr.setAttribute("data-id", this.ids[row]);
    tr.setAttribute("aria-rowindex", String(position + 2));
    var status = this.value("status", row);
    if (status && status[1].length) { tr.className = status[1].join(" "); }

    var id = el("td", "c-id"), idLink = link(page);
    idLink.appendChild(el("code", null, this.ids[row].slice(0, 6)));
    id.appendChild(idLink);
    tr.appendChild(id);

    var model = this.value("model", row), modelCell = el("td", "c-model"), modelText = el("div");
    modelCell.appendChild(avatar(model[1], model[4]));
    // No page for a model the catalog no longer lists (its endpoints held back): its name alone.
    modelText.appendChild(model[3] !== null ? link(root + model[3], model[1]) : el("span", null, model[1]));
    modelText.appendChild(el("code", null, model[2]));
    modelCell.appendChild(modelText);
    tr.appendChild(modelCell);

    var provider = this.value("provider", row), providerCell = el("td", "c-prov"), providerText = el("div");
    providerCell.appendChild(avatar(provider[1], provider[4], "prov"));
    providerText.appendChild(link(page, provider[1]));
    providerText.appendChild(el("code", null, provider[3] ? provider[2] + " · " + provider[3] : provider[2]));
    providerCell.appendChild(providerText);
    tr.appendChild(providerCell);

    tr.appendChild(this.numberCell("input", row, "c-in"));
    tr.appendChild(this.numberCell("output", row, "c-out"));
    tr.appendChild(this.numberCell("cache_read", row, "c-cr"));
    tr.appendChild(this.numberCell("cache_write", row, "c-cw"));
    tr.appendChild(this.iconCell("c-mod", model[5].map(function (m) { return ["ic i-" + m, m + " input"]; })
      .concat(model[6].map(function (m) { return ["ic out i-" + m, m + " output"]; }))));
    var features = this.value("features", row), labels = this.labels.features || {};
    tr.appendChild(this.iconCell("c-feat", (features ? features[1] : []).map(function (f) { return ["ic i-" + f, labels[f] || f]; })));
    tr.appendChild(this.numberCell("context", row, "c-ctx"));
    tr.appendChild(this.numberCell("max_output", row, "c-max"));
    var quant = this.value("quant", row);
    tr.appendChild(el("td", "c-q", quant ? quant[1] : ""));
    tr.appendChild(this.numberCell("throughput", row, "c-tp"));
    tr.appendChild(this.numberCell("latency", row, "c-lat"));
    tr.appendChild(this.numberCell("uptime_24h", row, "c-up"));
    tr.appendChild(this.numberCell("uptime_30d", row, "c-up30"));
    tr.appendChild(this.policyCell(row));
    tr.appendChild(this.limitsCell(row));
    tr.appendChild(this.numberCell("created", row, "c-add"));
    var statusCell = el("td", "c-st");
    if (status) {
      status[1].forEach(function (flag) { statusCell.appendChild(el("span", "flag f-" + flag, flag)); });
      if (status[2]) { statusCell.appendChild(el("span", "flag f-ok", "up")); }
    }
    tr.appendChild(statusCell);
    return tr;
  };

  var PRICES = { input: 1, output: 1, cache_read: 1, cache_write: 1 };

  Data.prototype.numberCell = function (name, row, className) {
    var value = this.value(name, row);
    var td = el("td", "num " + className, value ? value[1] : "–");
    if (value && value[0] === 0 && PRICES[name]) { td.classList.add("free"); }
    if (value && value[0] === null) {  // priced per minute, image...: the whole text on hover
      td.classList.add("unit");
      td.setAttribute("title", value[1]);
    }
    td.setAttribute("data-v", value && value[0] !== null ? String(value[0]) : "");
    return td;
  };

  Data.prototype.iconCell = function (className, icons) {
    var td = el("td", className), holder = el("span", "icons");
    icons.forEach(function (icon) {
      var i = el("i", icon[0]);
      i.setAttribute("title", icon[1]);
      // An image with a name: screen readers ignore a bare title on an empty element.
      i.setAttribute("role", "img");
      i.setAttribute("aria-label", icon[1]);
      holder.appendChild(i);
    });
    td.appendChild(holder);
    return td;
  };

  Data.prototype.policyCell = function (row) {
    var td = el("td", "c-pol"), policy = this.value("policy", row);
    if (!policy) { return td; }
    var badge = function (className, text, title) {
      var span = el("span", "pol " + className, text);
      span.setAttribute("title", title);
      td.appendChild(span);
    };
    if (policy[1] === true) { badge("bad", "trains", "prompts may be used for training"); }
    if (policy[1] === false) { badge("ok", "no training", "no training on prompts"); }
    if (policy[2]) { badge("warn", "retains" + (policy[3] ? " " + policy[3] + "d" : ""), "prompts are retained"); }
    return td;
  };

  Data.prototype.limitsCell = function (row) {
    var limits = this.value("limits", row);
    var td = el("td", "num c-lim", limits ? limits[1] : "–");
    if (limits && limits[2]) { td.appendChild(el("small", null, limits[2])); }
    td.setAttribute("data-v", limits && limits[0] !== null ? String(limits[0]) : "");
    return td;
  };

  /* ---- the grid: state, URL, controls, the rows in view ---- */
  function Grid(table, toolbar) {
    this.table = table;
    this.tbody = table.tBodies[0];
    this.root = table.getAttribute("data-root") || "";
    this.scroller = table.closest("[data-grid-scroll]") || table.parentNode;
    this.toolbar = toolbar;
    this.search = toolbar.querySelector("[data-search]");
    this.boxes = Array.prototype.slice.call(toolbar.querySelectorAll("input[data-facet]"));
    this.picker = toolbar.querySelector("[data-sort-pick]");
    this.counter = toolbar.querySelector("[data-count]");
    this.resets = Array.prototype.slice.call(document.querySelectorAll("[data-reset]"));
    this.empty = document.querySelector("[data-empty]");
    this.headers = Array.prototype.filter.call(table.tHead.rows[0].cells, function (th) { return th.hasAttribute("data-sort"); });
    this.sort = null;
    this.direction = 1;
    this.rowHeight = 56;
    this.view = null;
    this.shown = [-1, -1];
    this.pending = false;
  }

  Grid.prototype.start = function (data) {
    var self = this;
    this.data = data;
    var typed = this.search.value;
    this.readUrl();
    // What the reader typed while the data loaded wins over an empty URL.
    if (typed && !this.search.value) { this.search.value = typed; }
    this.headers.forEach(function (th) {
      // The label goes in a button (focus, Enter, Space); the header keeps its role and aria-sort.
      var button = el("button", "sort");
      button.type = "button";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      // Focus given to the header (a script, a test) goes on to its button.
      th.tabIndex = -1;
      th.addEventListener("focus", function () { button.focus(); });
      th.addEventListener("click", function () { self.cycleSort(th.getAttribute("data-sort")); });
    });
    if (this.picker) {
      this.picker.addEventListener("change", function () {
        var parts = self.picker.value.split("-");
        self.setSort(parts[0] || null, parts[1] === "desc" ? -1 : 1);
      });
    }
    this.search.addEventListener("input", function () {
      if (self.pending) { return; }
      self.pending = true;
      window.requestAnimationFrame(function () { self.pending = false; self.apply("replace"); });
    });
    this.boxes.forEach(function (box) { box.addEventListener("change", function () { self.apply("push"); }); });
    this.resets.forEach(function (button) {
      button.addEventListener("click", function () {
        self.search.value = "";
        self.boxes.forEach(function (box) { box.checked = false; });
        self.apply("push");
      });
    });
    window.addEventListener("popstate", function () {
      window.clearTimeout(self.urlTimer);
      self.urlHow = null;
      self.readUrl();
      self.apply(null);
    });
    var onScroll = function () { self.scheduleRender(); };
    this.scroller.addEventListener("scroll", onScroll, { passive: true });
    window.addEventListener("scroll", onScroll, { passive: true });
    window.addEventListener("resize", function () { self.measured = false; self.scheduleRender(); });
    this.apply(null);
    this.table.setAttribute("data-ready", "");
  };

  Grid.prototype.readUrl = function () {
    var params = new URLSearchParams(window.location.search);
    this.search.value = params.get("q") || "";
    var lists = { "in": (params.get("in") || "").split(","), out: (params.get("out") || "").split(","), f: (params.get("f") || "").split(",") };
    this.boxes.forEach(function (box) { box.checked = lists[box.getAttribute("data-facet")].indexOf(box.value) !== -1; });
    var sort = params.get("sort");
    this.sort = sort && this.data.columns[sort] && this.data.columns[sort].known !== undefined ? sort : null;
    this.direction = params.get("dir") === "desc" ? -1 : 1;
  };

  Grid.prototype.writeUrl = function (how) {
    var url = new URL(window.location.href), params = url.searchParams;
    ["q", "in", "out", "f", "sort", "dir"].forEach(function (name) { params.delete(name); });
    var query = this.search.value.trim();
    if (query) { params.set("q", query); }
    var lists = { "in": [], out: [], f: [] };
    this.boxes.forEach(function (box) { if (box.checked) { lists[box.getAttribute("data-facet")].push(box.value); } });
    Object.keys(lists).forEach(function (name) { if (lists[name].length) { params.set(name, lists[name].join(",")); } });
    if (this.sort) {
      params.set("sort", this.sort);
      if (this.direction < 0) { params.set("dir", "desc"); }
    }
    var target = url.pathname + (params.toString() ? "?" + params.toString() : "") + url.hash;
    if (target === window.location.pathname + window.location.search + window.location.hash) { return; }
    if (how === "push") { window.history.pushState(null, "", target); } else { window.history.replaceState(null, "", target); }
  };

  Grid.prototype.cycleSort = function (name) {
    if (this.sort !== name) { this.setSort(name, 1); } else if (this.direction > 0) { this.setSort(name, -1); } else { this.setSort(null, 1); }
  };

  Grid.prototype.setSort = function (name, direction) {
    this.sort = name;
    this.direction = direction;
    this.apply("push");
  };

  /* Recompute the rows shown (order, then filter) and render from the top. */
  Grid.prototype.apply = function (history) {
    var query = this.search.value.trim().toLowerCase();
    var terms = query ? query.split(/\s+/) : [];
    var tokens = this.boxes.filter(function (box) { return box.checked; }).map(function (box) {
      return box.getAttribute("data-facet") + ":" + box.value;
    });
    var order = this.data.order(this.sort, this.direction);
    if (terms.length || tokens.length) {
      var keep = this.data.mask(terms, tokens), view = new Int32Array(order.length), size = 0;
      for (var i = 0; i < order.length; i++) { if (keep[order[i]]) { view[size++] = order[i]; } }
      this.view = view.subarray(0, size);
    } else {
      this.view = order;
    }
    // Read the layout before writing anything, so that reading it costs no style recalculation.
    this.scroller.scrollTop = 0;
    var range = this.range();
    this.showState(terms.length > 0 || tokens.length > 0);
    this.draw(range[0], range[1], true);
    if (history) { this.scheduleUrl(history); }
  };

  /* History entries cost tens of ms in Chromium (pushState goes through the browser
     process): written just after the frame, and one entry for a quick burst of actions. */
  Grid.prototype.scheduleUrl = function (how) {
    var self = this;
    this.urlHow = this.urlHow === "push" ? "push" : how;
    window.clearTimeout(this.urlTimer);
    this.urlTimer = window.setTimeout(function () {
      var pending = self.urlHow;
      self.urlHow = null;
      self.writeUrl(pending);
    }, URL_DELAY_MS);
  };

  Grid.prototype.showState = function (filtered) {
    var self = this;
    this.counter.textContent = fmt(this.view.length);
    this.table.setAttribute("aria-rowcount", String(this.view.length + 1));
    this.resets.forEach(function (button) { if (button.classList.contains("reset")) { button.hidden = !filtered; } });
    if (this.empty) { this.empty.hidden = this.view.length > 0; }
    this.headers.forEach(function (th) {
      if (th.getAttribute("data-sort") === self.sort) {
        th.setAttribute("aria-sort", self.direction > 0 ? "ascending" : "descending");
      } else {
        th.removeAttribute("aria-sort");
      }
    });
    if (this.picker) {
      var wanted = this.sort ? this.sort + (this.direction < 0 ? "-desc" : "") : "";
      var option = Array.prototype.some.call(this.picker.options, function (o) { return !o.hasAttribute("data-column") && o.value === wanted; });
      // A sort the picker does not list (a header's, a shared link's: ?sort=created) is named
      // in it: "Newest first" over rows sorted oldest first misread them on a phone, where
      // the picker is the only sort control shown.
      var column = this.picker.querySelector("option[data-column]");
      if (column) { this.picker.removeChild(column); }
      if (!option && this.sort) {
        var th = this.headers.filter(function (h) { return h.getAttribute("data-sort") === self.sort; })[0];
        column = el("option", null, (th ? columnName(th) : this.sort) + (this.direction < 0 ? ", descending" : ", ascending"));
        column.value = wanted;
        column.setAttribute("data-column", "");
        this.picker.appendChild(column);
      }
      this.picker.value = wanted;
    }
    Array.prototype.forEach.call(this.toolbar.querySelectorAll("details.drop"), function (drop) {
      drop.classList.toggle("active", drop.querySelector("input:checked") !== null);
    });
  };

  Grid.prototype.scheduleRender = function () {
    var self = this;
    if (this.renderPending) { return; }
    this.renderPending = true;
    window.requestAnimationFrame(function () { self.renderPending = false; self.render(false); });
  };

  /* Render the rows that intersect the viewport (and the scroller), plus OVERSCAN each side.
     While scrolling, rows still in range stay in place: only those entering are built. */
  Grid.prototype.render = function (force) {
    var range = this.range();
    this.draw(range[0], range[1], force);
  };

  Grid.prototype.range = function () {
    var frame = this.scroller.getBoundingClientRect();
    var top = this.tbody.getBoundingClientRect().top;
    var seenTop = Math.max(frame.top, 0), seenBottom = Math.min(frame.bottom, window.innerHeight);
    var total = this.view.length, height = this.rowHeight;
    var first = Math.max(0, Math.floor((seenTop - top) / height) - OVERSCAN);
    var last = Math.min(total, Math.max(first, Math.ceil((seenBottom - top) / height)) + OVERSCAN);
    return [Math.min(first, Math.max(0, last - 1)), last];
  };

  Grid.prototype.draw = function (first, last, force) {
    var total = this.view.length, height = this.rowHeight;
    var old = this.shown;
    if (!force && first === old[0] && last === old[1]) { return; }
    this.shown = [first, last];
    if (force || !this.pads || last <= old[0] || first >= old[1]) {
      this.pads = [this.spacer(), this.spacer()];
      var fragment = document.createDocumentFragment();
      fragment.appendChild(this.pads[0]);
      this.appendRows(fragment, first, last);
      fragment.appendChild(this.pads[1]);
      this.tbody.replaceChildren(fragment);
    } else {
      for (var gone = old[0]; gone < first; gone++) { this.tbody.removeChild(this.pads[0].nextSibling); }
      for (var dropped = last; dropped < old[1]; dropped++) { this.tbody.removeChild(this.pads[1].previousSibling); }
      var above = document.createDocumentFragment(), below = document.createDocumentFragment();
      this.appendRows(above, first, Math.min(old[0], last));
      this.appendRows(below, Math.max(old[1], first), last);
      this.tbody.insertBefore(above, this.pads[0].nextSibling);
      this.tbody.insertBefore(below, this.pads[1]);
    }
    this.sizeSpacer(this.pads[0], first * height);
    this.sizeSpacer(this.pads[1], (total - last) * height);
    if (!this.measured && last > first) { this.measure(); }
  };

  Grid.prototype.appendRows = function (holder, from, to) {
    for (var p = from; p < to; p++) { holder.appendChild(this.data.renderRow(this.view[p], p, this.root)); }
  };

  /* Row height comes from the stylesheet (a table row or a phone's card): measure, not guess. */
  Grid.prototype.measure = function () {
    this.measured = true;
    var row = this.tbody.rows[1];
    var height = row ? row.getBoundingClientRect().height : 0;
    if (height > 0 && Math.abs(height - this.rowHeight) > 0.5) {
      this.rowHeight = height;
      this.render(true);
    }
  };

  Grid.prototype.spacer = function () {
    var tr = el("tr", "pad"), td = el("td");
    tr.setAttribute("aria-hidden", "true");
    td.colSpan = COLUMNS;
    tr.appendChild(td);
    return tr;
  };

  Grid.prototype.sizeSpacer = function (spacer, height) {
    spacer.hidden = height <= 0;
    spacer.firstChild.style.height = height + "px";
  };

  function start() {
    var table = document.querySelector("table[data-virtual-grid]");
    var toolbar = document.querySelector("[data-grid-controls]");
    if (!table || !toolbar) { return; }
    var grid = new Grid(table, toolbar);
    var failed = function (reason) {
      var status = document.querySelector("[data-grid-status]");
      if (status) {
        status.textContent = "The grid's data could not be loaded (" + reason + "): showing the newest " +
          fmt(table.tBodies[0].rows.length) + " endpoints; every endpoint is in the plain pages linked below.";
        status.hidden = false;
      }
    };
    fetch(table.getAttribute("data-source")).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (json) { grid.start(new Data(json)); }, function (error) { failed(error.message || String(error)); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
