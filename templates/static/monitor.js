/* openrouter-archiver: the change monitor's filters, over the whole history.
   The monitor's HTML pages are complete without this script. With it, a filter (model,
   provider, kind, entity, dates) searches the static index the build writes
   (changes/index/manifest.json and one JSON file per month), loading only the months the
   date range needs. Index text is put in the page with textContent: it is data, never markup.
   Where the index cannot be read (a page opened from disk), the filters fall back to the
   changes on this page and say so. Loaded by site.js on monitor pages only. */
(function () {
  "use strict";

  var bar = document.querySelector("[data-monitor]");
  if (!bar) { return; }
  var NAMES = ["model", "provider", "kind", "category", "from", "to"];
  var STEP = 100;
  var root = bar.getAttribute("data-root") || "";
  var manifestUrl = bar.getAttribute("data-index");
  var results = document.querySelector("[data-results]");
  var pages = document.querySelector("[data-pages]");
  var counter = bar.querySelector("[data-count]");
  var scope = bar.querySelector("[data-scope]");
  var empty = document.querySelector("[data-empty]");
  var controls = {};
  var manifest = null;
  var shards = {};
  var limit = STEP;
  var run = 0;
  var timer = null;
  var fmt = function (n) { return n.toLocaleString("en-US"); };

  function text(tag, className, value) {
    var element = document.createElement(tag);
    if (className) { element.className = className; }
    if (value !== undefined && value !== null) { element.textContent = String(value); }
    return element;
  }

  function state() {
    var found = {};
    NAMES.forEach(function (name) {
      var value = controls[name] ? controls[name].value.trim() : "";
      found[name] = name === "model" || name === "provider" ? value.toLowerCase() : value;
    });
    return found;
  }

  function isActive(filters) {
    return NAMES.some(function (name) { return filters[name] !== ""; });
  }

  function saveToUrl() {
    var url = new URL(window.location.href);
    NAMES.forEach(function (name) {
      var value = controls[name] ? controls[name].value.trim() : "";
      if (value) { url.searchParams.set(name, value); } else { url.searchParams.delete(name); }
    });
    window.history.replaceState(null, "", url.pathname + url.search + url.hash);
  }

  function fetchJson(url) {
    return window.fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) { throw new Error(url + ": HTTP " + response.status); }
      return response.json();
    });
  }

  /* The months a date range needs (all of them without one), from the manifest. */
  function monthsFor(filters) {
    var from = filters.from ? filters.from.slice(0, 7) : "";
    var to = filters.to ? filters.to.slice(0, 7) : "";
    return manifest.months.filter(function (month) {
      return (!from || month.month >= from) && (!to || month.month <= to);
    });
  }

  function load(filters) {
    var ready = manifest ? Promise.resolve(manifest) : fetchJson(manifestUrl).then(function (data) {
      manifest = data;
      return data;
    });
    return ready.then(function () {
      var base = manifestUrl.slice(0, manifestUrl.lastIndexOf("/") + 1);
      return Promise.all(monthsFor(filters).map(function (month) {
        if (!shards[month.month]) {
          // A month that failed is asked for again by the next filter: one lost request
          // (a blip, a deploy) left the page on its own changes until it was reloaded.
          shards[month.month] = fetchJson(base + month.path).catch(function (error) {
            delete shards[month.month];
            throw error;
          });
        }
        return shards[month.month];
      }));
    });
  }

  function matches(change, epoch, filters) {
    var day = epoch.slice(0, 10);
    return (!filters.model || ((change.mn || "") + " " + (change.m || "")).toLowerCase().indexOf(filters.model) !== -1) &&
      (!filters.provider || ((change.pn || "") + " " + (change.pt || "") + " " + (change.p || "")).toLowerCase().indexOf(filters.provider) !== -1) &&
      (!filters.kind || change.t.indexOf(filters.kind) !== -1) &&
      (!filters.category || change.c === filters.category) &&
      (!filters.from || day >= filters.from) &&
      (!filters.to || day <= filters.to);
  }

  function card(change) {
    var article = text("article", "card change");
    article.setAttribute("data-kinds", change.t.join(" "));
    article.setAttribute("data-category", change.c);
    var kinds = text("p", "kinds");
    change.t.forEach(function (kind) {
      kinds.appendChild(text("span", "kind k-" + kind, (manifest.kinds || {})[kind] || kind));
      kinds.appendChild(document.createTextNode(" "));
    });
    kinds.appendChild(text("span", "cat", change.c));
    article.appendChild(kinds);
    var head = text("h3", "subject-line");
    if (change.u) {
      var link = text("a", "", change.n);
      link.setAttribute("href", root + change.u);
      head.appendChild(link);
    } else {
      head.textContent = change.n;
    }
    article.appendChild(head);
    var facts = text("ul", "facts");
    change.d.forEach(function (detail) {
      facts.appendChild(text("li", detail[2] === true ? "down" : detail[2] === false ? "up" : "", detail[1]));
    });
    article.appendChild(facts);
    return article;
  }

  function render(found, syncs) {
    results.textContent = "";
    var section = null;
    var epoch = null;
    found.slice(0, limit).forEach(function (item) {
      if (item.epoch !== epoch) {
        epoch = item.epoch;
        section = text("section", "sync");
        section.setAttribute("data-sync", "");
        var head = text("h2", "sync-head");
        var time = text("time", "", item.epoch.replace("T", " ").slice(0, 16) + " UTC");
        time.setAttribute("datetime", item.epoch);
        head.appendChild(time);
        head.appendChild(text("span", "rule"));
        section.appendChild(head);
        results.appendChild(section);
      }
      section.appendChild(card(item.change));
    });
    if (found.length > limit) {
      var more = text("button", "more", "Show " + fmt(Math.min(STEP, found.length - limit)) + " more of " + fmt(found.length - limit));
      more.type = "button";
      more.addEventListener("click", function () { limit += STEP; render(found, syncs); });
      results.appendChild(more);
    }
    counter.textContent = fmt(found.length) + (found.length === 1 ? " change" : " changes");
    scope.textContent = "in " + fmt(syncs) + (syncs === 1 ? " sync" : " syncs") + " of the whole history";
    results.hidden = false;
    pages.hidden = true;
    empty.hidden = found.length > 0;
  }

  function searchIndex(filters) {
    var mine = ++run;
    scope.textContent = "searching the whole history…";
    load(filters).then(function (months) {
      if (mine !== run) { return; }
      var found = [];
      var syncs = {};
      months.forEach(function (month) {
        month.syncs.forEach(function (sync) {
          sync.changes.forEach(function (change) {
            if (matches(change, sync.epoch, filters)) {
              found.push({ epoch: sync.epoch, change: change });
              syncs[sync.epoch] = 1;
            }
          });
        });
      });
      found.sort(function (a, b) { return a.epoch < b.epoch ? 1 : a.epoch > b.epoch ? -1 : 0; });
      render(found, Object.keys(syncs).length);
    }).catch(function () {
      if (mine !== run) { return; }
      filterPage(filters);
    });
  }

  /* Without the index: filter the changes of this page only, and say so. */
  function filterPage(filters) {
    var entries = pages.querySelectorAll("article.card, tr.card-row");
    var shown = 0;
    Array.prototype.forEach.call(entries, function (entry) {
      var day = (entry.getAttribute("data-epoch") || "").slice(0, 10);
      var ok = (!filters.model || (entry.getAttribute("data-model") || "").indexOf(filters.model) !== -1) &&
        (!filters.provider || (entry.getAttribute("data-provider") || "").indexOf(filters.provider) !== -1) &&
        (!filters.kind || (" " + entry.getAttribute("data-kinds") + " ").indexOf(" " + filters.kind + " ") !== -1) &&
        (!filters.category || entry.getAttribute("data-category") === filters.category) &&
        (!filters.from || day >= filters.from) && (!filters.to || day <= filters.to);
      entry.hidden = !ok;
      if (ok) { shown++; }
    });
    Array.prototype.forEach.call(pages.querySelectorAll("details[data-bulk]"), function (bulk) {
      bulk.hidden = bulk.querySelector("tr.card-row:not([hidden])") === null;
    });
    Array.prototype.forEach.call(pages.querySelectorAll("[data-sync]"), function (section) {
      section.hidden = section.querySelector("article.card:not([hidden]), tr.card-row:not([hidden])") === null;
    });
    results.hidden = true;
    pages.hidden = false;
    counter.textContent = fmt(shown) + " of " + fmt(entries.length) + " changes";
    scope.textContent = isActive(filters) ? "on this page only (the history index could not be read)" : "on this page";
    empty.hidden = shown > 0;
  }

  function apply() {
    var filters = state();
    saveToUrl();
    limit = STEP;
    if (!isActive(filters)) {
      run++;
      filterPage(filters);
      if (!isActive(filters) && manifest) { scope.textContent = "on this page; the filters search all " + fmt(manifest.changes); }
      return;
    }
    searchIndex(filters);
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(apply, 120);
  }

  var params = new URLSearchParams(window.location.search);
  NAMES.forEach(function (name) {
    var control = bar.querySelector("[data-filter=" + name + "]");
    if (!control) { return; }
    controls[name] = control;
    if (params.get(name)) { control.value = params.get(name); }
    control.addEventListener("input", schedule);
    control.addEventListener("change", schedule);
  });
  apply();
}());
