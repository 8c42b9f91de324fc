/*
 * Supervisor console: the improvement actions tab.
 */
import { $, ACTION_STATUSES, addDays, api, clear, fetchReport, h, label, localToday, safeHref, showError, state, t, timeNode, toast, ui } from "./core.js";
import { selectTab } from "./tabs.js";
import { fact } from "./transcripts.js";

// ---------------------------------------------------------------------------------------
// Improvement actions
// ---------------------------------------------------------------------------------------

export function loadActions() {
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

export function openActionForm(prefill) {
  selectTab("actions");
  ui.actionError.hidden = true;
  if (prefill.source) $("a-source").value = prefill.source;
  if (prefill.title && !$("a-title").value) $("a-title").value = prefill.title;
  $("a-title").focus();
  $("a-title").select();
}

export function reportSource(tab) {
  var p = state.period || {};
  return window.location.origin + "/supervisor#" + tab + (p.from ? "&from=" + p.from + "&to=" + p.to : "");
}

export function submitAction(event) {
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
