/* The model page's cost calculator: what a request of N input and M output tokens cost on
   each endpoint, at the prices in force at a chosen moment (default: the newest sync).

   It reads the model's pricing intervals (api/pricing/<modelKey>.json) and bills each
   interval's "bill" exactly as `archiver cost` does: input x prompt + output x completion
   + the per-request fee, at the long-context tier the prompt reaches (min_prompt_tokens,
   inclusive). Arithmetic is exact (BigInt decimals, never floats), so the figures are the
   command line's to the last digit. Upstream text is written with textContent only.
   Without JavaScript the page keeps its static table of an example request. */
(function () {
  "use strict";

  var TEN = BigInt(10);

  /* An exact decimal {n, s} is n / 10^s; null for anything that is not a number. */
  function parse(text) {
    if (text === null || text === undefined) { return null; }
    var m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(String(text).trim());
    if (!m || (m[2] === "" && !m[3])) { return null; }
    var fraction = m[3] || "";
    var scale = fraction.length - (m[4] ? parseInt(m[4], 10) : 0);
    var n = BigInt((m[2] || "") + fraction || "0");
    if (m[1] === "-") { n = -n; }
    if (scale < 0) { n = n * pow(-scale); scale = 0; }
    return { n: n, s: scale };
  }

  /* A token count as the number field holds it: a whole number, exact at any size, or null.
     The field keeps what was typed (12345678901234567890, 1e5, 1.5): parseInt read those
     as a double (the 20-digit count billed 12,345,678,901,234,567,168 tokens) or up to the
     first non-digit (1e5 billed 1 token, 1.5 one). Worked on the digits, not with pow(): the
     field also holds 0e99999999, a finite number whose exponent no loop should count to. */
  function tokens(text) {
    var m = /^(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(String(text).trim());
    if (!m || (m[1] === "" && !m[2])) { return null; }
    var digits = (m[1] + (m[2] || "")).replace(/^0+/, "");
    if (digits === "") { return BigInt(0); }
    var exponent = (m[3] ? parseInt(m[3], 10) : 0) - (m[2] || "").length;
    if (exponent >= 0) {
      // No double reaches 400 digits: the field holds no such count.
      return digits.length + exponent > 400 ? null : BigInt(digits + new Array(exponent + 1).join("0"));
    }
    var zeros = digits.length - digits.replace(/0+$/, "").length;
    return zeros < -exponent ? null : BigInt(digits.slice(0, digits.length + exponent));
  }

  function pow(exponent) {
    var result = BigInt(1);
    for (var i = 0; i < exponent; i++) { result = result * TEN; }
    return result;
  }

  function scaled(a, scale) { return a.n * pow(scale - a.s); }

  function add(a, b) {
    var scale = Math.max(a.s, b.s);
    return { n: scaled(a, scale) + scaled(b, scale), s: scale };
  }

  function times(a, count) { return { n: a.n * BigInt(count), s: a.s }; }

  function compare(a, b) {
    var scale = Math.max(a.s, b.s);
    var x = scaled(a, scale), y = scaled(b, scale);
    return x < y ? -1 : (x > y ? 1 : 0);
  }

  /* Dollars as the command line writes them: exact, at least two decimals, 1,200.50. */
  function dollars(d) {
    var negative = d.n < BigInt(0);
    var digits = (negative ? -d.n : d.n).toString();
    if (digits.length <= d.s) { digits = new Array(d.s - digits.length + 2).join("0") + digits; }
    var whole = digits.slice(0, digits.length - d.s);
    var fraction = digits.slice(digits.length - d.s).replace(/0+$/, "");
    while (fraction.length < 2) { fraction += "0"; }
    whole = whole.replace(/^0+(?=\d)/, "").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (negative ? "-" : "") + "$" + whole + "." + fraction;
  }

  function perMillion(d) { return d ? dollars(times(d, 1000000)) : "\u2013"; }

  /* The cost of one request under one interval's bill, or a reason it has none. */
  function bill(interval, input, output) {
    var billed = interval.bill || {};
    var tier = null;
    (billed.tiers || []).forEach(function (candidate) {
      if (input >= candidate.min_prompt_tokens && (!tier || candidate.min_prompt_tokens > tier.min_prompt_tokens)) {
        tier = candidate;
      }
    });
    var prices = tier || billed;
    var prompt = parse(prices.prompt), completion = parse(prices.completion);
    var fee = parse(prices.request) || { n: BigInt(0), s: 0 };
    // The tier's own verdict: its prices (a -1 of its own) decide, as `archiver cost` judges.
    var found = { prompt: prompt, completion: completion, tier: tier, total: null, note: prices.unpriced || "" };
    if (!found.note && (!prompt || !completion)) { found.note = "not priced per token"; }
    if (!found.note) { found.total = add(add(times(prompt, input), times(completion, output)), fee); }
    if (tier) {
      var reached = "long-context price from " + tier.min_prompt_tokens.toLocaleString("en-US") + " prompt tokens";
      found.note = found.note ? reached + ": " + found.note : reached;  // Unpriced there: both.
    }
    return found;
  }

  function covers(interval, moment) {
    if (moment === null) { return interval.valid_to === null; }
    var from = Date.parse(interval.valid_from);
    var to = interval.valid_to === null ? Infinity : Date.parse(interval.valid_to);
    return from <= moment && moment < to;
  }

  function inForce(intervals, moment) {
    for (var i = 0; i < intervals.length; i++) {
      if (covers(intervals[i], moment)) { return intervals[i]; }
    }
    return null;
  }

  /* Every endpoint listed at moment (or, with none then, the list price), in the order of
     `archiver cost`: the priced cheapest first, then the unpriced; each by provider, then id.
     One listed without a pricing object is there, "no pricing archived", as it says. */
  function costs(data, moment, input, output) {
    var rows = [];
    data.endpoints.forEach(function (endpoint) {
      var interval = inForce(endpoint.intervals, moment);
      if (interval) {
        rows.push({ endpoint: endpoint, interval: interval, cost: bill(interval, input, output) });
      } else if (inForce(endpoint.listed || [], moment)) {
        var none = { prompt: null, completion: null, tier: null, total: null, note: "no pricing archived" };
        rows.push({ endpoint: endpoint, interval: null, cost: none });
      }
    });
    if (!rows.length) {
      var listed = inForce(data.list_price || [], moment);
      if (listed) { rows.push({ endpoint: null, interval: listed, cost: bill(listed, input, output) }); }
    }
    rows.sort(function (a, b) {
      var unpriced = (a.cost.total ? 0 : 1) - (b.cost.total ? 0 : 1);
      if (unpriced) { return unpriced; }
      return (a.cost.total ? compare(a.cost.total, b.cost.total) : 0) || order(label(a), label(b)) ||
        order(a.endpoint ? a.endpoint.id : "", b.endpoint ? b.endpoint.id : "");
    });
    return rows;
  }

  /* Text in the command line's order (by character, not by the reader's locale). */
  function order(x, y) { return x < y ? -1 : (x > y ? 1 : 0); }

  function label(row) {
    return row.endpoint ? (row.endpoint.provider_tag || row.endpoint.provider) : "list price (v1)";
  }

  function cell(tr, text, className) {
    var td = document.createElement("td");
    td.textContent = text;
    if (className) { td.className = className; }
    tr.appendChild(td);
    return td;
  }

  function render(section, data, root) {
    var form = section.querySelector("[data-calc-inputs]");
    var status = section.querySelector("[data-calc-status]");
    var body = section.querySelector("[data-calc-table] tbody");
    var input = tokens(form.elements.input.value);
    var output = tokens(form.elements.output.value);
    var when = form.elements.at.value;
    // The costs of the previous figures must not stay under a status that refuses these.
    while (body.firstChild) { body.removeChild(body.firstChild); }
    if (input === null || output === null) {
      status.textContent = "Give whole numbers of input and output tokens.";
      return;
    }
    var moment = when ? Date.parse(when.length === 16 ? when + ":00Z" : when + "Z") : null;
    if (moment !== null && isNaN(moment)) {
      status.textContent = "Give the time as a date and an hour (UTC).";
      return;
    }
    if (moment !== null && data.first_sync && moment < Date.parse(data.first_sync)) {
      status.textContent = "That is before the archive began (its first sync: " + data.first_sync + ").";
      return;
    }
    var rows = costs(data, moment, input, output);
    var at = moment === null ? "the newest sync" : new Date(moment).toISOString().replace(".000Z", "Z");
    status.textContent = input.toLocaleString("en-US") + " input + " + output.toLocaleString("en-US") +
      " output tokens at the prices in force at " + at + ": " +
      (rows.length ? rows.length + " price" + (rows.length === 1 ? "" : "s") + ", cheapest first." : "no endpoint served this model then.");
    rows.forEach(function (row) {
      var tr = document.createElement("tr");
      if (row.endpoint) { tr.setAttribute("data-endpoint", row.endpoint.id); }
      var name = cell(tr, "");
      if (row.endpoint && row.endpoint.page) {
        var link = document.createElement("a");
        link.href = root + row.endpoint.page.split("/").map(encodeURIComponent).join("/");
        link.textContent = label(row);
        name.appendChild(link);
      } else {
        name.textContent = label(row);
      }
      cell(tr, row.cost.total ? dollars(row.cost.total) : "\u2013", "num").setAttribute("data-cost", "");
      // Not priced per token (a second of video): its token prices ("0") are no price.
      cell(tr, row.cost.total ? perMillion(row.cost.prompt) : "\u2013", "num");
      cell(tr, row.cost.total ? perMillion(row.cost.completion) : "\u2013", "num");
      cell(tr, row.interval ? row.interval.valid_from.slice(0, 10) : "");
      cell(tr, row.cost.note, "muted");
      body.appendChild(tr);
    });
  }

  function start() {
    var section = document.querySelector("[data-calculator]");
    if (!section) { return; }
    var form = section.querySelector("[data-calc-inputs]");
    var status = section.querySelector("[data-calc-status]");
    var root = section.getAttribute("data-root") || "";
    window.fetch(section.getAttribute("data-source"), { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (data) {
      form.hidden = false;
      form.addEventListener("submit", function (event) { event.preventDefault(); });
      var update = function () { render(section, data, root); };
      form.addEventListener("input", update);
      form.addEventListener("change", update);
      update();
      section.setAttribute("data-calc-ready", "");
    }, function (error) {
      status.textContent = "The pricing history could not be loaded (" + (error.message || error) +
        "): the table shows the example request at the newest sync.";
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
