/*
 * Supervisor console: the complaints tab.
 */
import * as Charts from "../charts.js";
import { $, appendAll, clear, COMPLAINT_CATEGORIES, customerName, DASH, fetchReport, fmtAvg, fmtCount, fmtMinutes, fmtRate, fmtSlope, h, isNumber, query, state, t, ui } from "./core.js";
import { categoryLabel, openFiltered } from "./dashboard.js";
import { cardHead, deltaNode, kpi, stat, table } from "./figures.js";
import { periodParams } from "./period.js";
import { resetFilters } from "./transcripts.js";

// ---------------------------------------------------------------------------------------
// Complaints
// ---------------------------------------------------------------------------------------

export function loadComplaints() {
  return fetchReport("complaints", "/api/reports/complaints" + query(periodParams({ group: state.group })), renderComplaints);
}

function renderComplaints(r) {
  var howText = r.how || {};
  var labels = r.buckets.map(function (b) {
    return b.label;
  });
  var withData = r.by_category.filter(function (c) {
    return c.total > 0 || c.previous_total > 0;
  });
  var after = r.satisfaction_after;
  var res = r.resolution;
  var kpis = h("div", { class: "kpis" }, [
    kpi({ key: "complaints_total", label: "sup.k.complaints", kind: "count", better: "down", how: howText.by_category }, r.total, r.previous_total),
    kpi({ key: "complaints_resolution", label: "sup.k.complaintResolution", kind: "minutes", how: howText.resolution, sub: t("sup.resolvedUnresolved", { resolved: fmtCount(res.resolved), unresolved: fmtCount(res.unresolved) }) }, res.p50),
    kpi({ key: "complaints_csat", label: "sup.k.satisfactionAfter", kind: "avg", how: howText.satisfaction_after, sub: t("sup.ratings", { n: fmtCount(after.count) }) }, after.average),
    kpi({ key: "complaints_repeat", label: "sup.k.repeat", kind: "count", how: howText.repeat_complainants }, r.repeat_complainants.count),
  ]);
  var trendRows = r.by_category.map(function (c) {
    var dir = (c.trend && c.trend.direction) || "flat";
    var arrow = dir === "up" ? "\u25b2" : dir === "down" ? "\u25bc" : "\u25ac";
    return [
      categoryLabel(c.category),
      fmtCount(c.total),
      fmtCount(c.previous_total),
      deltaNode(c.change, "count", "down", fmtCount(c.previous_total)),
      h("span", { class: "trend trend--" + dir, title: t("sup.slopeTitle", { slope: c.trend && c.trend.slope != null ? c.trend.slope : DASH }) }, [arrow + " " + (c.trend && isNumber(c.trend.slope) ? fmtSlope(c.trend.slope) : DASH)]),
    ];
  });
  appendAll(clear(ui.complaints), [
    kpis,
    h("div", { class: "grid-2" }, [
      h("article", { class: "card", id: "card-complaint-trend" }, [
        cardHead(t("sup.c.complaintTrend"), howText.by_category),
        Charts.stacked({
          title: t("sup.c.complaintTrend"),
          labels: labels,
          labelHeading: t("sup.bucket"),
          series: (withData.length ? withData : r.by_category).map(function (c) {
            return { name: categoryLabel(c.category), values: c.counts, className: "chart-cat-" + (COMPLAINT_CATEGORIES.indexOf(c.category) >= 0 ? c.category : "other") };
          }),
          format: fmtCount,
          emptyText: t("sup.noComplaints"),
        }),
      ]),
      h("article", { class: "card" }, [
        cardHead(t("sup.c.byCategory"), howText.by_category),
        table(
          [{ label: t("category") }, { label: t("sup.total"), cls: "num" }, { label: t("sup.previousPeriod"), cls: "num" }, { label: t("sup.change") }, { label: t("sup.trend") }],
          trendRows,
          t("sup.noComplaints"),
          t("sup.c.byCategory")
        ),
      ]),
      h("article", { class: "card" }, [
        cardHead(t("sup.c.complaintResolution"), howText.resolution),
        h("dl", { class: "stats" }, [
          stat(t("sup.resolved"), fmtCount(res.resolved)),
          stat(t("sup.unresolved"), fmtCount(res.unresolved)),
          stat("p50", fmtMinutes(res.p50)),
          stat("p90", fmtMinutes(res.p90)),
          stat(t("sup.avg"), fmtMinutes(res.avg)),
        ]),
        h("p", { class: "muted small", text: t("sup.businessMinutes") }),
      ]),
      h("article", { class: "card" }, [
        cardHead(t("sup.c.satisfactionAfter"), howText.satisfaction_after),
        Charts.histogram({
          title: t("sup.c.satisfactionAfter"),
          name: t("sup.ratingsCount"),
          labels: ["1", "2", "3", "4", "5"],
          values: ["1", "2", "3", "4", "5"].map(function (k) {
            return (after.distribution || {})[k] || 0;
          }),
          classes: ["bar--bad", "bar--bad", "bar--mid", "bar--good", "bar--good"],
          labelHeading: t("sup.score"),
          format: fmtCount,
          emptyText: t("sup.noRatings"),
        }),
        h("dl", { class: "stats" }, [stat(t("sup.avg"), fmtAvg(after.average)), stat(t("sup.k.satisfaction"), fmtRate(after.satisfaction_rate))]),
        table(
          [{ label: t("category") }, { label: t("sup.ratingsCount"), cls: "num" }, { label: t("sup.avg"), cls: "num" }, { label: t("sup.k.satisfaction"), cls: "num" }],
          (after.by_category || []).map(function (b) {
            return [categoryLabel(b.category), fmtCount(b.count), fmtAvg(b.average), fmtRate(b.satisfaction_rate)];
          }),
          t("sup.noRatings")
        ),
      ]),
      h("article", { class: "card" }, [
        cardHead(t("sup.c.repeat"), howText.repeat_complainants),
        table(
          [{ label: t("customer") }, { label: t("sup.k.complaints"), cls: "num" }, { label: t("category") }, { label: t("sup.tickets") }],
          r.repeat_complainants.customers.map(function (p) {
            return [
              customerName(p.customer) + (p.customer.email && p.customer.name ? " \u00b7 " + p.customer.email : ""),
              fmtCount(p.complaints),
              Object.keys(p.categories)
                .map(function (c) {
                  return categoryLabel(c) + " \u00d7" + p.categories[c];
                })
                .join(", "),
              h(
                "span",
                { class: "mono small" },
                p.tickets.map(function (n, i) {
                  return [i ? ", " : "", ticketSearchLink(n)];
                })
              ),
            ];
          }),
          t("sup.noRepeat")
        ),
      ]),
      h("article", { class: "card", id: "card-top-words" }, [
        cardHead(t("sup.c.topWords"), howText.top_words),
        r.top_words.length
          ? h(
              "ol",
              { class: "word-list" },
              r.top_words.map(function (w) {
                var max = r.top_words[0].count || 1;
                return h("li", {}, [
                  h("span", { class: "word", text: w.word }),
                  h("span", { class: "word-bar", "aria-hidden": "true" }, [meter(w.count / max)]),
                  h("span", { class: "word-count", text: fmtCount(w.count) }),
                ]);
              })
            )
          : h("p", { class: "empty", text: t("sup.noComplaints") }),
      ]),
    ]),
  ]);
}

/** A horizontal bar in a tiny SVG (no inline styles under the page's CSP). */
function meter(fraction) {
  var ns = "http://www.w3.org/2000/svg";
  var root = document.createElementNS(ns, "svg");
  root.setAttribute("viewBox", "0 0 100 8");
  root.setAttribute("preserveAspectRatio", "none");
  root.setAttribute("class", "meter");
  var bar = document.createElementNS(ns, "rect");
  bar.setAttribute("class", "meter-fill");
  bar.setAttribute("width", String(Math.max(1, Math.round(fraction * 100))));
  bar.setAttribute("height", "8");
  root.appendChild(bar);
  return root;
}

function ticketSearchLink(number) {
  return h("a", {
    href: "#transcripts",
    text: number,
    onclick: function (event) {
      event.preventDefault();
      resetFilters();
      $("f-from").value = "";
      $("f-to").value = "";
      $("f-q").value = number;
      openFiltered();
    },
  });
}
