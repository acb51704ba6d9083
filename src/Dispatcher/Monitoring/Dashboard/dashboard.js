// The dispatcher's dashboard: polls /api/status and /api/status/history and draws small SVG and
// HTML charts by hand (the page must work on a closed network: no libraries, no CDN). Each chart
// records in its data-points attribute how many data points it last drew, and <body> counts the
// updates in data-updates, so a test can see what the page received.
(function () {
  "use strict";
  var POLL_MS = 2000;
  var COLORS = ["#58a6ff", "#3fb950", "#d29922", "#f85149", "#bc8cff", "#39c5cf", "#ff7b72", "#a5d6ff", "#7ee787", "#e3b341"];
  var SVG = "http://www.w3.org/2000/svg";
  var updates = 0;

  function $(selector, root) { return (root || document).querySelector(selector); }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function svgEl(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }
  function fmt(n, digits) {
    if (n === null || n === undefined) return "-";
    return Number(n).toLocaleString("en-US", { maximumFractionDigits: digits === undefined ? 0 : digits });
  }
  function mark(id, points) { $("#" + id).setAttribute("data-points", String(points)); }

  // One line per series over time; series: [{name, values: [numbers]}], all the same length.
  function lineChart(section, series, width, height) {
    var svg = $("svg", section), legend = $(".legend", section);
    svg.textContent = "";
    legend.textContent = "";
    var n = series.length ? series[0].values.length : 0;
    var max = 1;
    series.forEach(function (s) { s.values.forEach(function (v) { if (v > max) max = v; }); });
    for (var g = 1; g <= 3; g++) {
      var y = height - (height - 10) * g / 4;
      svg.appendChild(svgEl("line", { x1: 0, x2: width, y1: y, y2: y, stroke: "#223040", "stroke-width": 1 }));
    }
    var label = svgEl("text", { x: 4, y: 12, fill: "#8194a8", "font-size": 11 });
    label.textContent = fmt(max, max < 10 ? 1 : 0);
    svg.appendChild(label);
    series.forEach(function (s, i) {
      var color = COLORS[i % COLORS.length];
      if (n > 0) {
        var pts = s.values.map(function (v, j) {
          var x = n === 1 ? width : (width * j) / (n - 1);
          var yv = height - 2 - ((height - 14) * v) / max;
          return x.toFixed(1) + "," + yv.toFixed(1);
        });
        if (n === 1) pts.unshift("0," + pts[0].split(",")[1]);
        svg.appendChild(svgEl("polyline", { points: pts.join(" "), fill: "none", stroke: color, "stroke-width": 2, "vector-effect": "non-scaling-stroke" }));
      }
      var item = el("span");
      item.appendChild(el("i", { style: "background:" + color }));
      item.appendChild(document.createTextNode(s.name + " " + fmt(s.values[s.values.length - 1], 1)));
      legend.appendChild(item);
    });
    if (!series.length) legend.appendChild(el("span", { "class": "empty" }, "no data yet"));
    return n * series.length;
  }

  // Horizontal bars; rows: [{label, parts: [{value, cls}], max, text}].
  function barChart(section, rows, emptyText) {
    var box = $(".bars", section);
    box.textContent = "";
    if (!rows.length) box.appendChild(el("div", { "class": "empty" }, emptyText));
    rows.forEach(function (r) {
      var row = el("div", { "class": "bar-row" });
      row.appendChild(el("span", { "class": "label", title: r.label }, r.label));
      var track = el("div", { "class": "track" });
      r.parts.forEach(function (p) {
        var pct = r.max > 0 ? Math.min(100, (100 * p.value) / r.max) : 0;
        track.appendChild(el("span", { "class": p.cls, style: "width:" + pct.toFixed(2) + "%" }));
      });
      row.appendChild(track);
      row.appendChild(el("span", { "class": "value" }, r.text));
      box.appendChild(row);
    });
    return rows.length;
  }

  function renderQueues(status, history) {
    var names = status.queues.items.map(function (q) { return q.queue; });
    var series = names.map(function (name) {
      return { name: name, values: history.points.map(function (p) { return (p.queueReady[name] || 0) + (p.queueUnacked[name] || 0); }) };
    });
    mark("chart-queues", lineChart($("#chart-queues"), series, 900, 220));

    var body = $("#table-queues tbody");
    body.textContent = "";
    status.queues.items.forEach(function (q) {
      var tr = el("tr");
      [q.queue, fmt(q.ready), fmt(q.unacked), fmt(q.consumers), fmt(q.publishRate, 1), fmt(q.deliverRate, 1)].forEach(function (v) { tr.appendChild(el("td", {}, v)); });
      body.appendChild(tr);
    });
    $("#queue-source").textContent = "source: " + status.queues.source;
    mark("table-queues", status.queues.items.length);
  }

  function renderThroughput(history) {
    var series = [
      { name: "jobs/s", values: history.points.map(function (p) { return p.throughputPerSecond; }) },
      { name: "waiting for quota", values: history.points.map(function (p) { return p.waitingForQuota; }) }
    ];
    mark("chart-throughput", lineChart($("#chart-throughput"), series, 440, 160));
  }

  function renderProgress(status) {
    var rows = status.batches.recent.slice(0, 8).map(function (b) {
      var total = b.total || (b.queued + b.dispatched + b.succeeded + b.failed) || 1;
      return {
        label: b.id,
        max: total,
        parts: [{ value: b.succeeded, cls: "ok" }, { value: b.failed, cls: "bad" }, { value: b.dispatched, cls: "accent" }, { value: b.queued, cls: "muted" }],
        // The state only when it says more than the bar: a batch paused, cancelled, expired or done.
        text: fmt(b.succeeded + b.failed) + " / " + fmt(total) + (b.state && b.state !== "in_progress" ? " · " + b.state : (b.complete ? " ✓" : ""))
          + (!b.complete && b.etaSeconds !== null && b.etaSeconds !== undefined ? " · ETA " + fmt(b.etaSeconds) + " s" : "")
      };
    });
    mark("chart-progress", barChart($("#chart-progress"), rows, "no batches yet"));
  }

  function renderDeployments(status) {
    var max = 1;
    status.deployments.forEach(function (d) { max = Math.max(max, d.succeeded + d.failed); });
    var rows = status.deployments.map(function (d) {
      return { label: d.id + " (" + d.modelGroup + ")", max: max, parts: [{ value: d.succeeded, cls: "ok" }, { value: d.failed, cls: "bad" }], text: fmt(d.succeeded) + " ok, " + fmt(d.failed) + " failed" };
    });
    mark("chart-deployments", barChart($("#chart-deployments"), rows, "no deployments"));
  }

  function renderQuota(status) {
    var rows = [];
    status.deployments.forEach(function (d) {
      if (!d.quota) return;
      var q = d.quota;
      // Only the limits the deployment's limit model keeps: requests and tokens (OpenAI, Azure),
      // input and output tokens (Anthropic), calls in flight (MaxConcurrent).
      var flight = q.inFlight + (q.maxConcurrent != null ? " / " + fmt(q.maxConcurrent) : "") + " in flight";
      if (q.requestsLimit != null) {
        rows.push({ label: d.id + " requests", max: q.requestsLimit, parts: [{ value: q.requestsInWindow, cls: "accent" }], text: fmt(q.requestsInWindow) + " / " + fmt(q.requestsLimit) + " · " + flight });
      }
      if (q.tokensLimit != null) {
        rows.push({ label: d.id + " tokens", max: q.tokensLimit, parts: [{ value: q.tokensInWindow, cls: "warn" }], text: fmt(q.tokensInWindow) + " / " + fmt(q.tokensLimit) });
      }
      [["input tokens", q.inputTokens], ["output tokens", q.outputTokens]].forEach(function (dim) {
        if (dim[1]) {
          rows.push({ label: d.id + " " + dim[0], max: dim[1].limit, parts: [{ value: dim[1].inWindow, cls: "warn" }], text: fmt(dim[1].inWindow) + " / " + fmt(dim[1].limit) });
        }
      });
      if (q.maxConcurrent != null) {
        rows.push({ label: d.id + " in flight", max: q.maxConcurrent, parts: [{ value: q.inFlight, cls: "accent" }], text: flight });
      }
    });
    mark("chart-quota", barChart($("#chart-quota"), rows, "no live quota (dispatcher not routing)"));
  }

  function renderBudgets(status) {
    var rows = status.budgets.map(function (b) {
      return { label: b.key + " (" + b.period + ")", max: b.limit, parts: [{ value: b.spent, cls: "ok" }, { value: b.reserved, cls: "warn" }], text: "$" + fmt(b.spent + b.reserved, 4) + " / $" + fmt(b.limit, 2) };
    });
    mark("chart-budgets", barChart($("#chart-budgets"), rows, "no budgets configured"));
  }

  // Each tenant's share of the tokens reserved in the last minute, against its weight's share.
  function renderTenants(status) {
    var tenants = status.tenants || [];
    var weights = 0;
    tenants.forEach(function (t) { if (t.waiting > 0 || t.jobs > 0) weights += t.weight; });
    var rows = tenants.map(function (t) {
      return {
        label: (t.tenant || "(no tenant)") + " ×" + fmt(t.weight, t.weight % 1 ? 2 : 0),
        max: 1,
        parts: [{ value: t.share, cls: "accent" }],
        text: fmt(t.share * 100, 0) + " % (fair " + fmt(weights ? t.weight / weights * 100 : 0, 0) + " %) · " + fmt(t.waiting) + " waiting · waits " + fmt(t.meanWaitSeconds, 1) + " s"
      };
    });
    mark("chart-tenants", barChart($("#chart-tenants"), rows, "no tenant waiting or sent in the last minute"));
  }

  function renderBreakers(status) {
    var box = $("#chart-breakers .breakers");
    box.textContent = "";
    status.deployments.forEach(function (d) {
      var item = el("div", { "class": "breaker " + d.breaker.state + (d.pause ? " paused" : ""), "data-state": d.breaker.state });
      item.appendChild(el("b", {}, d.id));
      item.appendChild(document.createTextNode(" " + d.breaker.state));
      item.appendChild(el("span", { "class": "why" }, d.breaker.reason || "—"));
      // A weighted-adaptive group's deployments: the weight routing draws by now.
      if (d.routingWeight !== null && d.routingWeight !== undefined) {
        item.appendChild(el("span", { "class": "weight", "data-weight": d.routingWeight }, "routing weight " + fmt(d.routingWeight, 2)));
      }
      // Outside all its availability windows: jobs only it could take wait for the next to open.
      if (d.closed) {
        item.appendChild(el("span", { "class": "closed", "data-closed": d.closed }, d.closed));
      }
      // A provider's Retry-After: jobs for this deployment wait until it ends.
      if (d.pause) {
        item.setAttribute("data-paused-until", d.pause.until);
        item.appendChild(el("span", { "class": "pause" }, pauseText(d.pause)));
      }
      box.appendChild(item);
    });
    mark("chart-breakers", status.deployments.length);
  }

  // Seconds under a minute, else h:mm:ss, as the status command shows them.
  function left(seconds) {
    var s = Math.max(0, Math.ceil(seconds));
    if (s < 60) return s + " s";
    var two = function (n) { return (n < 10 ? "0" : "") + n; };
    return Math.floor(s / 3600) + ":" + two(Math.floor(s / 60) % 60) + ":" + two(s % 60);
  }

  function pauseText(p) {
    return "paused by the provider until " + new Date(p.until).toLocaleTimeString() + ", " + left(p.secondsLeft) + " left" +
      (p.reason ? " (" + p.reason + ")" : "") + (p.waitingJobs > 0 ? ", " + fmt(p.waitingJobs) + (p.waitingJobs === 1 ? " job" : " jobs") + " waiting" : "");
  }

  function renderSummary(status) {
    var b = status.batches;
    var s = $("#summary");
    s.textContent = "";
    var done = 0, total = 0;
    b.recent.forEach(function (r) { done += r.succeeded + r.failed; total += r.total || (r.queued + r.dispatched + r.succeeded + r.failed); });
    var parts = [
      ["transport", status.transport], ["running batches", fmt(b.running)], ["jobs done", fmt(done) + " / " + fmt(total)],
      ["throughput", fmt(b.throughputPerSecond, 1) + " jobs/s"], ["ETA", b.etaSeconds === null ? "-" : fmt(b.etaSeconds) + " s"],
      ["waiting for quota", fmt(status.waitingForQuota)], ["at", new Date(status.at).toLocaleTimeString()]
    ];
    var paused = status.deployments.filter(function (d) { return d.pause; });
    if (paused.length) {
      parts.splice(parts.length - 1, 0, ["paused by the provider", paused.map(function (d) { return d.id + " until " + new Date(d.pause.until).toLocaleTimeString(); }).join(", ")]);
    }
    // Jobs of no batch are counted apart, never as a batch that waits for its size.
    var loose = status.looseJobs;
    if (loose && loose.queued + loose.dispatched + loose.succeeded + loose.failed > 0) {
      parts.splice(3, 0, ["jobs without a batch", fmt(loose.succeeded + loose.failed) + " / " + fmt(loose.queued + loose.dispatched + loose.succeeded + loose.failed)]);
    }
    parts.forEach(function (p, i) {
      if (i) s.appendChild(document.createTextNode(" · "));
      s.appendChild(document.createTextNode(p[0] + " "));
      s.appendChild(el("b", {}, p[1]));
    });
  }

  function getJson(url) {
    return fetch(url, { cache: "no-store" }).then(function (r) {
      if (!r.ok) throw new Error(url + " answered " + r.status);
      return r.json();
    });
  }

  function poll() {
    Promise.all([getJson("/api/status"), getJson("/api/status/history")]).then(function (answers) {
      var status = answers[0], history = answers[1];
      renderSummary(status);
      renderQueues(status, history);
      renderThroughput(history);
      renderProgress(status);
      renderDeployments(status);
      renderQuota(status);
      renderBudgets(status);
      renderTenants(status);
      renderBreakers(status);
      updates++;
      document.body.setAttribute("data-updates", String(updates));
    }).catch(function (e) {
      var s = $("#summary");
      s.textContent = "";
      s.appendChild(el("span", { "class": "error" }, "status unavailable: " + e.message));
    }).then(function () { setTimeout(poll, POLL_MS); });
  }

  poll();
})();
