/*
 * Supervisor console (/supervisor): dashboard, transcripts, complaint and satisfaction
 * reports, agent performance, the NLU review loop, improvement actions and the help-centre
 * editor. This module holds what every part shares: configuration and translations,
 * formatting helpers, the page's state, the API client, the DOM references and the notices.
 * One module per tab (or part) of the page sits beside it; main.js wires them.
 *
 * Native ES modules, no dependencies and no build step; charts are inline SVG drawn by
 * charts.js, the helpers and the API client it shares with the agent console are in
 * console-common.js and the live connection in live.js. It reads the supervisor API
 * (GET /api/reports/*, /api/conversations, /api/nlu/*, /api/improvement-actions, /api/kb/*;
 * session cookie, every write with the X-CSRF-Token header) and keeps the live queue figures
 * current through the agent WebSocket (/api/agent/ws), polling GET /api/queue every 10 s
 * while the socket is down.
 *
 * Every visible string comes from the page's translation table (#console-data, built by
 * ticketing/web/console_pages.py from locales/<locale>/console.json), and so do the enums it
 * lists; text from customers, staff and the API is only ever inserted with textContent / text
 * nodes, never as HTML. The one exception is the help-centre editor's preview: the HTML the
 * hub rendered from an article's Markdown (POST /api/kb/preview, sanitised there: raw HTML
 * escaped, unsafe links dropped), in kb-editor.js.
 */
import * as HC from "../console-common.js";

// ---------------------------------------------------------------------------------------
// Configuration and translations
// ---------------------------------------------------------------------------------------

var CONFIG = HC.readConfig();
var ENUMS = CONFIG.enums || {}; // ticketing/models.py, through the page
var i18n = HC.localize(CONFIG);
var LOCALE = i18n.locale;
export var STRINGS = i18n.strings;
export var t = i18n.t;
export var label = i18n.label;

export var LIVE_POLL_MS = 10000;
export var PER_PAGE = 25;
export var REVIEW_LIMIT = 100;
export var PERIOD_KEY = "hd-supervisor-period";
export var TABS = ["dashboard", "transcripts", "complaints", "satisfaction", "agents", "improve", "help", "actions"];
export var OUTCOMES = ["contained", "escalated", "abandoned_bot", "abandoned_queue", "ongoing"];
export var DECISIONS = ENUMS.decisions || [];
export var DECISION_BADGE = { answered: "badge--ok", clarified: "badge--warn", declined: "badge--bad", handed_off: "badge--warn" };
export var REVIEW_WHY = ["declined", "unhelpful", "fallback", "low_confidence"];
export var DIMENSIONS = ["speed", "problem_solving", "attitude"];
export var COMPLAINT_CATEGORIES = ENUMS.complaintCategories || [];
export var ACTION_STATUSES = ["open", "in_progress", "done", "cancelled"];
export var NOT_LABELS = { nlu_fallback: true, none: true, faq: true };
export var FILTERS = ["q", "from", "to", "status", "contained", "reason", "agent", "team", "category", "priority", "csat", "intent", "fallback"];
export var LIVE_EVENTS = { queue_changed: true, sla: true, agents_changed: true, assigned: true, ticket_changed: true, customer_message: true };

// ---------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------

export var $ = HC.$;
export var h = HC.h;
export var appendAll = HC.appendAll;
export var clear = HC.clear;
export var parseTime = HC.parseTime;
export var timeShort = i18n.timeShort;
export var timeFull = i18n.timeFull;
export var duration = i18n.duration;
export var customerName = i18n.customerName;

export function isNumber(v) {
  return typeof v === "number" && isFinite(v);
}

export var DASH = "\u2014";

export function fmtCount(v) {
  return isNumber(v) ? v.toLocaleString(LOCALE) : DASH;
}

export function fmtRate(v) {
  return isNumber(v) ? (v * 100).toFixed(1) + "\u00a0%" : DASH;
}

export function fmtAvg(v) {
  return isNumber(v) ? v.toFixed(2) : DASH;
}

export function fmtScore(v) {
  return isNumber(v) ? v.toFixed(1) : DASH;
}

export function fmtSlope(v) {
  var text = Math.abs(v).toFixed(2);
  return (v < 0 && text !== "0.00" ? "\u2212" : v > 0 && text !== "0.00" ? "+" : "") + text;
}

export function fmtR(v) {
  return isNumber(v) ? (v >= 0 ? "+" : "\u2212") + Math.abs(v).toFixed(2) : DASH;
}

/** Business minutes as "42 min" or "3 h 05 min". */
export function fmtMinutes(v) {
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

export var FORMATS = { count: fmtCount, rate: fmtRate, avg: fmtAvg, minutes: fmtMinutes, score: fmtScore };

function dateTime(iso) {
  var ms = parseTime(iso);
  if (ms == null) return "";
  return new Date(ms).toLocaleString(LOCALE, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

export function timeNode(iso, text) {
  return h("time", { datetime: iso || "", title: timeFull(iso), text: text != null ? text : dateTime(iso) });
}

/** ISO date (YYYY-MM-DD) arithmetic in UTC, so no time zone shifts the day. */
export function addDays(iso, days) {
  var d = new Date(iso + "T00:00:00Z");
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export function localToday() {
  var d = new Date();
  var pad = function (n) {
    return n < 10 ? "0" + n : String(n);
  };
  return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
}

/** Today's date in the shop's time zone (the reports' days), else the browser's. */
export function todayIn(timeZone) {
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

export function validDate(value) {
  return /^\d{4}-\d{2}-\d{2}$/.test(value || "") && !isNaN(Date.parse(value + "T00:00:00Z"));
}

export function query(params) {
  var parts = [];
  Object.keys(params).forEach(function (name) {
    var value = params[name];
    if (value == null || value === "") return;
    parts.push(encodeURIComponent(name) + "=" + encodeURIComponent(value));
  });
  return parts.length ? "?" + parts.join("&") : "";
}

export function safeHref(value) {
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

export function load(key) {
  try {
    return JSON.parse(window.sessionStorage.getItem(key));
  } catch (e) {
    return null;
  }
}

export function save(key, value) {
  try {
    window.sessionStorage.setItem(key, JSON.stringify(value));
  } catch (e) {
    /* storage disabled: the period just resets on reload */
  }
}

// ---------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------

export var state = {
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
  liveTimer: null, // a queue refresh is due (a burst of events costs one request)
  tickTimer: null,
  live: null,
  leaving: false,
};

// ---------------------------------------------------------------------------------------
// HTTP (the client is in console-common.js)
// ---------------------------------------------------------------------------------------

export var client = HC.createApi({
  state: state,
  t: t,
  loginNext: function () {
    return "/supervisor";
  },
});
export var api = client.api;
export var goToLogin = client.goToLogin;
export var refreshMe = client.refreshMe;

// ---------------------------------------------------------------------------------------
// DOM references (the skeleton is in templates/supervisor.html)
// ---------------------------------------------------------------------------------------

export var ui = {
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
export var toast = notices.toast;
export var showError = notices.showError;

function status(report, text, isError) {
  var node = document.querySelector('[data-status-for="' + report + '"]');
  if (!node) return;
  node.textContent = text || "";
  node.className = "report-status" + (isError ? " report-status--error" : "") + (text ? "" : " is-empty");
}

/** Runs a report request; only the newest answer of each report is rendered. */
export function fetchReport(report, path, render) {
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
