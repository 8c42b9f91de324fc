/*
 * Supervisor console: the period the reports show (and the CSV links for it).
 */
import { $, addDays, localToday, PERIOD_KEY, query, REVIEW_LIMIT, save, state, t, toast, ui, validDate } from "./core.js";
import { loadTab } from "./tabs.js";
import { currentFilters } from "./transcripts.js";

// ---------------------------------------------------------------------------------------
// Period
// ---------------------------------------------------------------------------------------

export function periodParams(extra) {
  var params = { from: state.period && state.period.from, to: state.period && state.period.to };
  Object.keys(extra || {}).forEach(function (k) {
    params[k] = extra[k];
  });
  return params;
}

export function periodKey() {
  return state.period ? state.period.from + ".." + state.period.to + "/" + state.group : "default";
}

export function setPeriod(from, to, reason) {
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

export function applyPreset(preset) {
  var today = state.today || localToday();
  if (preset === "month") setPeriod(today.slice(0, 8) + "01", today);
  else setPeriod(addDays(today, -(parseInt(preset, 10) - 1)), today);
}

export function updateExportLinks() {
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
