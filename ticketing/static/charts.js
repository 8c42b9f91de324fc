/*
 * Small, dependency-free SVG charts for the supervisor console: line, bar, stacked bar and
 * histogram, with axes, a legend, a tooltip per point or bar (an SVG <title>, shown by the
 * browser on hover) and an accessible data table next to every chart.
 *
 * Every chart returns a <figure class="chart">: the <svg role="img"> (named by its <title>
 * and <desc>), the legend and a visually hidden <table> holding the same numbers, which is
 * what screen readers read. All text is set with textContent; nothing is parsed as markup.
 * Colours come from CSS classes (.chart-s0 ... .chart-s7) so the page's stylesheet, not
 * inline styles, decides them (the console's Content-Security-Policy has no 'unsafe-inline').
 *
 * A native ES module (import * as Charts from "../charts.js"):
 *
 *   Charts.line({title, labels, series: [{name, values, className?}], format?, yMax?})
 *   Charts.bars({title, labels, values, format?, name?, className?})
 *   Charts.stacked({title, labels, series: [{name, values}], format?})
 *   Charts.histogram({title, labels, values, format?, name?})
 */

var SVG = "http://www.w3.org/2000/svg";
var WIDTH = 560;
var HEIGHT = 220;
var PAD = { top: 12, right: 12, bottom: 34, left: 44 };
var uid = 0;

function svg(tag, attrs, children) {
  var node = document.createElementNS(SVG, tag);
  Object.keys(attrs || {}).forEach(function (name) {
    var value = attrs[name];
    if (value == null || value === false) return;
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, String(value));
  });
  (children || []).forEach(function (child) {
    if (child) node.appendChild(child);
  });
  return node;
}

function html(tag, attrs, children) {
  var node = document.createElement(tag);
  Object.keys(attrs || {}).forEach(function (name) {
    var value = attrs[name];
    if (value == null || value === false) return;
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, String(value));
  });
  (children || []).forEach(function (child) {
    if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  });
  return node;
}

function tip(text) {
  return svg("title", { text: text });
}

function number(value) {
  return typeof value === "number" && isFinite(value);
}

function defaultFormat(value) {
  if (!number(value)) return "\u2014";
  return Math.round(value) === value ? String(value) : value.toFixed(2);
}

/** A "nice" axis maximum and step (1, 2 or 5 times a power of ten) for 4-5 ticks. */
export function niceScale(max, ticks) {
  ticks = ticks || 4;
  if (!(max > 0)) return { max: 1, step: 0.25 };
  var raw = max / ticks;
  var power = Math.pow(10, Math.floor(Math.log10(raw)));
  var step = [1, 2, 2.5, 5, 10]
    .map(function (m) {
      return m * power;
    })
    .filter(function (s) {
      return s >= raw;
    })[0];
  return { max: Math.ceil(max / step - 1e-9) * step, step: step };
}

/** The <svg> with its accessible name and description, and the plot geometry. */
function frame(opts, kind) {
  var id = "chart-" + ++uid;
  var root = svg("svg", {
    class: "chart-svg chart--" + kind,
    viewBox: "0 0 " + WIDTH + " " + HEIGHT,
    role: "img",
    "aria-labelledby": id + "-title " + id + "-desc",
    preserveAspectRatio: "xMidYMid meet",
    focusable: "false",
  });
  root.appendChild(svg("title", { id: id + "-title", text: opts.title || "" }));
  root.appendChild(svg("desc", { id: id + "-desc", text: opts.description || summaryText(opts) }));
  return {
    id: id,
    root: root,
    x0: PAD.left,
    y0: PAD.top,
    w: WIDTH - PAD.left - PAD.right,
    h: HEIGHT - PAD.top - PAD.bottom,
  };
}

function summaryText(opts) {
  var series = opts.series || [{ name: opts.name || "", values: opts.values || [] }];
  return series
    .map(function (s) {
      var values = (s.values || []).filter(number);
      if (!values.length) return (s.name || "") + ": \u2014";
      var total = values.reduce(function (a, b) {
        return a + b;
      }, 0);
      var max = Math.max.apply(null, values);
      return (s.name ? s.name + ": " : "") + "max " + (opts.format || defaultFormat)(max) + ", n=" + values.length + (opts.total === false ? "" : ", \u03a3 " + (opts.format || defaultFormat)(total));
    })
    .join("; ");
}

function axes(f, scale, labels, format, band) {
  var g = svg("g", { class: "chart-axes", "aria-hidden": "true" });
  for (var v = 0; v <= scale.max + 1e-9; v += scale.step) {
    var y = f.y0 + f.h - (v / scale.max) * f.h;
    g.appendChild(svg("line", { class: "chart-grid", x1: f.x0, x2: f.x0 + f.w, y1: y, y2: y }));
    g.appendChild(svg("text", { class: "chart-tick", x: f.x0 - 6, y: y + 4, "text-anchor": "end", text: format(round(v)) }));
  }
  g.appendChild(svg("line", { class: "chart-axis", x1: f.x0, x2: f.x0 + f.w, y1: f.y0 + f.h, y2: f.y0 + f.h }));
  var n = labels.length;
  var every = Math.max(1, Math.ceil(n / 10)); // at most ~10 labels on the x axis
  labels.forEach(function (text, i) {
    if (i % every !== 0 && i !== n - 1) return;
    // the last label, unless it would run into the one before it
    if (i === n - 1 && i % every !== 0 && n > 2 && (n - 1) % every < every * 0.75) return;
    var x = band ? f.x0 + (i + 0.5) * (f.w / n) : f.x0 + (n > 1 ? (i / (n - 1)) * f.w : f.w / 2);
    var room = Math.max(4, Math.floor(((band ? f.w / n : f.w / Math.max(1, n - 1)) * every) / 6.2));
    var shown = shorten(text, room);
    var node = svg("text", { class: "chart-tick", x: x, y: f.y0 + f.h + 16, "text-anchor": "middle", text: shown });
    if (shown !== String(text)) node.appendChild(tip(String(text)));
    g.appendChild(node);
  });
  return g;
}

function round(v) {
  return Math.round(v * 1e6) / 1e6;
}

/** ISO dates become "03-02"; labels longer than the room under their bar are cut. */
function shorten(text, room) {
  text = String(text == null ? "" : text);
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return text.slice(5);
  room = Math.min(room || 14, 40);
  return text.length > room ? text.slice(0, room - 1) + "\u2026" : text;
}

function legend(series) {
  if (series.length < 2) return null;
  return html(
    "ul",
    { class: "chart-legend" },
    series.map(function (s, i) {
      return html("li", {}, [html("span", { class: "chart-key " + (s.className || "chart-s" + i), "aria-hidden": "true" }), s.name || ""]);
    })
  );
}

/** The numbers as a table for screen readers (and for copying). */
function dataTable(opts, labels, series) {
  var format = opts.format || defaultFormat;
  var head = html("tr", {}, [html("th", { scope: "col", text: opts.labelHeading || "" })].concat(
    series.map(function (s) {
      return html("th", { scope: "col", text: s.name || opts.title || "" });
    })
  ));
  var rows = labels.map(function (labelText, i) {
    return html("tr", {}, [html("th", { scope: "row", text: String(labelText) })].concat(
      series.map(function (s) {
        return html("td", { text: format(s.values[i]) });
      })
    ));
  });
  return html("table", { class: "sr-only chart-data" }, [
    html("caption", { text: opts.title || "" }),
    html("thead", {}, [head]),
    html("tbody", {}, rows),
  ]);
}

function figure(opts, f, labels, series) {
  var caption = opts.caption ? html("figcaption", { class: "chart-caption", text: opts.caption }) : null;
  return html("figure", { class: "chart" }, [f.root, legend(series), dataTable(opts, labels, series), caption]);
}

function maxOf(series) {
  var max = 0;
  series.forEach(function (s) {
    (s.values || []).forEach(function (v) {
      if (number(v) && v > max) max = v;
    });
  });
  return max;
}

function empty(f, text) {
  f.root.appendChild(svg("text", { class: "chart-empty", x: f.x0 + f.w / 2, y: f.y0 + f.h / 2, "text-anchor": "middle", text: text }));
}

// ---------------------------------------------------------------------------------------

export function line(opts) {
  var labels = opts.labels || [];
  var series = opts.series || [];
  var format = opts.format || defaultFormat;
  var f = frame(opts, "line");
  var scale = niceScale(opts.yMax != null ? opts.yMax : maxOf(series));
  f.root.appendChild(axes(f, scale, labels, format, false));
  var n = labels.length;
  function x(i) {
    return f.x0 + (n > 1 ? (i / (n - 1)) * f.w : f.w / 2);
  }
  function y(v) {
    return f.y0 + f.h - (v / scale.max) * f.h;
  }
  series.forEach(function (s, si) {
    var cls = s.className || "chart-s" + si;
    var g = svg("g", { class: "chart-series " + cls });
    var d = "";
    var pen = false;
    (s.values || []).forEach(function (v, i) {
      if (!number(v)) {
        pen = false;
        return;
      }
      d += (pen ? "L" : "M") + x(i).toFixed(1) + " " + y(v).toFixed(1) + " ";
      pen = true;
    });
    if (d) g.appendChild(svg("path", { class: "chart-line" + (s.dashed ? " chart-line--dashed" : ""), d: d.trim(), fill: "none" }));
    (s.values || []).forEach(function (v, i) {
      if (!number(v)) return;
      g.appendChild(
        svg("circle", { class: "chart-point", cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: n > 40 ? 2 : 3.5 }, [
          tip((s.name ? s.name + " \u2014 " : "") + labels[i] + ": " + format(v)),
        ])
      );
    });
    f.root.appendChild(g);
  });
  if (!maxOf(series) && opts.emptyText) empty(f, opts.emptyText);
  return figure(opts, f, labels, series);
}

export function bars(opts) {
  var labels = opts.labels || [];
  var values = opts.values || [];
  var series = [{ name: opts.name || opts.title, values: values, className: opts.className }];
  var format = opts.format || defaultFormat;
  var f = frame(opts, opts.histogram ? "histogram" : "bars");
  var scale = niceScale(opts.yMax != null ? opts.yMax : maxOf(series));
  f.root.appendChild(axes(f, scale, labels, format, true));
  var n = Math.max(1, labels.length);
  var band = f.w / n;
  var gap = opts.histogram ? 1 : Math.min(band * 0.3, 24);
  var g = svg("g", { class: "chart-series " + (opts.className || "chart-s0") });
  values.forEach(function (v, i) {
    var value = number(v) ? v : 0;
    var hgt = (value / scale.max) * f.h;
    var cls = "chart-bar" + (opts.classes && opts.classes[i] ? " " + opts.classes[i] : "");
    g.appendChild(
      svg("rect", { class: cls, x: (f.x0 + i * band + gap / 2).toFixed(1), y: (f.y0 + f.h - hgt).toFixed(1), width: Math.max(1, band - gap).toFixed(1), height: Math.max(0, hgt).toFixed(1) }, [
        tip(labels[i] + ": " + format(v)),
      ])
    );
    if (opts.showValues !== false && n <= 16 && number(v)) {
      g.appendChild(svg("text", { class: "chart-value", x: (f.x0 + (i + 0.5) * band).toFixed(1), y: (f.y0 + f.h - hgt - 4).toFixed(1), "text-anchor": "middle", "aria-hidden": "true", text: format(v) }));
    }
  });
  f.root.appendChild(g);
  if (!maxOf(series) && opts.emptyText) empty(f, opts.emptyText);
  return figure(opts, f, labels, series);
}

export function histogram(opts) {
  var copy = {};
  Object.keys(opts).forEach(function (k) {
    copy[k] = opts[k];
  });
  copy.histogram = true;
  return bars(copy);
}

export function stacked(opts) {
  var labels = opts.labels || [];
  var series = opts.series || [];
  var format = opts.format || defaultFormat;
  var f = frame(opts, "stacked");
  var totals = labels.map(function (_, i) {
    return series.reduce(function (sum, s) {
      return sum + (number(s.values[i]) ? s.values[i] : 0);
    }, 0);
  });
  var scale = niceScale(Math.max.apply(null, [0].concat(totals)));
  f.root.appendChild(axes(f, scale, labels, format, true));
  var n = Math.max(1, labels.length);
  var band = f.w / n;
  var gap = Math.min(band * 0.3, 24);
  var base = labels.map(function () {
    return 0;
  });
  series.forEach(function (s, si) {
    var g = svg("g", { class: "chart-series " + (s.className || "chart-s" + si) });
    (s.values || []).forEach(function (v, i) {
      if (!number(v) || v <= 0) return;
      var y1 = f.y0 + f.h - ((base[i] + v) / scale.max) * f.h;
      var hgt = (v / scale.max) * f.h;
      base[i] += v;
      g.appendChild(
        svg("rect", { class: "chart-bar", x: (f.x0 + i * band + gap / 2).toFixed(1), y: y1.toFixed(1), width: Math.max(1, band - gap).toFixed(1), height: hgt.toFixed(1) }, [
          tip(labels[i] + " \u2014 " + (s.name || "") + ": " + format(v) + " / " + format(totals[i])),
        ])
      );
    });
    f.root.appendChild(g);
  });
  if (n <= 16) {
    var tg = svg("g", { class: "chart-totals", "aria-hidden": "true" });
    totals.forEach(function (total, i) {
      if (!total) return;
      tg.appendChild(svg("text", { class: "chart-value", x: (f.x0 + (i + 0.5) * band).toFixed(1), y: (f.y0 + f.h - (total / scale.max) * f.h - 4).toFixed(1), "text-anchor": "middle", text: format(total) }));
    });
    f.root.appendChild(tg);
  }
  if (!Math.max.apply(null, [0].concat(totals)) && opts.emptyText) empty(f, opts.emptyText);
  return figure(opts, f, labels, series);
}
