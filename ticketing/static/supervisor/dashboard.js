/*
 * Supervisor console: the dashboard tab.
 */
import * as Charts from "../charts.js";
import { $, appendAll, clear, COMPLAINT_CATEGORIES, DASH, DECISIONS, fetchReport, fmtAvg, fmtCount, fmtMinutes, fmtRate, h, label, NOT_LABELS, OUTCOMES, query, state, STRINGS, t, todayIn, ui } from "./core.js";
import { cardHead, how, kpi, stat, table } from "./figures.js";
import { addLabelOption } from "./improve.js";
import { periodKey, periodParams } from "./period.js";
import { applyLive } from "./queue.js";
import { selectTab } from "./tabs.js";
import { loadConversations, resetFilters } from "./transcripts.js";

// ---------------------------------------------------------------------------------------
// Dashboard
// ---------------------------------------------------------------------------------------

var KPIS = [
  { key: "conversations", label: "sup.k.conversations", kind: "count", how: "conversations", get: function (r) { return r.conversations.total; } },
  { key: "containment_rate", label: "sup.k.containment", kind: "rate", better: "up", how: "outcomes", get: function (r) { return r.outcomes.containment_rate; } },
  { key: "abandonment_rate", label: "sup.k.abandonment", kind: "rate", better: "down", how: "outcomes", get: function (r) { return r.outcomes.abandonment_rate; } },
  { key: "handoffs", label: "sup.k.handoffs", kind: "count", how: "handoffs", get: function (r) { return r.handoffs.total; } },
  { key: "fallback_rate", label: "sup.k.fallback", kind: "rate", better: "down", how: "fallback", get: function (r) { return r.fallback.rate; } },
  { key: "declined_rate", label: "sup.k.declined", kind: "rate", better: "down", how: "decisions", get: function (r) { return (r.decisions || {}).declined_rate; } },
  { key: "clarification_rate", label: "sup.k.clarified", kind: "rate", how: "decisions", get: function (r) { return (r.decisions || {}).clarification_rate; } },
  { key: "helpfulness_rate", label: "sup.k.helpfulness", kind: "rate", better: "up", how: "helpfulness", get: function (r) { return (r.helpfulness || {}).rate; } },
  { key: "csat_average", label: "sup.k.csat", kind: "avg", better: "up", how: "csat", get: function (r) { return r.csat.average; } },
  { key: "satisfaction_rate", label: "sup.k.satisfaction", kind: "rate", better: "up", how: "csat", get: function (r) { return r.csat.satisfaction_rate; } },
  { key: "response_rate", label: "sup.k.responseRate", kind: "rate", better: "up", how: "csat", get: function (r) { return r.csat.response_rate; } },
  { key: "resolved_rate", label: "sup.k.resolved", kind: "rate", better: "up", how: "resolved", get: function (r) { return r.resolved.rate; } },
  { key: "first_response_p50", label: "sup.k.firstResponse", kind: "minutes", better: "down", how: "times", get: function (r) { return r.times.first_response.p50; } },
  { key: "resolution_p50", label: "sup.k.resolution", kind: "minutes", better: "down", how: "times", get: function (r) { return r.times.resolution.p50; } },
  { key: "sla_breaches", label: "sup.k.sla", kind: "count", better: "down", how: "sla", get: function (r) { return r.sla.breached_tickets; } },
];

export function loadSummary() {
  var path = "/api/reports/summary" + query(periodParams());
  return fetchReport("summary", path, function (report) {
    state.summary = report;
    if (report.period && report.period.timezone) state.today = todayIn(report.period.timezone);
    renderDashboard(report);
    applyLive(report.live, false);
    addIntentOptions(report);
  });
}

function renderDashboard(r) {
  var howText = r.how || {};
  var prev = r.previous || {};
  var deltas = r.deltas || {};
  clear(ui.kpis);
  KPIS.forEach(function (spec) {
    var s = { key: spec.key, label: spec.label, kind: spec.kind, better: spec.better, how: howText[spec.how] };
    if (spec.key === "abandonment_rate") {
      s.sub = t("sup.abandonedSplit", { n: fmtCount(r.outcomes.abandoned), bot: fmtCount(r.outcomes.abandoned_bot), queue: fmtCount(r.outcomes.abandoned_queue) });
    }
    if (spec.key === "response_rate") s.sub = t("sup.ratedOfOffered", { rated: fmtCount(r.csat.rated), offered: fmtCount(r.csat.offered) });
    if (spec.key === "resolved_rate") s.sub = t("sup.resolvedOfAnswered", { n: fmtCount(r.resolved.resolved), of: fmtCount(r.resolved.answered) });
    if (spec.key === "csat_average") s.sub = t("sup.ratings", { n: fmtCount(r.csat.count) });
    if (spec.key === "fallback_rate") s.sub = t("sup.fallbackTurns", { n: fmtCount(r.fallback.fallback_turns), of: fmtCount(r.fallback.customer_turns) });
    var decided = r.decisions || {};
    if (spec.key === "declined_rate") s.sub = t("sup.decisionTurns", { n: fmtCount(decided.declined), of: fmtCount(decided.customer_turns) });
    if (spec.key === "clarification_rate") s.sub = t("sup.decisionTurns", { n: fmtCount(decided.clarified), of: fmtCount(decided.customer_turns) });
    if (spec.key === "helpfulness_rate") s.sub = t("sup.helpfulVotes", { up: fmtCount((r.helpfulness || {}).helpful), down: fmtCount((r.helpfulness || {}).unhelpful) });
    ui.kpis.appendChild(kpi(s, spec.get(r), prev.conversations ? spec.get(prev) : undefined, deltas[spec.key]));
  });

  // conversations per day, this period against the previous one (aligned day by day)
  var days = r.conversations.per_day || [];
  var before = (prev.conversations && prev.conversations.per_day) || [];
  fill("card-conversations", [
    cardHead(t("sup.c.perDay"), howText.conversations),
    Charts.line({
      title: t("sup.c.perDay"),
      labels: days.map(function (d) {
        return d.date;
      }),
      labelHeading: t("sup.date"),
      series: [
        { name: t("sup.thisPeriod"), values: days.map(function (d) { return d.count; }), className: "chart-s0" },
        { name: t("sup.previousPeriod"), values: before.map(function (d) { return d.count; }), className: "chart-prev", dashed: true },
      ],
      format: fmtCount,
      emptyText: t("sup.noData"),
    }),
  ]);

  // outcomes: containment, escalation and abandonment (abandoned shown apart)
  var o = r.outcomes;
  fill("card-outcomes", [
    cardHead(t("sup.c.outcomes"), howText.outcomes),
    Charts.bars({
      title: t("sup.c.outcomes"),
      name: t("sup.k.conversations"),
      labels: OUTCOMES.map(function (k) {
        return label("outcome", k);
      }),
      values: OUTCOMES.map(function (k) {
        return o[k];
      }),
      classes: OUTCOMES.map(function (k) {
        return "bar--" + k;
      }),
      labelHeading: t("sup.outcome"),
      format: fmtCount,
      emptyText: t("sup.noData"),
    }),
    h("dl", { class: "stats" }, [
      stat(t("sup.k.containment"), fmtRate(o.containment_rate)),
      stat(t("sup.escalationRate"), fmtRate(o.escalation_rate)),
      stat(t("sup.abandonedApart"), fmtCount(o.abandoned) + " (" + fmtRate(o.abandonment_rate) + ")"),
    ]),
    decisionsBlock(r.decisions, howText.decisions),
  ]);

  var reasons = Object.keys(r.handoffs.by_reason || {});
  fill("card-handoffs", [
    cardHead(t("sup.c.handoffs"), howText.handoffs, h("span", { class: "muted small", text: t("sup.totalN", { n: fmtCount(r.handoffs.total) }) })),
    reasons.length
      ? Charts.bars({
          title: t("sup.c.handoffs"),
          name: t("sup.k.handoffs"),
          labels: reasons.map(function (k) {
            return label("reason", k);
          }),
          values: reasons.map(function (k) {
            return r.handoffs.by_reason[k];
          }),
          className: "chart-s1",
          labelHeading: t("reason"),
          format: fmtCount,
        })
      : h("p", { class: "empty", text: t("sup.noHandoffs") }),
  ]);

  var dist = r.csat.distribution || {};
  fill("card-csat", [
    cardHead(t("sup.c.csat"), howText.csat),
    Charts.histogram({
      title: t("sup.c.csatDistribution"),
      name: t("sup.ratingsCount"),
      labels: ["1", "2", "3", "4", "5"],
      values: ["1", "2", "3", "4", "5"].map(function (k) {
        return dist[k] || 0;
      }),
      classes: ["bar--bad", "bar--bad", "bar--mid", "bar--good", "bar--good"],
      labelHeading: t("sup.score"),
      format: fmtCount,
      emptyText: t("sup.noRatings"),
    }),
    h("dl", { class: "stats" }, [
      stat(t("sup.k.csat"), fmtAvg(r.csat.average)),
      stat(t("sup.k.satisfaction"), fmtRate(r.csat.satisfaction_rate)),
      stat(t("sup.k.responseRate"), fmtRate(r.csat.response_rate)),
      stat(t("sup.k.resolved"), fmtRate(r.resolved.rate), howText.resolved),
    ]),
  ]);

  var times = r.times;
  var prevTimes = prev.times || {};
  fill("card-times", [
    cardHead(t("sup.c.times"), howText.times),
    table(
      [{ label: t("sup.clock") }, { label: t("sup.count"), cls: "num" }, { label: "p50", cls: "num" }, { label: "p90", cls: "num" }, { label: t("sup.avg"), cls: "num" }, { label: t("sup.prevP50"), cls: "num" }],
      ["first_response", "next_response", "resolution"].map(function (k) {
        var d = times[k] || {};
        return [label("clock", k), fmtCount(d.count), fmtMinutes(d.p50), fmtMinutes(d.p90), fmtMinutes(d.avg), fmtMinutes((prevTimes[k] || {}).p50)];
      }),
      null,
      t("sup.c.times")
    ),
    h("p", { class: "muted small", text: t("sup.businessMinutes") }),
  ]);

  var sla = r.sla;
  var clocks = Object.keys(sla.by_clock || {});
  fill("card-sla", [
    cardHead(t("sup.c.sla"), howText.sla),
    h("dl", { class: "stats" }, [
      stat(t("sup.breachedTickets"), fmtCount(sla.breached_tickets)),
      stat(t("sup.breachRate"), fmtRate(sla.breach_rate)),
      stat(t("sup.ticketsCreated"), fmtCount(sla.tickets_created)),
    ]),
    clocks.length
      ? Charts.bars({
          title: t("sup.breachesByClock"),
          name: t("sup.breaches"),
          labels: clocks.map(function (c) {
            return label("clock", c);
          }),
          values: clocks.map(function (c) {
            return sla.by_clock[c];
          }),
          className: "chart-bad",
          labelHeading: t("sup.clock"),
          format: fmtCount,
        })
      : h("p", { class: "empty", text: t("sup.noBreaches") }),
  ]);

  fill("card-intents", [
    cardHead(t("sup.c.intents"), howText.top_intents),
    h("p", { class: "muted small" }, [t("sup.fallbackLine", { rate: fmtRate(r.fallback.rate), n: fmtCount(r.fallback.fallback_turns), of: fmtCount(r.fallback.customer_turns) }), how(howText.fallback)]),
    table(
      [{ label: t("sup.intent") }, { label: t("sup.count"), cls: "num" }, { label: t("sup.share"), cls: "num" }],
      (r.top_intents || []).map(function (i) {
        return [intentLink(i.intent), fmtCount(i.count), fmtRate(i.share)];
      }),
      t("sup.noIntents"),
      t("sup.c.intents")
    ),
  ]);

  fill("card-faq", [
    cardHead(t("sup.c.faq"), howText.faq_topics),
    table(
      [{ label: t("sup.topic") }, { label: t("sup.count"), cls: "num" }],
      (r.faq_topics || []).map(function (i) {
        return [intentLink(i.intent, i.topic), fmtCount(i.count)];
      }),
      t("sup.noFaq"),
      t("sup.c.faq")
    ),
  ]);

  var csatCols = function (first) {
    return [{ label: first }, { label: t("sup.ratingsCount"), cls: "num" }, { label: t("sup.avg"), cls: "num" }, { label: t("sup.k.satisfaction"), cls: "num" }];
  };
  var csatRow = function (name, b) {
    return [name, fmtCount(b.count), fmtAvg(b.average), fmtRate(b.satisfaction_rate)];
  };
  fill("card-csat-agent", [
    cardHead(t("sup.c.csatAgent"), howText.csat),
    table(csatCols(t("agent")), (r.csat.by_agent || []).map(function (b) {
      return csatRow(b.agent.name || "#" + b.agent.id, b);
    }), t("sup.noRatings"), t("sup.c.csatAgent")),
  ]);
  fill("card-csat-team", [
    cardHead(t("sup.c.csatTeam"), howText.csat),
    table(csatCols(t("team")), (r.csat.by_team || []).map(function (b) {
      return csatRow(b.team ? b.team.name || b.team.key : DASH, b);
    }), t("sup.noRatings"), t("sup.c.csatTeam")),
  ]);
  fill("card-csat-category", [
    cardHead(t("sup.c.csatCategory"), howText.csat),
    table(csatCols(t("category")), (r.csat.by_category || []).map(function (b) {
      return csatRow(categoryLabel(b.category), b);
    }), t("sup.noRatings"), t("sup.c.csatCategory")),
  ]);
}

/** What the assistant did with the customer turns: answered / clarified / declined / handed off. */
function decisionsBlock(d, howText) {
  if (!d) return null;
  var total = d.customer_turns || 0;
  return h("section", { class: "decisions", id: "decisions", "aria-label": t("sup.c.decisions") }, [
    h("div", { class: "card-head" }, [h("h3", { text: t("sup.c.decisions") }), how(howText), h("span", { class: "muted small", text: t("sup.totalN", { n: fmtCount(total) }) })]),
    h(
      "dl",
      { class: "stats" },
      DECISIONS.map(function (k) {
        var n = d[k] || 0;
        return h("div", { class: "stat", "data-decision": k, "data-value": String(n) }, [
          h("dt", { text: label("decision", k) }),
          h("dd", { text: fmtCount(n) + (total ? " (" + fmtRate(n / total) + ")" : "") }),
        ]);
      })
    ),
  ]);
}

export function fill(id, children) {
  appendAll(clear($(id)), children);
}

export function categoryLabel(value) {
  return STRINGS["complaintCategory." + value] != null ? STRINGS["complaintCategory." + value] : String(value == null ? DASH : value);
}

/** An intent that opens the transcripts where customers said it. */
function intentLink(intent, text) {
  return h("a", {
    href: "#transcripts",
    class: "mono",
    text: text || intent,
    title: t("sup.showTranscriptsWith", { intent: intent }),
    onclick: function (event) {
      event.preventDefault();
      resetFilters();
      $("f-intent").value = intent;
      openFiltered();
    },
  });
}

/** The transcripts tab with the filters just set (loaded once, not twice). */
export function openFiltered() {
  state.page = 1;
  state.loaded.transcripts = periodKey();
  selectTab("transcripts");
  loadConversations();
}

function addIntentOptions(report) {
  var list = $("intent-options");
  var seen = {};
  Array.prototype.forEach.call(list.options, function (o) {
    seen[o.value] = true;
  });
  (report.top_intents || []).concat(report.faq_topics || []).concat([{ intent: "nlu_fallback" }]).forEach(function (i) {
    if (!seen[i.intent]) {
      seen[i.intent] = true;
      list.appendChild(h("option", { value: i.intent }));
    }
    if (!NOT_LABELS[i.intent]) addLabelOption(i.intent);
  });
  var categories = $("category-options");
  var known = {};
  Array.prototype.forEach.call(categories.options, function (o) {
    known[o.value] = true;
  });
  COMPLAINT_CATEGORIES.concat(
    (report.csat.by_category || []).map(function (b) {
      return b.category;
    })
  ).forEach(function (c) {
    if (c && !known[c]) {
      known[c] = true;
      categories.appendChild(h("option", { value: c, label: categoryLabel(c) }));
    }
  });
}
