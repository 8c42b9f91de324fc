/*
 * Supervisor console (/supervisor): dashboard, transcripts, complaint and satisfaction
 * reports, agent performance, the NLU review loop and improvement actions.
 *
 * Plain JavaScript (ES2017), no dependencies and no build step; charts are inline SVG drawn by
 * charts.js, and the helpers and the API client it shares with the agent console are in
 * console-common.js (both loaded before it). It reads the supervisor API (GET /api/reports/*,
 * /api/conversations, /api/nlu/*, /api/improvement-actions; session cookie, every write with
 * the X-CSRF-Token header) and keeps the live queue figures current through the agent
 * WebSocket (/api/agent/ws), polling GET /api/queue every 10 s while the socket is down.
 *
 * Every visible string comes from the page's translation table (#console-data, built by
 * ticketing/web/console_pages.py); text from customers, staff and the API is only ever inserted
 * with textContent / text nodes, never as HTML.
 */
(function () {
  "use strict";

  // ---------------------------------------------------------------------------------------
  // Configuration and translations
  // ---------------------------------------------------------------------------------------

  var HC = window.HelpdeskConsole; // console-common.js, loaded first
  var i18n = HC.localize(HC.readConfig());
  var LOCALE = i18n.locale;
  var STRINGS = i18n.strings;
  var t = i18n.t;
  var label = i18n.label;
  var Charts = window.Charts;

  var LIVE_POLL_MS = 10000;
  var WS_BACKOFF_MIN_MS = 1000;
  var WS_BACKOFF_MAX_MS = 30000;
  var PER_PAGE = 25;
  var REVIEW_LIMIT = 100;
  var PERIOD_KEY = "hd-supervisor-period";
  var TABS = ["dashboard", "transcripts", "complaints", "satisfaction", "agents", "improve", "actions"];
  var OUTCOMES = ["contained", "escalated", "abandoned_bot", "abandoned_queue", "ongoing"];
  var DECISIONS = ["answered", "clarified", "declined", "handed_off"];
  var DECISION_BADGE = { answered: "badge--ok", clarified: "badge--warn", declined: "badge--bad", handed_off: "badge--warn" };
  var REVIEW_WHY = ["declined", "unhelpful", "fallback", "low_confidence"];
  var DIMENSIONS = ["speed", "problem_solving", "attitude"];
  var COMPLAINT_CATEGORIES = ["quality", "promise_not_kept", "need_not_met", "staff_attitude", "other"];
  var ACTION_STATUSES = ["open", "in_progress", "done", "cancelled"];
  var NOT_LABELS = { nlu_fallback: true, none: true, faq: true };
  var FILTERS = ["q", "from", "to", "status", "contained", "reason", "agent", "team", "category", "priority", "csat", "intent", "fallback"];
  var LIVE_EVENTS = { queue_changed: true, sla: true, agents_changed: true, assigned: true, ticket_changed: true, customer_message: true };

  // ---------------------------------------------------------------------------------------
  // Small helpers
  // ---------------------------------------------------------------------------------------

  var $ = HC.$;
  var h = HC.h;
  var appendAll = HC.appendAll;
  var clear = HC.clear;
  var parseTime = HC.parseTime;
  var timeShort = i18n.timeShort;
  var timeFull = i18n.timeFull;
  var duration = i18n.duration;
  var customerName = i18n.customerName;

  function isNumber(v) {
    return typeof v === "number" && isFinite(v);
  }

  var DASH = "\u2014";

  function fmtCount(v) {
    return isNumber(v) ? v.toLocaleString(LOCALE) : DASH;
  }

  function fmtRate(v) {
    return isNumber(v) ? (v * 100).toFixed(1) + "\u00a0%" : DASH;
  }

  function fmtAvg(v) {
    return isNumber(v) ? v.toFixed(2) : DASH;
  }

  function fmtScore(v) {
    return isNumber(v) ? v.toFixed(1) : DASH;
  }

  function fmtSlope(v) {
    var text = Math.abs(v).toFixed(2);
    return (v < 0 && text !== "0.00" ? "\u2212" : v > 0 && text !== "0.00" ? "+" : "") + text;
  }

  function fmtR(v) {
    return isNumber(v) ? (v >= 0 ? "+" : "\u2212") + Math.abs(v).toFixed(2) : DASH;
  }

  /** Business minutes as "42 min" or "3 h 05 min". */
  function fmtMinutes(v) {
    if (!isNumber(v)) return DASH;
    var sign = v < 0 ? "\u2212" : "";
    v = Math.abs(v);
    if (v < 60) return sign + t("sup.minutes", { m: v < 10 ? Math.round(v * 10) / 10 : Math.round(v) });
    var hours = Math.floor(v / 60);
    var minutes = Math.round(v - hours * 60);
    if (minutes === 60) {
      hours += 1;
      minutes = 0;
    }
    return sign + t("sup.hoursMinutes", { h: hours, m: minutes < 10 ? "0" + minutes : minutes });
  }

  var FORMATS = { count: fmtCount, rate: fmtRate, avg: fmtAvg, minutes: fmtMinutes, score: fmtScore };

  function dateTime(iso) {
    var ms = parseTime(iso);
    if (ms == null) return "";
    return new Date(ms).toLocaleString(LOCALE, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  }

  function timeNode(iso, text) {
    return h("time", { datetime: iso || "", title: timeFull(iso), text: text != null ? text : dateTime(iso) });
  }

  /** ISO date (YYYY-MM-DD) arithmetic in UTC, so no time zone shifts the day. */
  function addDays(iso, days) {
    var d = new Date(iso + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + days);
    return d.toISOString().slice(0, 10);
  }

  function localToday() {
    var d = new Date();
    var pad = function (n) {
      return n < 10 ? "0" + n : String(n);
    };
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  }

  /** Today's date in the shop's time zone (the reports' days), else the browser's. */
  function todayIn(timeZone) {
    try {
      var parts = {};
      new Intl.DateTimeFormat("en-US", { timeZone: timeZone, year: "numeric", month: "2-digit", day: "2-digit" })
        .formatToParts(new Date())
        .forEach(function (p) {
          parts[p.type] = p.value;
        });
      return parts.year + "-" + parts.month + "-" + parts.day;
    } catch (e) {
      return localToday();
    }
  }

  function validDate(value) {
    return /^\d{4}-\d{2}-\d{2}$/.test(value || "") && !isNaN(Date.parse(value + "T00:00:00Z"));
  }

  function query(params) {
    var parts = [];
    Object.keys(params).forEach(function (name) {
      var value = params[name];
      if (value == null || value === "") return;
      parts.push(encodeURIComponent(name) + "=" + encodeURIComponent(value));
    });
    return parts.length ? "?" + parts.join("&") : "";
  }

  function safeHref(value) {
    if (!value) return null;
    if (/^(#|\/(?!\/))/.test(value)) return value;
    try {
      var url = new URL(value);
      if (url.protocol === "http:" || url.protocol === "https:") return url.href;
    } catch (e) {
      /* not a URL: shown as text */
    }
    return null;
  }

  function load(key) {
    try {
      return JSON.parse(window.sessionStorage.getItem(key));
    } catch (e) {
      return null;
    }
  }

  function save(key, value) {
    try {
      window.sessionStorage.setItem(key, JSON.stringify(value));
    } catch (e) {
      /* storage disabled: the period just resets on reload */
    }
  }

  // ---------------------------------------------------------------------------------------
  // State
  // ---------------------------------------------------------------------------------------

  var state = {
    me: null,
    csrf: null,
    tab: "dashboard",
    period: null, // {from, to}
    today: null, // the shop's local date (from the first summary), else the browser's
    group: "week",
    loaded: {}, // tab -> the period key it shows
    seq: {}, // report -> request counter (a late answer never overwrites a newer one)
    summary: null,
    filters: {},
    page: 1,
    conversations: null,
    openSession: null,
    agents: null,
    teams: null,
    review: null,
    reviewLimit: REVIEW_LIMIT,
    labelOptions: {}, // label -> true (the labels the API accepts, as far as known)
    actions: null,
    ws: null,
    wsLive: false,
    wsAttempts: 0,
    wsTimer: null,
    pollTimer: null,
    liveTimer: null,
    live: null,
    leaving: false,
  };

  // ---------------------------------------------------------------------------------------
  // HTTP (the client is in console-common.js)
  // ---------------------------------------------------------------------------------------

  var client = HC.createApi({
    state: state,
    t: t,
    loginNext: function () {
      return "/supervisor";
    },
  });
  var api = client.api;
  var goToLogin = client.goToLogin;
  var refreshMe = client.refreshMe;

  // ---------------------------------------------------------------------------------------
  // DOM references (the skeleton is in templates/supervisor.html)
  // ---------------------------------------------------------------------------------------

  var ui = {
    connection: $("connection-state"),
    signOut: $("sign-out"),
    periodForm: $("period-form"),
    from: $("period-from"),
    to: $("period-to"),
    group: $("period-group"),
    compare: $("period-compare"),
    liveQueue: $("live-queue"),
    liveOldest: $("live-oldest"),
    liveAgents: $("live-agents"),
    kpis: $("kpis"),
    filterForm: $("filter-form"),
    convRows: $("conv-rows"),
    convCount: $("conv-count"),
    pagePrev: $("page-prev"),
    pageNext: $("page-next"),
    pageInfo: $("page-info"),
    detail: $("conv-detail"),
    complaints: $("complaints-body"),
    satisfaction: $("satisfaction-body"),
    agents: $("agents-body"),
    reviewForm: $("review-form"),
    threshold: $("review-threshold"),
    reviewGroups: $("review-groups"),
    reviewSummary: $("review-summary"),
    reviewMore: $("review-more"),
    labelList: $("label-list"),
    labelOptions: $("label-options"),
    exportLink: $("nlu-export"),
    exportOnlyNew: $("export-only-new"),
    actionList: $("action-list"),
    actionsSummary: $("actions-summary"),
    actionForm: $("action-form"),
    actionError: $("action-error"),
    toast: $("toast"),
  };

  // ---------------------------------------------------------------------------------------
  // Notices and report status lines
  // ---------------------------------------------------------------------------------------

  var notices = HC.createToast(ui.toast, 4000);
  var toast = notices.toast;
  var showError = notices.showError;

  function status(report, text, isError) {
    var node = document.querySelector('[data-status-for="' + report + '"]');
    if (!node) return;
    node.textContent = text || "";
    node.className = "report-status" + (isError ? " report-status--error" : "") + (text ? "" : " is-empty");
  }

  /** Runs a report request; only the newest answer of each report is rendered. */
  function fetchReport(report, path, render) {
    var seq = (state.seq[report] = (state.seq[report] || 0) + 1);
    status(report, t("loading"));
    return api("GET", path)
      .then(function (data) {
        if (seq !== state.seq[report]) return null;
        status(report, "");
        render(data);
        return data;
      })
      .catch(function (error) {
        if (seq !== state.seq[report]) return null;
        status(report, t("sup.loadFailed", { message: error.message }), true);
        return null;
      });
  }

  // ---------------------------------------------------------------------------------------
  // "How computed" notes, figures and deltas
  // ---------------------------------------------------------------------------------------

  var howSeq = 0;

  /** A small ⓘ button; the explanation shows on hover and keyboard focus (and on click). */
  function how(text) {
    if (!text) return null;
    var id = "how-" + ++howSeq;
    var wrap = h("span", { class: "how" });
    var button = h("button", {
      type: "button",
      class: "how-btn",
      "aria-label": t("sup.howComputed"),
      "aria-describedby": id,
      "aria-expanded": "false",
      text: "i",
      onclick: function () {
        var open = !wrap.classList.contains("is-open");
        wrap.classList.toggle("is-open", open);
        button.setAttribute("aria-expanded", String(open));
      },
      onkeydown: function (event) {
        if (event.key === "Escape") {
          wrap.classList.remove("is-open");
          button.setAttribute("aria-expanded", "false");
          button.blur();
        }
      },
    });
    var place = function () {
      var box = button.getBoundingClientRect();
      wrap.classList.toggle("how--end", box.left > window.innerWidth / 2);
    };
    button.addEventListener("mouseenter", place);
    button.addEventListener("focus", place);
    wrap.appendChild(button);
    wrap.appendChild(h("span", { role: "tooltip", id: id, class: "how-tip", text: text }));
    return wrap;
  }

  function direction(change) {
    if (!isNumber(change) || Math.abs(change) < 1e-9) return "flat";
    return change > 0 ? "up" : "down";
  }

  /** "▲ 3.2 pp" / "▼ 5 min" / "▲ 12 (+8.0 %)", coloured by whether the change is good. */
  function deltaNode(delta, kind, better, previousText) {
    delta = delta || {};
    var dir = direction(delta.change);
    var quality = "neutral";
    if (better && dir !== "flat") quality = dir === better ? "good" : "bad";
    if (dir === "flat") quality = "flat";
    var arrow = dir === "up" ? "\u25b2" : dir === "down" ? "\u25bc" : "\u25ac";
    var text;
    if (!isNumber(delta.change)) {
      text = t("sup.noComparison");
      quality = "none";
    } else if (kind === "rate") {
      text = arrow + " " + t("sup.pp", { n: Math.abs(delta.change * 100).toFixed(1) });
    } else if (kind === "minutes") {
      text = arrow + " " + fmtMinutes(Math.abs(delta.change));
    } else if (kind === "avg") {
      text = arrow + " " + Math.abs(delta.change).toFixed(2);
    } else {
      text = arrow + " " + fmtCount(Math.abs(delta.change));
      if (isNumber(delta.relative)) text += " (" + (delta.relative >= 0 ? "+" : "\u2212") + Math.abs(delta.relative * 100).toFixed(1) + "\u00a0%)";
    }
    var title = t("sup.previousValue", { value: previousText });
    return h("span", { class: "delta delta--" + quality, "data-direction": dir, title: title }, [
      h("span", { "aria-hidden": "true", text: text }),
      h("span", { class: "sr-only", text: t("sup.deltaSr", { change: text.replace(/^[\u25b2\u25bc\u25ac] /, dir === "up" ? "+" : dir === "down" ? "\u2212" : ""), previous: previousText, quality: t("sup.quality." + quality) }) }),
    ]);
  }

  /** One headline figure: label + ⓘ, value, change against the previous period. */
  function kpi(spec, value, previous, delta) {
    var format = FORMATS[spec.kind] || fmtCount;
    var card = h("article", { class: "kpi", id: "kpi-" + spec.key, "data-key": spec.key }, [
      h("div", { class: "kpi-label" }, [h("span", { text: t(spec.label) }), how(spec.how)]),
      h("p", { class: "kpi-value", "data-value": isNumber(value) ? String(value) : "", text: format(value) }),
    ]);
    if (previous !== undefined) {
      card.appendChild(h("p", { class: "kpi-delta" }, [deltaNode(delta || { change: isNumber(value) && isNumber(previous) ? value - previous : null }, spec.kind, spec.better, format(previous))]));
      if (isNumber(previous)) card.appendChild(h("p", { class: "kpi-prev muted small", text: t("sup.previousValue", { value: format(previous) }) }));
    }
    if (spec.sub) card.appendChild(h("p", { class: "kpi-sub muted small", text: spec.sub }));
    return card;
  }

  function cardHead(title, howText, extra) {
    return h("div", { class: "card-head" }, [h("h2", { text: title }), how(howText), extra || null]);
  }

  /** A data table: columns [{label, how?, cls?}], rows of cells (strings or nodes). */
  function table(columns, rows, emptyText, caption) {
    if (!rows.length) return h("p", { class: "empty", text: emptyText || t("sup.noData") });
    return h("div", { class: "table-wrap" }, [
      h("table", { class: "data" }, [
        caption ? h("caption", { class: "sr-only", text: caption }) : null,
        h("thead", {}, [
          h(
            "tr",
            {},
            columns.map(function (col) {
              return h("th", { scope: "col", class: col.cls || null }, [col.label, how(col.how)]);
            })
          ),
        ]),
        h(
          "tbody",
          {},
          rows.map(function (cells) {
            return h(
              "tr",
              {},
              cells.map(function (cell, i) {
                var cls = columns[i] && columns[i].cls;
                if (i === 0 && columns[i] && columns[i].rowHeader !== false) return h("th", { scope: "row", class: cls || null }, [cell]);
                return h("td", { class: cls || null }, [cell]);
              })
            );
          })
        ),
      ]),
    ]);
  }

  function stat(name, value, howText) {
    return h("div", { class: "stat" }, [h("dt", {}, [name, how(howText)]), h("dd", { text: value })]);
  }

  // ---------------------------------------------------------------------------------------
  // Period
  // ---------------------------------------------------------------------------------------

  function periodParams(extra) {
    var params = { from: state.period && state.period.from, to: state.period && state.period.to };
    Object.keys(extra || {}).forEach(function (k) {
      params[k] = extra[k];
    });
    return params;
  }

  function periodKey() {
    return state.period ? state.period.from + ".." + state.period.to + "/" + state.group : "default";
  }

  function setPeriod(from, to, reason) {
    if (!validDate(from) || !validDate(to)) {
      toast(t("sup.badPeriod"), "error");
      return;
    }
    if (from > to) {
      var swap = from;
      from = to;
      to = swap;
    }
    state.period = { from: from, to: to };
    save(PERIOD_KEY, state.period);
    ui.from.value = from;
    ui.to.value = to;
    var days = Math.round((Date.parse(to + "T00:00:00Z") - Date.parse(from + "T00:00:00Z")) / 86400000) + 1;
    ui.compare.textContent = t("sup.comparedWith", { from: addDays(from, -days), to: addDays(to, -days), days: days });
    // The transcript filters follow the period until the supervisor changes them.
    $("f-from").value = from;
    $("f-to").value = to;
    updateExportLinks();
    state.loaded = {};
    if (reason !== "init") {
      state.page = 1;
      state.reviewLimit = REVIEW_LIMIT;
      loadTab(state.tab);
    }
  }

  function applyPreset(preset) {
    var today = state.today || localToday();
    if (preset === "month") setPeriod(today.slice(0, 8) + "01", today);
    else setPeriod(addDays(today, -(parseInt(preset, 10) - 1)), today);
  }

  function updateExportLinks() {
    var p = periodParams();
    var g = periodParams({ group: state.group });
    $("csv-summary").href = "/api/reports/summary.csv" + query(p);
    $("csv-tickets").href = "/api/tickets.csv" + query(p);
    $("csv-complaints").href = "/api/reports/complaints.csv" + query(g);
    $("csv-complaint-tickets").href = "/api/tickets.csv" + query(periodParams({ kind: "complaint" }));
    $("csv-satisfaction").href = "/api/reports/satisfaction.csv" + query(g);
    $("csv-agents").href = "/api/reports/agents.csv" + query(p);
    $("csv-conversations").href = "/api/conversations.csv" + query(currentFilters());
    ui.exportLink.href = "/api/nlu/export?mark=true" + (ui.exportOnlyNew.checked ? "&only_new=true" : "");
  }

  // ---------------------------------------------------------------------------------------
  // Tabs and the address (#tab, #tab&from=..&to=.., #transcript=SESSION)
  // ---------------------------------------------------------------------------------------

  function selectTab(tab, opts) {
    if (TABS.indexOf(tab) < 0) tab = "dashboard";
    state.tab = tab;
    TABS.forEach(function (name) {
      var button = $("tab-" + name);
      var selected = name === tab;
      button.setAttribute("aria-selected", String(selected));
      button.tabIndex = selected ? 0 : -1;
      $("panel-" + name).hidden = !selected;
    });
    if (!(opts && opts.keepHash)) {
      var hash = "#" + tab;
      if (window.location.hash !== hash) history.replaceState(null, "", hash);
    }
    if (opts && opts.focus) $("tab-" + tab).focus();
    loadTab(tab);
  }

  function loadTab(tab) {
    var key = periodKey();
    if (tab === "transcripts") {
      loadPeople();
      if (state.loaded.transcripts !== key) {
        state.loaded.transcripts = key;
        loadConversations();
      }
      return;
    }
    if (tab === "actions") {
      loadActions();
      return;
    }
    if (state.loaded[tab] === key) return;
    state.loaded[tab] = key;
    if (tab === "dashboard") loadSummary();
    else if (tab === "complaints") loadComplaints();
    else if (tab === "satisfaction") loadSatisfaction();
    else if (tab === "agents") loadAgentsReport();
    else if (tab === "improve") {
      loadReview();
      loadLabels();
    }
  }

  var ALIASES = { "report=summary": "dashboard", "report=dashboard": "dashboard", "report=nlu": "improve" };

  function route() {
    var hash = decodeURIComponent(window.location.hash.replace(/^#/, ""));
    var parts = hash.split("&");
    var head = parts[0];
    if (ALIASES[head]) head = ALIASES[head];
    else if (head.indexOf("report=") === 0) head = head.slice("report=".length);
    var params = {};
    parts.slice(1).forEach(function (part) {
      var i = part.indexOf("=");
      if (i > 0) params[part.slice(0, i)] = part.slice(i + 1);
    });
    if (validDate(params.from) && validDate(params.to)) setPeriod(params.from, params.to, "init");
    if (head.indexOf("transcript=") === 0) {
      selectTab("transcripts", { keepHash: true });
      openConversation(head.slice("transcript=".length));
      return;
    }
    selectTab(TABS.indexOf(head) >= 0 ? head : state.tab, { keepHash: !head });
  }

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

  function loadSummary() {
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

  function fill(id, children) {
    appendAll(clear($(id)), children);
  }

  function categoryLabel(value) {
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
  function openFiltered() {
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

  // ---------------------------------------------------------------------------------------
  // Live queue: the agent WebSocket, polling GET /api/queue while it is down
  // ---------------------------------------------------------------------------------------

  function setConnection(live) {
    if (!ui.connection) return;
    ui.connection.textContent = live ? t("live") : t("sup.livePolling");
    ui.connection.className = "conn " + (live ? "conn--live" : "conn--down");
  }

  function refreshLive() {
    clearTimeout(state.liveTimer);
    state.liveTimer = null;
    return api("GET", "/api/queue")
      .then(function (data) {
        var tickets = data.tickets || [];
        var oldest = null;
        tickets.forEach(function (item) {
          if (!oldest || (parseTime(item.created_at) || 0) < (parseTime(oldest.created_at) || 0)) oldest = item;
        });
        applyLive(
          {
            queue_size: tickets.length,
            capped: tickets.length >= 200,
            agents_online: data.agents_online,
            oldest_waiting: oldest ? { ticket: oldest.number, priority: oldest.priority, waiting_since: oldest.created_at } : null,
          },
          true
        );
      })
      .catch(function () {
        /* the next poll or event tries again */
      });
  }

  /** Debounced: a burst of socket events costs one request. */
  function refreshLiveSoon() {
    if (state.liveTimer) return;
    state.liveTimer = setTimeout(refreshLive, 700);
  }

  function applyLive(live, fresh) {
    if (!live) return;
    if (!fresh && state.live) return; // the queue poll is newer than the summary's snapshot
    state.live = live;
    renderLive();
  }

  function renderLive() {
    var live = state.live;
    if (!live) return;
    ui.liveQueue.textContent = fmtCount(live.queue_size) + (live.capped ? "+" : "");
    ui.liveAgents.textContent = fmtCount(live.agents_online);
    var oldest = live.oldest_waiting;
    clear(ui.liveOldest);
    if (oldest && oldest.waiting_since) {
      var since = parseTime(oldest.waiting_since);
      ui.liveOldest.appendChild(document.createTextNode(duration(Date.now() - since)));
      ui.liveOldest.appendChild(h("span", { class: "muted small", text: " " + t("sup.oldestTicket", { ticket: oldest.ticket || "", priority: oldest.priority || "" }) }));
      ui.liveOldest.title = timeFull(oldest.waiting_since);
    } else {
      ui.liveOldest.textContent = t("sup.nobodyWaiting");
      ui.liveOldest.removeAttribute("title");
    }
    $("live-box").classList.toggle("live-box--busy", live.queue_size > 0);
  }

  function connect() {
    clearTimeout(state.wsTimer);
    state.wsTimer = null;
    if (state.ws || state.leaving) return;
    var ws;
    try {
      ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/agent/ws");
    } catch (e) {
      startPolling();
      scheduleReconnect();
      return;
    }
    state.ws = ws;
    ws.onopen = function () {
      state.wsLive = true;
      state.wsAttempts = 0;
      setConnection(true);
      refreshLive(); // the socket only pushes what happens from now on
    };
    ws.onmessage = function (event) {
      var data;
      try {
        data = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (data && data.type === "sla" && data.change && data.change.state === "breached") {
        toast(t("sup.slaBreachedLive", { ticket: data.change.number || "", clocks: (data.change.clocks || []).map(function (c) { return label("clock", c); }).join(", ") }), "error");
      }
      if (data && LIVE_EVENTS[data.type]) {
        refreshLiveSoon();
        if (data.type === "sla" || data.type === "queue_changed") state.loaded.dashboard = null; // figures changed
      }
    };
    ws.onclose = function () {
      if (state.ws === ws) state.ws = null;
      state.wsLive = false;
      setConnection(false);
      scheduleReconnect();
    };
    ws.onerror = function () {}; // always followed by close
  }

  function scheduleReconnect() {
    if (state.wsTimer || state.leaving) return;
    var delay = Math.min(WS_BACKOFF_MAX_MS, WS_BACKOFF_MIN_MS * Math.pow(2, state.wsAttempts));
    delay *= 0.75 + Math.random() * 0.5;
    state.wsAttempts++;
    state.wsTimer = setTimeout(connect, delay);
  }

  /** Every 10 s: the queue while the socket is down; the waiting time ticks either way. */
  function startPolling() {
    if (state.pollTimer) return;
    state.pollTimer = setInterval(function () {
      if (document.hidden) return;
      if (!state.wsLive) refreshLive();
      else renderLive();
    }, LIVE_POLL_MS);
  }

  // ---------------------------------------------------------------------------------------
  // Transcripts: filters, the list and one transcript
  // ---------------------------------------------------------------------------------------

  function currentFilters() {
    var params = {};
    FILTERS.forEach(function (name) {
      var input = $("f-" + name);
      var value = input ? input.value.trim() : "";
      if (value) params[name] = value;
    });
    return params;
  }

  function resetFilters() {
    FILTERS.forEach(function (name) {
      var input = $("f-" + name);
      if (input) input.value = "";
    });
    if (state.period) {
      $("f-from").value = state.period.from;
      $("f-to").value = state.period.to;
    }
  }

  function loadPeople() {
    if (state.agents) return;
    state.agents = [];
    api("GET", "/api/agents")
      .then(function (data) {
        state.agents = data.agents || [];
        var select = $("f-agent");
        state.agents.forEach(function (a) {
          select.appendChild(h("option", { value: String(a.id), text: a.name + (a.role !== "agent" ? " (" + a.role + ")" : "") }));
        });
      })
      .catch(function () {
        state.agents = null;
      });
    api("GET", "/api/teams")
      .then(function (data) {
        state.teams = data.teams || [];
        var select = $("f-team");
        state.teams.forEach(function (team) {
          select.appendChild(h("option", { value: team.key, text: team.name || team.key }));
        });
      })
      .catch(function () {});
  }

  function loadConversations() {
    var params = currentFilters();
    params.page = state.page;
    params.per_page = PER_PAGE;
    updateExportLinks();
    var seq = (state.seq.conversations = (state.seq.conversations || 0) + 1);
    ui.convCount.textContent = t("loading");
    ui.convCount.className = "conv-count";
    return api("GET", "/api/conversations" + query(params))
      .then(function (data) {
        if (seq !== state.seq.conversations) return;
        state.conversations = data;
        renderConversations(data);
      })
      .catch(function (error) {
        if (seq !== state.seq.conversations) return;
        ui.convCount.textContent = t("sup.loadFailed", { message: error.message });
        ui.convCount.className = "conv-count report-status--error";
      });
  }

  function renderConversations(data) {
    ui.convCount.textContent = t("sup.conversationsFound", { n: fmtCount(data.total) });
    ui.convCount.setAttribute("data-total", String(data.total));
    clear(ui.convRows);
    if (!data.conversations.length) {
      ui.convRows.appendChild(h("tr", {}, [h("td", { colspan: "5", class: "empty", text: t("sup.noConversations") })]));
    }
    data.conversations.forEach(function (c) {
      var outcome;
      if (c.contained) outcome = h("span", { class: "badge badge--ok", text: t("sup.contained") });
      else {
        var ticket = c.ticket || {};
        outcome = h("span", {}, [
          h("span", { class: "badge badge--warn", text: t("sup.escalated") }),
          " ",
          h("span", { class: "small", text: label("reason", c.handoff_reason) }),
          h("div", { class: "conv-ticket" }, [
            ticket.number ? h("span", { class: "muted small mono", text: ticket.number }) : null,
            ticket.priority ? h("span", { class: "prio prio--" + ticket.priority.toLowerCase(), text: ticket.priority }) : null,
            ticket.status ? h("span", { class: "status status--" + ticket.status, text: label("status", ticket.status) }) : null,
          ]),
          ticket.assignee ? h("div", { class: "muted small", text: t("assignedTo", { name: ticket.assignee }) }) : null,
        ]);
      }
      var row = h("tr", { class: "conv-row" + (c.session_id === state.openSession ? " is-active" : ""), "data-session": c.session_id }, [
        h("td", { class: "nowrap" }, [
          h("a", { href: "#transcript=" + encodeURIComponent(c.session_id), class: "conv-link" }, [timeNode(c.created_at)]),
          h("div", { class: "muted small", text: label("conv", c.status) }),
        ]),
        h("td", {}, [h("span", { text: customerName(c.customer) }), c.customer && c.customer.email && c.customer.name ? h("div", { class: "muted small", text: c.customer.email }) : null]),
        h("td", { class: "snippet" }, [
          h("span", { text: c.snippet || DASH }),
          " ",
          h("span", { class: "muted small", text: t("sup.messagesCount", { n: c.message_count }) }),
          c.had_fallback ? h("span", { class: "badge badge--bad", title: t("sup.hadFallbackTitle"), text: t("sup.hadFallback") }) : null,
        ]),
        h("td", {}, [outcome]),
        h("td", { class: "num" }, [c.csat != null ? h("span", { class: "csat csat--" + c.csat, text: String(c.csat) }) : DASH]),
      ]);
      row.addEventListener("click", function (event) {
        if (event.target.closest("a")) event.preventDefault();
        openConversation(c.session_id, true);
      });
      ui.convRows.appendChild(row);
    });
    ui.pageInfo.textContent = t("sup.pageOf", { page: data.page, pages: Math.max(1, data.pages) });
    ui.pagePrev.disabled = data.page <= 1;
    ui.pageNext.disabled = data.page >= data.pages;
  }

  function openConversation(sessionId, setHash) {
    if (!sessionId) return;
    state.openSession = sessionId;
    if (setHash) history.replaceState(null, "", "#transcript=" + encodeURIComponent(sessionId));
    Array.prototype.forEach.call(ui.convRows.querySelectorAll(".conv-row"), function (row) {
      row.classList.toggle("is-active", row.getAttribute("data-session") === sessionId);
    });
    clear(ui.detail).appendChild(h("p", { class: "muted", text: t("loading") }));
    var seq = (state.seq.detail = (state.seq.detail || 0) + 1);
    api("GET", "/api/conversations/" + encodeURIComponent(sessionId))
      .then(function (data) {
        if (seq !== state.seq.detail) return;
        renderDetail(data);
        ui.detail.focus({ preventScroll: true });
      })
      .catch(function (error) {
        if (seq !== state.seq.detail) return;
        clear(ui.detail).appendChild(h("p", { class: "form-error", text: t("sup.loadFailed", { message: error.message }) }));
      });
  }

  function senderName(m, customer) {
    if (m.sender === "customer") return customerName(customer);
    if (m.sender === "bot") return t("bot");
    if (m.sender === "agent") return m.author || t("agent");
    return t("system");
  }

  function nluLine(m) {
    var parts = [];
    if (m.intent) {
      var conf = isNumber(m.confidence) ? m.confidence : null;
      parts.push(
        h("span", { class: "nlu-intent" + (m.intent === "nlu_fallback" || (conf != null && conf < 0.6) ? " nlu-low" : ""), title: t("intent") }, [
          m.intent,
          conf != null ? h("span", { class: "nlu-confidence", text: " " + conf.toFixed(2) }) : null,
        ])
      );
    } else if (m.payload == null) {
      parts.push(h("span", { class: "nlu-none", text: t("sup.noIntent") }));
    }
    (m.entities || []).forEach(function (entity) {
      if (!entity || typeof entity !== "object") return;
      var value = entity.value;
      if (value != null && typeof value === "object") value = JSON.stringify(value);
      parts.push(h("span", { class: "nlu-entity", title: t("entity"), text: (entity.entity || "?") + "=" + value }));
    });
    if (m.emotion) parts.push(h("span", { class: "nlu-emotion", title: t("emotion"), text: label("emotion", m.emotion) }));
    if (m.faq_topic) {
      var faqText = isNumber(m.faq_confidence) ? t("sup.faqTopicConf", { topic: m.faq_topic, c: m.faq_confidence.toFixed(2) }) : t("sup.faqTopicOnly", { topic: m.faq_topic });
      parts.push(h("span", { class: "nlu-faq" + (isNumber(m.faq_confidence) && m.faq_confidence < 0.6 ? " nlu-low" : ""), title: t("sup.faqTopicTitle"), text: faqText }));
    }
    if (isNumber(m.ood_score) || m.ood_reason) {
      var oodParts = [];
      if (isNumber(m.ood_score)) oodParts.push(t("sup.oodScore", { score: fmtR(m.ood_score) }));
      if (m.ood_reason) oodParts.push(label("oodReason", m.ood_reason));
      parts.push(h("span", { class: "nlu-ood" + (m.ood_reason ? " nlu-low" : ""), "data-reason": m.ood_reason || "", title: t("sup.oodTitle"), text: oodParts.join(" \u00b7 ") }));
    }
    if (m.payload && m.payload !== m.text) parts.push(h("span", { class: "nlu-payload", title: t("buttonPayload"), text: m.payload }));
    if (m.decision) parts.unshift(h("span", { class: "badge nlu-decision " + (DECISION_BADGE[m.decision] || ""), "data-decision": m.decision, title: t("sup.decisionTitle"), text: label("decision", m.decision) }));
    return parts.length ? h("div", { class: "nlu" }, parts) : null;
  }

  /** "Was this helpful?" under an answer the customer could rate: 👍, 👎 or not rated. */
  function feedbackLine(m) {
    if (!m.rateable) return null;
    var value = m.helpful === true ? "helpful" : m.helpful === false ? "unhelpful" : "unrated";
    var cls = m.helpful === true ? "badge badge--ok" : m.helpful === false ? "badge badge--bad" : "nlu-none";
    return h("div", { class: "nlu msg-feedback", "data-helpful": value }, [h("span", { class: cls, title: t("sup.feedbackTitle"), text: t("sup.feedback." + value) })]);
  }

  function messageNode(m, customer) {
    return h("li", { class: "msg msg--" + m.sender, "data-id": String(m.id), "data-sender": m.sender }, [
      h("div", { class: "msg-head" }, [h("span", { class: "msg-who", text: senderName(m, customer) }), timeNode(m.created_at, timeShort(m.created_at))]),
      h("div", { class: "msg-text", text: m.text || "" }),
      m.buttons && m.buttons.length
        ? h(
            "div",
            { class: "chips", "aria-label": t("buttonsShown") },
            m.buttons.map(function (b) {
              return h("span", { class: "chip", title: b.payload || "", text: b.title || b.payload || "" });
            })
          )
        : null,
      m.sender === "customer" ? nluLine(m) : null,
      m.sender === "bot" ? feedbackLine(m) : null,
    ]);
  }

  function fact(name, value) {
    if (value == null || value === "") return [];
    return [h("dt", { text: name }), h("dd", {}, [value])];
  }

  function eventSummary(event) {
    var d = event.data || {};
    var clocks = function () {
      return (d.clocks || [])
        .map(function (c) {
          return label("clock", c);
        })
        .join(", ");
    };
    switch (event.kind) {
      case "created":
        return t("ev.created", { reason: label("reason", d.reason), priority: d.priority || "" });
      case "assigned":
        return t("ev.assigned", { name: d.assignee || "", how: label("how", d.how) });
      case "status_changed":
        return t("ev.status", { old: label("status", d.old), new: label("status", d.new) }) + (d.resolution ? " \u2014 " + d.resolution : "");
      case "priority_changed":
        return t("ev.priority", { old: d.old || "", new: d.new || "" });
      case "classified":
        return t("ev.classified", { field: label("fieldName", d.field), value: Array.isArray(d.new) ? d.new.join(", ") : d.new == null ? DASH : String(d.new) });
      case "transferred":
      case "escalated":
        return t("ev." + event.kind) + (d.to_agent ? " \u2192 " + d.to_agent : "");
      case "note":
        return t("ev.note") + ": " + (d.text || "");
      case "message":
        return d.first_response ? t("ev.firstResponse") : t("ev.message");
      case "sla_warning":
      case "sla_breached":
        return t("ev." + event.kind, { clocks: clocks() });
      case "complaint_updated":
        return t("ev.complaint", {
          fields: (d.fields || [])
            .map(function (f) {
              return label("complaintField", f);
            })
            .join(", "),
        });
      case "rating":
        return t("ev.rating") + (d.csat != null ? ": " + d.csat + "/5" : "");
      default:
        return label("ev", event.kind);
    }
  }

  function eventList(events, cls) {
    return h(
      "ol",
      { class: "timeline " + (cls || "") },
      events.map(function (event) {
        return h("li", { class: "tl tl--" + event.kind }, [
          timeNode(event.created_at),
          h("span", { class: "tl-body" }, [h("span", { class: "tl-text", text: eventSummary(event) }), event.actor ? h("span", { class: "tl-actor", text: event.actor }) : null]),
        ]);
      })
    );
  }

  function ticketBlock(ticket) {
    var complaint = ticket.complaint;
    return h("section", { class: "detail-ticket" }, [
      h("div", { class: "panel-head" }, [
        h("h3", { class: "ticket-number mono", text: ticket.number }),
        h("span", { class: "prio prio--" + String(ticket.priority || "").toLowerCase(), text: ticket.priority || "" }),
        h("span", { class: "status status--" + ticket.status, text: label("status", ticket.status) }),
        ticket.breached ? h("span", { class: "flag flag--breached", text: t("breached") }) : null,
        ticket.escalated ? h("span", { class: "flag flag--escalated", text: t("escalated") }) : null,
      ]),
      h("dl", { class: "facts" }, [
        fact(t("kind"), label("kind", ticket.kind)),
        fact(t("reason"), label("reason", ticket.reason)),
        fact(t("category"), ticket.category ? categoryLabel(ticket.category) : null),
        fact(t("team"), ticket.team ? ticket.team.name || ticket.team.key : null),
        fact(t("assignee"), ticket.assignee ? ticket.assignee.name : t("unassigned")),
        fact(t("created"), timeNode(ticket.created_at)),
        fact(t("firstResponse"), ticket.first_response_at ? timeNode(ticket.first_response_at) : null),
        fact(t("resolvedAt"), ticket.resolved_at ? timeNode(ticket.resolved_at) : null),
        fact(t("subject"), ticket.subject),
        fact(t("summary"), ticket.summary),
      ]),
      complaint
        ? h("div", { class: "complaint" }, [
            h("h4", { text: t("complaintRecord") }),
            h("dl", { class: "facts" }, [
              fact(label("complaintField", "category"), categoryLabel(complaint.category)),
              fact(label("complaintField", "stage"), label("stage", complaint.stage)),
              fact(label("complaintField", "description"), complaint.description),
              fact(label("complaintField", "order_number"), complaint.order_number),
              fact(label("complaintField", "root_cause"), complaint.root_cause),
              fact(label("complaintField", "corrective_action"), complaint.corrective_action),
              fact(label("complaintField", "resolution"), complaint.resolution),
              fact(label("complaintField", "satisfaction"), complaint.satisfaction != null ? complaint.satisfaction + "/5" : null),
            ]),
          ])
        : null,
      h("h4", { text: t("sup.slaEvents") }),
      ticket.sla_events && ticket.sla_events.length ? eventList(ticket.sla_events, "timeline--sla") : h("p", { class: "muted small", text: t("sup.noSlaEvents") }),
      h("h4", { text: t("sup.notes") }),
      ticket.notes && ticket.notes.length
        ? h(
            "ol",
            { class: "notes" },
            ticket.notes.map(function (n) {
              return h("li", { class: "note" }, [
                h("div", { class: "msg-head" }, [h("span", { class: "msg-who", text: n.actor || "" }), timeNode(n.created_at)]),
                h("div", { class: "msg-text", text: (n.data && n.data.text) || "" }),
              ]);
            })
          )
        : h("p", { class: "muted small", text: t("sup.noNotes") }),
      h("details", { class: "timeline-box", open: true }, [h("summary", { text: t("timelineCount", { n: (ticket.timeline || []).length }) }), eventList(ticket.timeline || [])]),
    ]);
  }

  function ratingBlock(rating) {
    if (!rating) return h("p", { class: "muted small", text: t("sup.noRating") });
    if (rating.skipped && rating.csat == null) return h("p", { class: "muted small", text: t("ratingSkipped") });
    return h("dl", { class: "facts" }, [
      fact(t("csat"), rating.csat != null ? h("span", {}, [h("span", { class: "stars", "aria-hidden": "true", text: "\u2605".repeat(rating.csat) + "\u2606".repeat(5 - rating.csat) }), " " + rating.csat + "/5"]) : null),
      fact(t("ratingResolved"), rating.resolved == null ? null : rating.resolved ? t("yes") : t("no")),
      DIMENSIONS.map(function (d) {
        return fact(label("ratingPart", d), rating[d] != null ? rating[d] + "/5" : null);
      }),
      fact(t("comment"), rating.comment),
      fact(t("sup.stage"), label("stageOf", rating.stage)),
      fact(t("agent"), rating.agent),
      fact(t("created"), timeNode(rating.created_at)),
    ]);
  }

  function renderDetail(data) {
    var c = data.conversation;
    var link = window.location.origin + "/supervisor#transcript=" + encodeURIComponent(c.session_id);
    var customer = c.customer || {};
    clear(ui.detail);
    ui.detail.appendChild(
      h("header", { class: "detail-head" }, [
        h("div", {}, [
          h("h2", {}, [t("transcript") + " ", h("span", { class: "mono", text: c.session_id })]),
          h("p", { class: "muted small" }, [
            customerName(customer),
            customer.email && customer.name ? " \u00b7 " + customer.email : "",
            " \u00b7 ",
            label("conv", c.status),
            " \u00b7 ",
            timeNode(c.created_at),
            c.locale ? " \u00b7 " + c.locale : "",
          ]),
        ]),
        h("div", { class: "detail-actions" }, [
          h("button", {
            type: "button",
            class: "btn btn--small btn--primary",
            id: "open-action-from-transcript",
            text: t("sup.openAction"),
            onclick: function () {
              openActionForm({ source: link, title: t("sup.actionFromTranscript", { id: c.session_id }) });
            },
          }),
          h("a", { class: "btn btn--small", href: link, text: t("sup.permalink") }),
        ]),
      ])
    );
    var messages = data.messages || [];
    ui.detail.appendChild(
      h("div", { class: "detail-grid" }, [
        h("section", { class: "detail-transcript", "aria-label": t("transcript") }, [
          h(
            "ol",
            { class: "transcript", id: "detail-transcript" },
            messages.map(function (m) {
              return messageNode(m, customer);
            })
          ),
        ]),
        h("aside", { class: "detail-side" }, [
          (data.tickets || []).length
            ? data.tickets.map(ticketBlock)
            : h("p", { class: "muted small", text: t("sup.containedNoTicket") }),
          h("section", { class: "detail-rating" }, [h("h3", { text: t("rating") }), ratingBlock(data.rating)]),
        ]),
      ])
    );
  }

  // ---------------------------------------------------------------------------------------
  // Complaints
  // ---------------------------------------------------------------------------------------

  function loadComplaints() {
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

  // ---------------------------------------------------------------------------------------
  // Satisfaction
  // ---------------------------------------------------------------------------------------

  function loadSatisfaction() {
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

  // ---------------------------------------------------------------------------------------
  // Agents
  // ---------------------------------------------------------------------------------------

  function loadAgentsReport() {
    return fetchReport("agents", "/api/reports/agents" + query(periodParams()), renderAgents);
  }

  function renderAgents(r) {
    var howText = r.how || {};
    var csat = function (block) {
      return block && block.count ? fmtAvg(block.average) + " (" + fmtCount(block.count) + ")" : DASH;
    };
    var p = function (d) {
      return d && d.count ? fmtMinutes(d.p50) + " / " + fmtMinutes(d.p90) : DASH;
    };
    appendAll(clear(ui.agents), [
      h("article", { class: "card", id: "card-agents" }, [
        cardHead(t("sup.c.agents"), null),
        table(
          [
            { label: t("agent") },
            { label: t("sup.chatsHandled"), cls: "num", how: howText.chats_handled },
            { label: t("sup.messagesSent"), cls: "num", how: howText.messages_sent },
            { label: t("sup.ticketsHandled"), cls: "num", how: howText.tickets_handled },
            { label: t("sup.ticketsResolved"), cls: "num", how: howText.tickets_resolved },
            { label: t("sup.firstResponseP"), cls: "num", how: howText.first_response },
            { label: t("sup.nextResponseP"), cls: "num", how: howText.next_response },
            { label: t("sup.resolutionP"), cls: "num", how: howText.resolution },
            { label: t("sup.csatCount"), cls: "num", how: howText.csat },
          ],
          r.agents.map(function (a) {
            return [
              a.agent.name + (a.agent.role && a.agent.role !== "agent" ? " (" + a.agent.role + ")" : ""),
              fmtCount(a.chats_handled),
              fmtCount(a.messages_sent),
              fmtCount(a.tickets_handled),
              fmtCount(a.tickets_resolved),
              p(a.first_response),
              p(a.next_response),
              p(a.resolution),
              csat(a.csat),
            ];
          }),
          t("sup.noAgents"),
          t("sup.c.agents")
        ),
      ]),
      h("article", { class: "card", id: "card-teams" }, [
        cardHead(t("sup.c.teams"), null),
        table(
          [
            { label: t("team") },
            { label: t("sup.chatsHandled"), cls: "num", how: howText.tickets_handled },
            { label: t("sup.ticketsHandled"), cls: "num", how: howText.tickets_handled },
            { label: t("sup.ticketsResolved"), cls: "num", how: howText.tickets_resolved },
            { label: t("sup.firstResponseP"), cls: "num", how: howText.first_response },
            { label: t("sup.resolutionP"), cls: "num", how: howText.resolution },
            { label: t("sup.csatCount"), cls: "num", how: howText.csat },
          ],
          r.teams.map(function (team) {
            return [team.team.name || team.team.key, fmtCount(team.chats_handled), fmtCount(team.tickets_handled), fmtCount(team.tickets_resolved), p(team.first_response), p(team.resolution), csat(team.csat)];
          }),
          t("sup.noTeams"),
          t("sup.c.teams")
        ),
        h("p", { class: "muted small", text: t("sup.pFormat") + " " + t("sup.businessMinutes") }),
      ]),
    ]);
  }

  // ---------------------------------------------------------------------------------------
  // Improve: the NLU review list and labels
  // ---------------------------------------------------------------------------------------

  function addLabelOption(value) {
    if (!value || NOT_LABELS[value] || state.labelOptions[value]) return;
    state.labelOptions[value] = true;
    ui.labelOptions.appendChild(h("option", { value: value }));
  }

  function loadReview() {
    var threshold = parseFloat(ui.threshold.value);
    if (!(threshold >= 0 && threshold <= 1)) threshold = 0.6;
    var params = periodParams({ threshold: threshold, limit: state.reviewLimit });
    return fetchReport("review", "/api/nlu/review" + query(params), renderReview);
  }

  function renderReview(r) {
    state.review = r;
    addLabelOption("out_of_scope");
    (r.allowed_labels || r.labels || []).forEach(addLabelOption); // when the API offers them
    ui.reviewSummary.textContent = t("sup.reviewSummaryWhy", { messages: fmtCount(r.messages), groups: fmtCount(r.groups_total), threshold: r.threshold }) + (r.truncated ? " " + t("sup.reviewTruncated") : "");
    if (r.how) ui.reviewSummary.appendChild(how(r.how));
    clear(ui.reviewGroups);
    if (!r.groups.length) ui.reviewGroups.appendChild(h("li", { class: "empty", text: t("sup.reviewEmpty") }));
    r.groups.forEach(function (group) {
      Object.keys(group.intents || {}).forEach(addLabelOption);
      ui.reviewGroups.appendChild(reviewGroup(group));
    });
    ui.reviewMore.hidden = r.groups_total <= r.groups.length || state.reviewLimit >= 500;
    $("badge-improve").hidden = !r.groups_total;
    $("badge-improve").textContent = r.groups_total ? String(r.groups_total) : "";
  }

  var groupSeq = 0;

  function reviewGroup(group) {
    var id = "rg-" + ++groupSeq;
    var input = h("input", { type: "text", id: id + "-label", list: "label-options", maxlength: "120", autocomplete: "off", placeholder: t("sup.labelPlaceholder") });
    var error = h("p", { class: "form-error", role: "alert", hidden: true });
    var submit = h("button", { type: "submit", class: "btn btn--small btn--primary", text: t("sup.label") });
    var outOfScope = h("button", {
      type: "button",
      class: "btn btn--small",
      text: t("sup.notInScope"),
      onclick: function () {
        send("out_of_scope");
      },
    });
    var item = h("li", { class: "review-group", "data-key": group.key }, [
      h("div", { class: "rg-head" }, [
        h("span", { class: "rg-count", title: t("sup.messagesInGroup"), text: "\u00d7" + group.count }),
        h("strong", { class: "rg-key", text: group.examples[0] || group.key }),
      ]),
      h("p", { class: "muted small" }, [
        t("sup.predicted") + " ",
        Object.keys(group.intents || {}).map(function (intent, i) {
          return [i ? ", " : "", h("span", { class: "mono", text: intent + " (" + group.intents[intent] + ")" })];
        }),
        " \u00b7 " + t("sup.avgConfidence", { c: isNumber(group.avg_confidence) ? group.avg_confidence.toFixed(2) : DASH }),
        " \u00b7 " + t("sup.lastSeen") + " ",
        timeNode(group.last_seen),
      ]),
      whyLine(group.why),
      group.examples.length > 1
        ? h(
            "ul",
            { class: "rg-examples" },
            group.examples.map(function (text) {
              return h("li", { text: text });
            })
          )
        : null,
      group.session_ids && group.session_ids.length
        ? h("p", { class: "small rg-sessions" }, [
            t("sup.seenIn") + " ",
            group.session_ids.map(function (sid, i) {
              return [i ? ", " : "", h("a", { href: "#transcript=" + encodeURIComponent(sid), class: "mono", text: sid.slice(0, 8) })];
            }),
          ])
        : null,
      h(
        "form",
        {
          class: "rg-form",
          novalidate: true,
          onsubmit: function (event) {
            event.preventDefault();
            send(input.value.trim());
          },
        },
        [h("label", { for: id + "-label", text: t("sup.labelAs") }), input, submit, outOfScope, error]
      ),
    ]);

    function send(value) {
      error.hidden = true;
      if (!value) {
        error.textContent = t("sup.labelMissing");
        error.hidden = false;
        input.focus();
        return;
      }
      submit.disabled = outOfScope.disabled = true;
      api("POST", "/api/nlu/labels", { message_ids: group.message_ids, label: value })
        .then(function (data) {
          addLabelOption(value);
          toast(t("sup.labelled", { n: (data.labels || []).length, label: value }));
          item.remove();
          if (!ui.reviewGroups.children.length) ui.reviewGroups.appendChild(h("li", { class: "empty", text: t("sup.reviewEmpty") }));
          loadLabels();
        })
        .catch(function (err) {
          var allowed = (err.details && err.details.allowed) || [];
          allowed.forEach(addLabelOption);
          error.textContent = err.message + (allowed.length ? " " + t("sup.labelHint") : "");
          error.hidden = false;
          input.focus();
        })
        .finally(function () {
          submit.disabled = outOfScope.disabled = false;
        });
    }
    return item;
  }

  /** Why a group is listed: "declined 3 · unhelpful 1 · fallback 2". */
  function whyLine(why) {
    if (!why) return null;
    var keys = REVIEW_WHY.filter(function (k) {
      return why[k];
    }).concat(
      Object.keys(why).filter(function (k) {
        return REVIEW_WHY.indexOf(k) < 0 && why[k];
      })
    );
    if (!keys.length) return null;
    return h("p", { class: "small rg-why" }, [
      t("sup.whyListed") + " ",
      keys.map(function (k, i) {
        return [i ? " \u00b7 " : "", h("span", { class: "rg-why-item", "data-why": k, "data-count": String(why[k]), text: t("sup.whyCount", { label: label("why", k), n: fmtCount(why[k]) }) })];
      }),
    ]);
  }

  function loadLabels() {
    return api("GET", "/api/nlu/labels?per_page=20")
      .then(function (data) {
        clear(ui.labelList);
        var labels = data.labels || [];
        if (!labels.length) ui.labelList.appendChild(h("li", { class: "muted small", text: t("sup.noLabels") }));
        labels.forEach(function (l) {
          addLabelOption(l.label);
          ui.labelList.appendChild(
            h("li", { class: "label-item" }, [
              h("span", { class: "label-text", text: l.text || "#" + l.message_id }),
              h("span", { class: "mono label-name", text: l.label }),
              h("span", { class: "muted small", text: l.exported_at ? t("sup.exported") : t("sup.notExported") }),
              h("button", {
                type: "button",
                class: "btn btn--small btn--ghost",
                text: t("sup.undo"),
                "aria-label": t("sup.undoLabel", { text: l.text || "" }),
                onclick: function () {
                  api("DELETE", "/api/nlu/labels/" + l.id)
                    .then(function () {
                      toast(t("sup.labelRemoved"));
                      loadLabels();
                      loadReview();
                    })
                    .catch(showError);
                },
              }),
            ])
          );
        });
      })
      .catch(function (error) {
        clear(ui.labelList).appendChild(h("li", { class: "form-error", text: error.message }));
      });
  }

  // ---------------------------------------------------------------------------------------
  // Improvement actions
  // ---------------------------------------------------------------------------------------

  function loadActions() {
    if (!$("a-due").value) $("a-due").value = addDays(state.today || localToday(), 14);
    return fetchReport("actions", "/api/improvement-actions", renderActions);
  }

  function renderActions(data) {
    state.actions = data.actions || [];
    var badge = $("badge-actions");
    badge.hidden = !data.overdue;
    badge.textContent = data.overdue ? String(data.overdue) : "";
    badge.className = "tab-badge tab-badge--bad";
    ui.actionsSummary.textContent = t("sup.actionsSummary", {
      n: state.actions.length,
      open: state.actions.filter(function (a) {
        return a.status === "open" || a.status === "in_progress";
      }).length,
      overdue: data.overdue || 0,
    });
    var departments = $("department-options");
    var known = {};
    clear(departments);
    clear(ui.actionList);
    if (!state.actions.length) ui.actionList.appendChild(h("li", { class: "empty", text: t("sup.noActions") }));
    state.actions.forEach(function (a) {
      if (a.department && !known[a.department]) {
        known[a.department] = true;
        departments.appendChild(h("option", { value: a.department }));
      }
      ui.actionList.appendChild(actionItem(a));
    });
  }

  function actionItem(a) {
    var select = h(
      "select",
      { class: "action-status", "aria-label": t("sup.statusOf", { title: a.title }) },
      ACTION_STATUSES.map(function (s) {
        var option = h("option", { value: s, text: label("actionStatus", s) });
        if (s === a.status) option.selected = true;
        return option;
      })
    );
    select.addEventListener("change", function () {
      select.disabled = true;
      api("PATCH", "/api/improvement-actions/" + a.id, { status: select.value })
        .then(function () {
          toast(t("sup.actionUpdated", { title: a.title, status: label("actionStatus", select.value) }));
          loadActions();
        })
        .catch(function (error) {
          showError(error);
          select.value = a.status;
          select.disabled = false;
        });
    });
    var href = safeHref(a.source);
    return h("li", { class: "action action--" + a.status + (a.overdue ? " action--overdue" : ""), "data-id": String(a.id) }, [
      h("div", { class: "action-head" }, [
        h("h3", { class: "action-title", text: a.title }),
        a.overdue ? h("span", { class: "flag flag--breached", text: t("sup.overdue") }) : null,
        h("label", { class: "action-status-label" }, [h("span", { class: "sr-only", text: t("sup.a.status") }), select]),
      ]),
      h("dl", { class: "facts" }, [
        fact(t("sup.a.due"), h("span", { class: a.overdue ? "overdue-date" : "", text: a.due_date })),
        fact(t("sup.a.department"), a.department),
        fact(t("sup.a.owner"), a.owner),
        fact(t("sup.a.description"), a.description),
        fact(t("sup.a.criteria"), a.acceptance_criteria),
        fact(t("sup.sourceShort"), a.source ? (href ? h("a", { href: href, text: a.source }) : a.source) : null),
        fact(t("created"), timeNode(a.created_at)),
        fact(t("sup.doneAt"), a.done_at ? timeNode(a.done_at) : null),
      ]),
    ]);
  }

  function openActionForm(prefill) {
    selectTab("actions");
    ui.actionError.hidden = true;
    if (prefill.source) $("a-source").value = prefill.source;
    if (prefill.title && !$("a-title").value) $("a-title").value = prefill.title;
    $("a-title").focus();
    $("a-title").select();
  }

  function reportSource(tab) {
    var p = state.period || {};
    return window.location.origin + "/supervisor#" + tab + (p.from ? "&from=" + p.from + "&to=" + p.to : "");
  }

  function submitAction(event) {
    event.preventDefault();
    var fields = { title: "a-title", description: "a-description", department: "a-department", owner: "a-owner", due_date: "a-due", acceptance_criteria: "a-criteria", source: "a-source" };
    var body = {};
    var missing = null;
    Object.keys(fields).forEach(function (name) {
      var input = $(fields[name]);
      var value = input.value.trim();
      if (value) body[name] = value;
      else if (input.required && !missing) missing = input;
    });
    if (missing) {
      ui.actionError.textContent = t("sup.required", { field: document.querySelector('label[for="' + missing.id + '"]').textContent.replace(/\s*\*$/, "") });
      ui.actionError.hidden = false;
      missing.focus();
      return;
    }
    ui.actionError.hidden = true;
    $("action-submit").disabled = true;
    api("POST", "/api/improvement-actions", body)
      .then(function (action) {
        ui.actionForm.reset();
        $("a-due").value = addDays(state.today || localToday(), 14);
        toast(t("sup.actionCreated", { title: action.title }));
        loadActions();
      })
      .catch(function (error) {
        ui.actionError.textContent = error.message;
        ui.actionError.hidden = false;
        var field = error.details && error.details.field && fields[error.details.field];
        if (field) $(field).focus();
      })
      .finally(function () {
        $("action-submit").disabled = false;
      });
  }

  // ---------------------------------------------------------------------------------------
  // Sign-out and wiring
  // ---------------------------------------------------------------------------------------

  function signOut() {
    state.leaving = true;
    clearTimeout(state.wsTimer);
    clearInterval(state.pollTimer);
    if (state.ws) {
      state.ws.onclose = null;
      state.ws.close();
    }
    client.logout();
  }

  function wire() {
    if (ui.signOut) ui.signOut.addEventListener("click", signOut);
    ui.periodForm.addEventListener("submit", function (event) {
      event.preventDefault();
      setPeriod(ui.from.value, ui.to.value);
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-preset]"), function (button) {
      button.addEventListener("click", function () {
        applyPreset(button.getAttribute("data-preset"));
      });
    });
    ui.group.addEventListener("change", function () {
      state.group = ui.group.value;
      updateExportLinks();
      state.loaded.complaints = state.loaded.satisfaction = null;
      if (state.tab === "complaints" || state.tab === "satisfaction") loadTab(state.tab);
    });

    var tablist = document.querySelector(".sup-tabs");
    tablist.addEventListener("click", function (event) {
      var button = event.target.closest("[data-tab]");
      if (button) selectTab(button.getAttribute("data-tab"));
    });
    tablist.addEventListener("keydown", function (event) {
      var i = TABS.indexOf(state.tab);
      var next = null;
      if (event.key === "ArrowRight") next = TABS[(i + 1) % TABS.length];
      else if (event.key === "ArrowLeft") next = TABS[(i + TABS.length - 1) % TABS.length];
      else if (event.key === "Home") next = TABS[0];
      else if (event.key === "End") next = TABS[TABS.length - 1];
      if (next) {
        event.preventDefault();
        selectTab(next, { focus: true });
      }
    });
    window.addEventListener("hashchange", route);

    ui.filterForm.addEventListener("submit", function (event) {
      event.preventDefault();
      state.page = 1;
      loadConversations();
    });
    ui.filterForm.addEventListener("change", function (event) {
      if (event.target.tagName === "SELECT" || event.target.type === "date") {
        state.page = 1;
        loadConversations();
      }
    });
    $("filter-reset").addEventListener("click", function () {
      resetFilters();
      state.page = 1;
      loadConversations();
    });
    ui.pagePrev.addEventListener("click", function () {
      if (state.page > 1) {
        state.page--;
        loadConversations();
      }
    });
    ui.pageNext.addEventListener("click", function () {
      state.page++;
      loadConversations();
    });

    ui.reviewForm.addEventListener("submit", function (event) {
      event.preventDefault();
      loadReview();
    });
    ui.reviewMore.addEventListener("click", function () {
      state.reviewLimit = Math.min(500, state.reviewLimit * 2);
      loadReview();
    });
    ui.exportOnlyNew.addEventListener("change", updateExportLinks);
    ui.exportLink.addEventListener("click", function () {
      // the export marks the labels as exported: show that once the download has started
      setTimeout(loadLabels, 1500);
    });

    ui.actionForm.addEventListener("submit", submitAction);
    Array.prototype.forEach.call(document.querySelectorAll("[data-open-action]"), function (button) {
      button.addEventListener("click", function () {
        var tab = button.getAttribute("data-open-action");
        openActionForm({ source: reportSource(tab), title: "" });
      });
    });
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden && !state.wsLive) refreshLive();
    });
  }

  function init() {
    wire();
    setConnection(false);
    client.restoreCsrf(); // refreshMe below asks the hub too
    var saved = load(PERIOD_KEY);
    if (saved && validDate(saved.from) && validDate(saved.to)) setPeriod(saved.from, saved.to, "init");
    else setPeriod(addDays(localToday(), -6), localToday(), "init");
    refreshMe()
      .then(function () {
        route();
        refreshLive();
        connect();
        startPolling();
      })
      .catch(function (error) {
        if (error.status === 401) goToLogin();
        else showError(error);
      });
  }

  init();
})();
