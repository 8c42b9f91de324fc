/*
 * Supervisor console: the satisfaction tab.
 */
import * as Charts from "../charts.js";
import { appendAll, clear, DASH, DIMENSIONS, fetchReport, fmtAvg, fmtCount, fmtR, fmtRate, fmtScore, h, isNumber, label, query, state, t, ui } from "./core.js";
import { cardHead, kpi, table } from "./figures.js";
import { periodParams } from "./period.js";

// ---------------------------------------------------------------------------------------
// Satisfaction
// ---------------------------------------------------------------------------------------

export function loadSatisfaction() {
  return fetchReport("satisfaction", "/api/reports/satisfaction" + query(periodParams({ group: state.group })), renderSatisfaction);
}

function renderSatisfaction(r) {
  var howText = r.how || {};
  var s = r.score;
  var weights = r.weights || {};
  var trend = r.trend || [];
  var strength = function (v) {
    if (!isNumber(v)) return t("sup.corr.none");
    var a = Math.abs(v);
    return a >= 0.7 ? t("sup.corr.strong") : a >= 0.4 ? t("sup.corr.moderate") : t("sup.corr.weak");
  };
  appendAll(clear(ui.satisfaction), [
    h("div", { class: "kpis" }, [
      kpi({ key: "sat_average", label: "sup.k.csat", kind: "avg", how: howText.score, sub: t("sup.ratings", { n: fmtCount(s.count) }) }, s.average),
      kpi({ key: "sat_rate", label: "sup.k.satisfaction", kind: "rate", how: howText.score }, s.satisfaction_rate),
      kpi({ key: "sat_response", label: "sup.k.responseRate", kind: "rate", how: howText.score, sub: t("sup.ratedOfOffered", { rated: fmtCount(s.rated), offered: fmtCount(s.offered) }) }, s.response_rate),
      kpi({ key: "sat_resolved", label: "sup.k.resolved", kind: "rate", how: howText.score }, s.resolved_rate),
      kpi({ key: "sat_csi", label: "sup.k.csi", kind: "score", how: howText.csi, sub: t("sup.csiScale") }, r.csi),
    ]),
    h("div", { class: "grid-2" }, [
      h("article", { class: "card" }, [
        cardHead(t("sup.c.csatDistribution"), howText.score),
        Charts.histogram({
          title: t("sup.c.csatDistribution"),
          name: t("sup.ratingsCount"),
          labels: ["1", "2", "3", "4", "5"],
          values: ["1", "2", "3", "4", "5"].map(function (k) {
            return (s.distribution || {})[k] || 0;
          }),
          classes: ["bar--bad", "bar--bad", "bar--mid", "bar--good", "bar--good"],
          labelHeading: t("sup.score"),
          format: fmtCount,
          emptyText: t("sup.noRatings"),
        }),
      ]),
      h("article", { class: "card", id: "card-dimensions" }, [
        cardHead(t("sup.c.dimensions"), howText.dimensions),
        Charts.bars({
          title: t("sup.c.dimensions"),
          name: t("sup.score100"),
          labels: DIMENSIONS.map(function (d) {
            return label("ratingPart", d);
          }),
          values: DIMENSIONS.map(function (d) {
            return r.dimensions[d].score;
          }),
          className: "chart-s2",
          yMax: 100,
          labelHeading: t("sup.dimension"),
          format: fmtScore,
        }),
        table(
          [{ label: t("sup.dimension") }, { label: t("sup.answers"), cls: "num" }, { label: t("sup.avg15"), cls: "num" }, { label: t("sup.score100"), cls: "num" }, { label: t("sup.weight"), cls: "num" }],
          DIMENSIONS.map(function (d) {
            var dim = r.dimensions[d];
            return [label("ratingPart", d), fmtCount(dim.count), fmtAvg(dim.average), fmtScore(dim.score), isNumber(weights[d]) ? (weights[d] * 100).toFixed(0) + "\u00a0%" : DASH];
          })
        ),
      ]),
      h("article", { class: "card", id: "card-csi" }, [
        cardHead(t("sup.c.csi"), howText.csi),
        h("p", { class: "big-number", "data-value": isNumber(r.csi) ? String(r.csi) : "", text: fmtScore(r.csi) }),
        h("p", { class: "formula mono", text: t("sup.csiFormula") }),
        h("p", { class: "formula mono", text: t("sup.scoreFormula") }),
        h(
          "ul",
          { class: "weights" },
          DIMENSIONS.map(function (d) {
            return h("li", { text: label("ratingPart", d) + ": w = " + (isNumber(weights[d]) ? weights[d].toFixed(2) : DASH) });
          })
        ),
        h("p", { class: "muted small", text: t("sup.weightsSource", { source: label("weightsSource", r.weights_source) }) }),
      ]),
      h("article", { class: "card" }, [
        cardHead(t("sup.c.trend"), howText.trend),
        Charts.line({
          title: t("sup.c.trend"),
          labels: trend.map(function (b) {
            return b.label;
          }),
          labelHeading: t("sup.bucket"),
          series: [
            { name: t("sup.k.csi"), values: trend.map(function (b) { return b.csi; }), className: "chart-s0" },
            {
              name: t("sup.k.satisfaction") + " (%)",
              values: trend.map(function (b) {
                return isNumber(b.satisfaction_rate) ? Math.round(b.satisfaction_rate * 1000) / 10 : null;
              }),
              className: "chart-s3",
            },
          ],
          yMax: 100,
          format: fmtScore,
          emptyText: t("sup.noRatings"),
        }),
        table(
          [{ label: t("sup.bucket") }, { label: t("sup.ratingsCount"), cls: "num" }, { label: t("sup.avg"), cls: "num" }, { label: t("sup.k.satisfaction"), cls: "num" }, { label: t("sup.k.csi"), cls: "num" }],
          trend.map(function (b) {
            return [b.label, fmtCount(b.count), fmtAvg(b.average), fmtRate(b.satisfaction_rate), fmtScore(b.csi)];
          })
        ),
      ]),
      h("article", { class: "card", id: "card-correlation" }, [
        cardHead(t("sup.c.correlation"), howText.correlation),
        table(
          [{ label: t("sup.dimension") }, { label: "r", cls: "num" }, { label: t("sup.strength") }, { label: t("sup.pairs"), cls: "num" }],
          DIMENSIONS.map(function (d) {
            var c = (r.correlation || {})[d] || {};
            return [label("ratingPart", d), fmtR(c.r), strength(c.r), fmtCount(c.pairs)];
          })
        ),
      ]),
      h("article", { class: "card", id: "card-stage" }, [
        cardHead(t("sup.c.byStage"), howText.by_stage),
        table(
          [{ label: t("sup.stage") }, { label: t("sup.ratingsCount"), cls: "num" }, { label: t("sup.avg"), cls: "num" }, { label: t("sup.k.satisfaction"), cls: "num" }, { label: t("sup.k.csi"), cls: "num" }],
          ["bot", "human"].map(function (stage) {
            var b = (r.by_stage || {})[stage] || {};
            return [label("stageOf", stage), fmtCount(b.count), fmtAvg(b.average), fmtRate(b.satisfaction_rate), fmtScore(b.csi)];
          })
        ),
      ]),
    ]),
  ]);
}
