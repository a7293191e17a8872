/* openrouter-archiver charts: a value readout on hover and keyboard focus, zoom (range
   buttons and drag), and legend checkboxes. site.js loads this on pages with charts.
   The server draws every chart and every page reads without this file: here the plot's
   transform is changed and labels are redrawn from each pane's data-chart JSON (exact
   values as archived). Upstream text only ever reaches the page as textContent. */
(function () {
  "use strict";

  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var HOUR = 3600, DAY = 86400;
  var DRAG_PX = 8;

  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function utc(seconds) { return new Date(seconds * 1000); }
  function dayLabel(d) { return MONTHS[d.getUTCMonth()] + " " + pad(d.getUTCDate()); }
  function hourLabel(d) { return pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()); }
  function momentText(seconds) {
    var d = utc(seconds);
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " + hourLabel(d) + " UTC";
  }
  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  /* The window a view shows, as text: "Jul 12 – Jul 19, 2026 UTC" (as charts.py writes it). */
  function spanText(v0, v1) {
    var a = utc(v0), b = utc(v1), first = dayLabel(a), last;
    if (a.getUTCFullYear() !== b.getUTCFullYear()) { first += ", " + a.getUTCFullYear(); }
    if (v1 - v0 < 2 * DAY) {
      first += " " + hourLabel(a);
      last = dayLabel(b) + " " + hourLabel(b) + ", " + b.getUTCFullYear();
    } else {
      last = dayLabel(b) + ", " + b.getUTCFullYear();
    }
    return first + " \u2013 " + last + " UTC";
  }

  /* About six hour- or day-aligned ticks, as charts.py draws them for the fixed ranges. */
  function ticks(v0, v1) {
    var spanDays = Math.max((v1 - v0) / DAY, 1 / 24), step, first, found = [];
    if (spanDays < 2) {
      step = Math.max(1, Math.round(spanDays * 24 / 6)) * HOUR;
      first = Math.floor(v0 / HOUR) * HOUR + HOUR;
    } else {
      step = Math.max(1, Math.round(spanDays / 6)) * DAY;
      first = Math.floor(v0 / DAY) * DAY + DAY;
    }
    for (var t = first; t <= v1 && found.length < 12; t += step) {
      var d = utc(t);
      var text = spanDays < 2 ? hourLabel(d) : spanDays > 400 ? MONTHS[d.getUTCMonth()] + " " + d.getUTCFullYear() : dayLabel(d);
      found.push([t, text]);
    }
    return found;
  }

  /* A line's value at a time: the newest point at or before it (undefined: not listed yet). */
  function valueAt(points, t) {
    var found;
    for (var i = 0; i < points.length && points[i][0] <= t; i++) { found = points[i]; }
    return found;
  }

  function Chart(block, pane) {
    this.block = block;
    this.pane = pane;
    this.data = JSON.parse(pane.getAttribute("data-chart"));
    this.svg = pane.querySelector("svg.chart");
    this.plot = pane.querySelector("svg.chart .plot");
    this.box = pane.querySelector(".plotbox");
    this.ticks = element("div", "xt-js");
    pane.querySelector(".xaxis").appendChild(this.ticks);
    this.cursor = element("div", "cursor");
    this.selection = element("div", "selection");
    this.marks = element("div", "marks");
    this.cursor.hidden = this.selection.hidden = true;
    this.box.appendChild(this.selection);
    this.box.appendChild(this.cursor);
    this.box.appendChild(this.marks);
    this.readout = element("div", "readout");
    this.readout.setAttribute("aria-hidden", "true");
    this.readout.hidden = true;
    pane.insertBefore(this.readout, this.box.closest(".frame").nextSibling);
    this.time = null;
    this.bindKeys();
    this.bindPointer();
    this.bindLegend();
  }

  Chart.prototype.view = function () {
    return this.block.window || [this.data.start, this.data.end];
  };

  /* Percent of the box's width where a time sits in the current view. */
  Chart.prototype.xPercent = function (t) {
    var v = this.view(), d = this.data, inner = d.width - 2 * d.insetX;
    return (d.insetX + (t - v[0]) / ((v[1] - v[0]) || 1) * inner) / d.width * 100;
  };

  Chart.prototype.timeAtPercent = function (percent) {
    var v = this.view(), d = this.data, inner = d.width - 2 * d.insetX;
    var t = v[0] + (percent / 100 * d.width - d.insetX) / inner * (v[1] - v[0]);
    return Math.min(v[1], Math.max(v[0], Math.round(t / HOUR) * HOUR));
  };

  Chart.prototype.yPercent = function (value) {
    var d = this.data, inner = d.height - d.insetTop - d.insetBottom;
    var top = this.block.showsAll() ? d.top : d.topDefault;
    return (d.insetTop + (1 - value / (top || 1)) * inner) / d.height * 100;
  };

  /* Zoom the plot to the block's window: a horizontal transform, and new date labels. */
  Chart.prototype.applyWindow = function () {
    var d = this.data, v = this.view(), inner = d.width - 2 * d.insetX;
    var full = d.end - d.start || 1;
    var x0 = d.insetX + (v[0] - d.start) / full * inner, x1 = d.insetX + (v[1] - d.start) / full * inner;
    var scale = inner / Math.max(x1 - x0, 1e-6), shift = d.insetX - scale * x0;
    this.plot.style.transform = "translateX(" + shift.toFixed(3) + "px) scaleX(" + scale.toFixed(6) + ")";
    this.ticks.textContent = "";
    var self = this;
    ticks(v[0], v[1]).forEach(function (tick) {
      var at = self.xPercent(tick[0]);
      var label = element("span", at < 6 ? "edge-l" : at > 94 ? "edge-r" : "", tick[1]);
      label.style.left = at.toFixed(2) + "%";
      self.ticks.appendChild(label);
    });
    this.box.setAttribute("aria-valuemin", String(v[0]));
    this.box.setAttribute("aria-valuemax", String(v[1]));
    if (this.time !== null) { this.show(Math.min(v[1], Math.max(v[0], this.time))); } else { this.box.setAttribute("aria-valuenow", String(v[1])); }
  };

  Chart.prototype.visible = function (index) {
    return !this.block.off[index] && (!this.data.series[index].extra || this.block.showsAll());
  };

  /* The times worth stepping to with the arrow keys: every change of a visible line in view
     (and where it starts again after a stretch not recorded; not where such a stretch begins). */
  Chart.prototype.events = function () {
    var v = this.view(), seen = {}, list = [];
    var self = this;
    this.data.series.forEach(function (line, index) {
      if (!self.visible(index)) { return; }
      line.points.forEach(function (p) {
        if (p[1] === null && p[2] !== null) { return; }
        if (p[0] >= v[0] && p[0] <= v[1] && !seen[p[0]]) { seen[p[0]] = 1; list.push(p[0]); }
      });
    });
    if (!list.length) { list.push(v[1]); }
    return list.sort(function (a, b) { return a - b; });
  };

  /* Show the readout at a time: cursor, a mark on each visible line, the exact values. */
  Chart.prototype.show = function (t) {
    var self = this, rows = [];
    this.time = t;
    this.data.series.forEach(function (line, index) {
      if (!self.visible(index)) { return; }
      var point = valueAt(line.points, t);
      /* A null value with a text is a stretch the archive did not record ("not recorded"). */
      if (point) { rows.push({ line: line, value: point[1], text: point[2] === null ? "not offered" : point[2] }); }
    });
    rows.sort(function (a, b) {
      if (a.value === null || b.value === null) { return (a.value === null) - (b.value === null); }
      return a.value - b.value;
    });
    var at = this.xPercent(t);
    this.cursor.hidden = false;
    this.cursor.style.left = at + "%";
    this.marks.textContent = "";
    this.readout.textContent = "";
    var stamp = element("time", "", momentText(t));
    stamp.setAttribute("datetime", new Date(t * 1000).toISOString());
    this.readout.appendChild(stamp);
    var list = element("ul", rows.length > 12 ? "many" : "");
    rows.forEach(function (row) {
      var item = element("li", "c-" + row.line.color);
      item.appendChild(element("i", "sw"));
      item.appendChild(element("span", "", row.line.label));
      item.appendChild(element("b", "", row.text));
      list.appendChild(item);
      if (row.value !== null) {
        var mark = element("i", "mark c-" + row.line.color);
        mark.style.left = at + "%";
        mark.style.top = self.yPercent(row.value) + "%";
        self.marks.appendChild(mark);
      }
    });
    if (!rows.length) { list.appendChild(element("li", "", "no line listed at this time")); }
    this.readout.appendChild(list);
    this.readout.hidden = false;
    this.place(at);
    this.box.setAttribute("aria-valuenow", String(t));
    this.box.setAttribute("aria-valuetext", momentText(t) + ": " + rows.map(function (row) {
      return row.line.label + " " + row.text;
    }).join(", "));
  };

  /* Beside the cursor on a wide screen (on the side with room); under the chart on a phone. */
  Chart.prototype.place = function (at) {
    if (getComputedStyle(this.readout).position === "static") { return; }
    var x = this.box.offsetLeft + at / 100 * this.box.clientWidth;
    var width = this.readout.offsetWidth;
    var left = at > 50 ? x - 14 - width : x + 14;
    this.readout.style.left = Math.max(0, Math.min(left, this.pane.clientWidth - width)) + "px";
  };

  Chart.prototype.hide = function () {
    this.time = null;
    this.readout.hidden = this.cursor.hidden = true;
    this.marks.textContent = "";
  };

  Chart.prototype.bindKeys = function () {
    var self = this, box = this.box;
    box.tabIndex = 0;
    box.setAttribute("role", "slider");
    box.setAttribute("aria-label", this.data.title + ": value at a time (arrow keys move between changes)");
    box.setAttribute("aria-orientation", "horizontal");
    box.addEventListener("focus", function () {
      var events = self.events();
      self.show(self.time !== null ? self.time : events[events.length - 1]);
    });
    box.addEventListener("blur", function () { self.hide(); });
    box.addEventListener("keydown", function (event) {
      var events = self.events(), t = self.time !== null ? self.time : events[events.length - 1], next = null;
      if (event.key === "ArrowLeft" || event.key === "ArrowDown") {
        next = events.filter(function (e) { return e < t; }).pop();
        if (next === undefined) { next = events[0]; }
      } else if (event.key === "ArrowRight" || event.key === "ArrowUp") {
        next = events.filter(function (e) { return e > t; })[0];
        if (next === undefined) { next = events[events.length - 1]; }
      } else if (event.key === "Home") {
        next = events[0];
      } else if (event.key === "End") {
        next = events[events.length - 1];
      } else if (event.key === "Escape") {
        self.hide();
        return;
      } else {
        return;
      }
      event.preventDefault();
      self.show(next);
    });
  };

  Chart.prototype.percentOf = function (event) {
    var rect = this.box.getBoundingClientRect();
    return Math.min(100, Math.max(0, (event.clientX - rect.left) / (rect.width || 1) * 100));
  };

  /* Hover or tap shows the readout; a horizontal drag zooms the whole block to that stretch. */
  Chart.prototype.bindPointer = function () {
    var self = this, box = this.box, drag = null;
    box.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) { return; }
      drag = { from: self.percentOf(event), x: event.clientX, moved: false };
      box.setPointerCapture(event.pointerId);
    });
    box.addEventListener("pointermove", function (event) {
      var at = self.percentOf(event);
      if (drag && Math.abs(event.clientX - drag.x) >= DRAG_PX) {
        drag.moved = true;
        self.selection.hidden = false;
        self.selection.style.left = Math.min(at, drag.from) + "%";
        self.selection.style.width = Math.abs(at - drag.from) + "%";
      }
      if (drag || event.pointerType === "mouse") { self.show(self.timeAtPercent(at)); }
    });
    box.addEventListener("pointerup", function (event) {
      if (!drag) { return; }
      var from = self.timeAtPercent(drag.from), to = self.timeAtPercent(self.percentOf(event));
      self.selection.hidden = true;
      if (drag.moved && Math.abs(to - from) >= HOUR) {
        self.block.zoom([Math.min(from, to), Math.max(from, to)]);
      } else if (!drag.moved) {
        self.show(to);
      }
      drag = null;
    });
    box.addEventListener("pointercancel", function () { drag = null; self.selection.hidden = true; });
    box.addEventListener("pointerleave", function (event) {
      if (event.pointerType === "mouse" && !drag && document.activeElement !== box) { self.hide(); }
    });
  };

  /* Legend rows get a labelled checkbox each (lines are the same entities on every tab). */
  Chart.prototype.bindLegend = function () {
    var self = this;
    Array.prototype.forEach.call(this.pane.querySelectorAll(".legend li[data-series]"), function (item) {
      var index = Number(item.getAttribute("data-series"));
      var name = item.querySelector("a, span");
      var box = element("input");
      box.type = "checkbox";
      box.checked = true;
      box.className = "line-toggle";
      box.setAttribute("aria-label", "Show " + (name ? name.textContent : "line " + index));
      item.insertBefore(box, item.firstChild);
      box.addEventListener("change", function () { self.block.setOff(index, !box.checked); });
      var series = self.svg.querySelector(".s-" + index);
      if (!series) { return; }
      item.addEventListener("mouseenter", function () { self.svg.classList.add("focus"); series.classList.add("hl"); });
      item.addEventListener("mouseleave", function () { self.svg.classList.remove("focus"); series.classList.remove("hl"); });
    });
  };

  Chart.prototype.refresh = function () {
    if (this.time !== null) { this.show(this.time); }
  };

  function Block(section) {
    var self = this;
    this.section = section;
    this.window = null;
    this.off = {};
    this.toggle = section.querySelector(".all-toggle");
    section.classList.add("js");
    this.charts = Array.prototype.map.call(section.querySelectorAll(".pane[data-chart]"), function (pane) {
      return new Chart(self, pane);
    });
    if (!this.charts.length) { return; }
    this.showing = element("span", "js-span");
    section.querySelector(".showing").appendChild(this.showing);
    this.reset = element("button", "reset-zoom", "Reset zoom");
    this.reset.type = "button";
    this.reset.hidden = true;
    this.reset.addEventListener("click", function () { self.pickRange("all"); });
    section.querySelector(".controls").appendChild(this.reset);
    var hint = element("p", "hint muted", "Hover, tap or focus the chart for values (\u2190 \u2192 step through changes); drag across it to zoom.");
    section.querySelector(".showing").insertAdjacentElement("afterend", hint);
    this.ranges = Array.prototype.slice.call(section.querySelectorAll("input[name$='-range']"));
    this.ranges.forEach(function (radio) {
      radio.addEventListener("change", function () { if (radio.checked) { self.pickRange(radio.value); } });
    });
    if (this.toggle) { this.toggle.addEventListener("change", function () { self.charts.forEach(function (c) { c.refresh(); }); }); }
    var checked = this.ranges.filter(function (radio) { return radio.checked; })[0];
    this.pickRange(checked ? checked.value : "all");
  }

  Block.prototype.showsAll = function () { return !this.toggle || this.toggle.checked; };

  Block.prototype.pickRange = function (name) {
    var days = { "1d": 1, "7d": 7, "30d": 30, "90d": 90, "1y": 365 }[name] || 0;
    this.ranges.forEach(function (radio) { radio.checked = radio.value === name; });
    var data = this.charts[0].data;
    this.setWindow(days ? [Math.max(data.start, data.end - days * DAY), data.end] : null);
  };

  /* A dragged stretch: no range button applies any more. */
  Block.prototype.zoom = function (window) {
    this.ranges.forEach(function (radio) { radio.checked = false; });
    this.setWindow(window);
  };

  Block.prototype.setWindow = function (window) {
    this.window = window;
    var data = this.charts[0].data, view = window || [data.start, data.end];
    this.showing.textContent = spanText(view[0], view[1]);
    this.reset.hidden = window === null;
    this.charts.forEach(function (chart) { chart.applyWindow(); });
  };

  Block.prototype.setOff = function (index, off) {
    this.off[index] = off;
    Array.prototype.forEach.call(this.section.querySelectorAll(".s-" + index), function (series) {
      series.classList.toggle("off", off);
    });
    Array.prototype.forEach.call(this.section.querySelectorAll(".legend li[data-series='" + index + "']"), function (item) {
      item.classList.toggle("off", off);
      var box = item.querySelector("input.line-toggle");
      if (box) { box.checked = !off; }
    });
    this.charts.forEach(function (chart) { chart.refresh(); });
  };

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("section.chartblock"), function (section) {
      new Block(section);
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
