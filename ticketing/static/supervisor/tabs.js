/*
 * Supervisor console: the tabs and the address (#tab, #tab&from=..&to=.., #transcript=SESSION,
 * and the help centre's #kb=ID, #kb-new?title=..&body=.. and #kb-report, read by kb.js).
 */
import { $, state, TABS, validDate } from "./core.js";
import { loadActions } from "./actions.js";
import { loadAgentsReport } from "./agents.js";
import { loadComplaints } from "./complaints.js";
import { loadSummary } from "./dashboard.js";
import { loadLabels, loadReview } from "./improve.js";
import { KB_TAB, loadKb, routeKb } from "./kb.js";
import { periodKey, setPeriod } from "./period.js";
import { hasPrivacyTab, loadPrivacy, PRIVACY_TAB } from "./privacy.js";
import { loadSatisfaction } from "./satisfaction.js";
import { loadConversations, loadPeople, openConversation } from "./transcripts.js";

// ---------------------------------------------------------------------------------------
// Tabs and the address (#tab, #tab&from=..&to=.., #transcript=SESSION, #kb=ID, #kb-new?..)
// ---------------------------------------------------------------------------------------

/** The tabs the signed-in user has: the reports, and the privacy tab for admins. */
export function tabNames() {
  return hasPrivacyTab() ? TABS.concat([PRIVACY_TAB]) : TABS;
}

export function selectTab(tab, opts) {
  var tabs = tabNames();
  if (tabs.indexOf(tab) < 0) tab = "dashboard";
  state.tab = tab;
  tabs.forEach(function (name) {
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

export function loadTab(tab) {
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
  if (tab === KB_TAB) {
    loadKb(); // the articles, whatever the period
    return;
  }
  if (tab === PRIVACY_TAB) {
    if (hasPrivacyTab()) loadPrivacy(); // the newest entries, whatever the period
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

export function route() {
  if (routeKb(window.location.hash.replace(/^#/, ""))) return; // its own encoding (URLSearchParams)
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
  selectTab(tabNames().indexOf(head) >= 0 ? head : state.tab, { keepHash: !head });
}
