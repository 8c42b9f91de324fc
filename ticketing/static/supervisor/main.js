/*
 * Supervisor console: sign-out, wiring and start-up (the page's entry module).
 */
import { $, addDays, client, goToLogin, load, localToday, PERIOD_KEY, refreshMe, showError, state, ui, validDate } from "./core.js";
import { openActionForm, reportSource, submitAction } from "./actions.js";
import { loadLabels, loadReview } from "./improve.js";
import { wireKb } from "./kb.js";
import { applyPreset, setPeriod, updateExportLinks } from "./period.js";
import { wirePrivacy } from "./privacy.js";
import { refreshLive, setConnection, socket, startLive, stopLive } from "./queue.js";
import { loadTab, route, selectTab, tabNames } from "./tabs.js";
import { loadConversations, resetFilters } from "./transcripts.js";

// ---------------------------------------------------------------------------------------
// Sign-out and wiring
// ---------------------------------------------------------------------------------------

function signOut() {
  state.leaving = true;
  stopLive();
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
    var tabs = tabNames(); // the privacy tab is there for admins only
    var i = tabs.indexOf(state.tab);
    var next = null;
    if (event.key === "ArrowRight") next = tabs[(i + 1) % tabs.length];
    else if (event.key === "ArrowLeft") next = tabs[(i + tabs.length - 1) % tabs.length];
    else if (event.key === "Home") next = tabs[0];
    else if (event.key === "End") next = tabs[tabs.length - 1];
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
  wirePrivacy();
  wireKb();
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && !socket.isLive()) refreshLive();
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
      startLive();
    })
    .catch(function (error) {
      if (error.status === 401) goToLogin();
      else showError(error);
    });
}

init();
