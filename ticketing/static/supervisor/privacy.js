/*
 * Supervisor console: the privacy tab (admins only): the audit log, access and erasure
 * requests, and the retention job.
 *
 * It reads GET /api/audit (and links /api/audit.csv with the same filters) and writes
 * POST /api/privacy/export, /api/privacy/erase and /api/privacy/retention, all admin-only on
 * the hub. The tab and its panel are only in the page for admins (templates/supervisor.html
 * asks the signed-in user's role); isAdmin() asks state.me, which GET /api/auth/me filled.
 * Customer e-mail addresses go in the request bodies, never in a URL.
 */
import { $, api, clear, DASH, fetchReport, fmtCount, h, label, query, state, t, timeNode } from "./core.js";
import { stat, table } from "./figures.js";

// ---------------------------------------------------------------------------------------
// Who may see it
// ---------------------------------------------------------------------------------------

export var PRIVACY_TAB = "privacy";
var AUDIT_PAGE = 50;
var EXPORT_FILENAME = "customer-data.json";
var ERASED_KINDS = ["conversations", "messages", "tickets", "outbox", "orders", "profile"];
var RETENTION_KINDS = ["transcripts", "rating_comments", "audit_log", "outbox"];

export function isAdmin() {
  return !!(state.me && state.me.role === "admin");
}

/** True when the page has the privacy tab and the signed-in user may use it. */
export function hasPrivacyTab() {
  return isAdmin() && !!$("tab-" + PRIVACY_TAB);
}

// ---------------------------------------------------------------------------------------
// Audit log: filters, the table, "Load older" and the CSV link
// ---------------------------------------------------------------------------------------

var audit = { filters: {}, oldest: null, actionsKnown: false };

function auditFilters() {
  var filters = {};
  [
    ["from", "audit-from"],
    ["to", "audit-to"],
    ["action", "audit-action"],
    ["actor", "audit-actor"],
  ].forEach(function (pair) {
    var value = $(pair[1]).value.trim();
    if (value) filters[pair[0]] = value;
  });
  return filters;
}

/** The first page of entries for the filters in the form (again: after every change). */
export function loadAudit() {
  audit.filters = auditFilters();
  audit.oldest = null;
  $("audit-csv").href = "/api/audit.csv" + query(audit.filters);
  return fetchAudit(false);
}

function loadOlder() {
  return fetchAudit(true);
}

function fetchAudit(older) {
  var params = Object.assign({}, audit.filters, { limit: AUDIT_PAGE });
  if (older && audit.oldest != null) params.before = audit.oldest;
  var more = $("audit-more");
  more.disabled = true;
  return fetchReport("audit", "/api/audit" + query(params), function (data) {
    renderAudit(data, older);
  }).finally(function () {
    more.disabled = false;
  });
}

function fillActions(actions) {
  if (audit.actionsKnown || !actions || !actions.length) return;
  audit.actionsKnown = true;
  var select = $("audit-action");
  var chosen = select.value;
  actions.forEach(function (action) {
    select.appendChild(h("option", { value: action, text: label("auditAction", action) }));
  });
  select.value = chosen;
}

function renderAudit(data, older) {
  var rows = $("audit-rows");
  var entries = data.entries || [];
  fillActions(data.actions);
  if (!older) clear(rows);
  entries.forEach(function (entry) {
    rows.appendChild(auditRow(entry));
  });
  if (entries.length) audit.oldest = entries[entries.length - 1].id;
  var shown = rows.querySelectorAll("tr.audit-row").length;
  if (!shown && !rows.children.length) {
    rows.appendChild(h("tr", {}, [h("td", { colspan: "5", class: "empty", text: t("sup.audit.empty") })]));
  }
  var count = $("audit-count");
  count.textContent = t("sup.audit.count", { n: fmtCount(shown) });
  count.setAttribute("data-count", String(shown));
  $("audit-more").hidden = entries.length < AUDIT_PAGE;
}

function auditRow(entry) {
  return h("tr", { class: "audit-row", "data-id": String(entry.id), "data-action": entry.action }, [
    h("td", { class: "nowrap" }, [timeNode(entry.created_at)]),
    h("td", { class: "audit-actor", text: entry.actor || DASH }),
    h("td", { class: "audit-action" }, [h("span", { title: entry.action, text: label("auditAction", entry.action) })]),
    h("td", { class: "audit-target" }, [targetNode(entry.target)]),
    h("td", { class: "audit-detail mono small", text: compact(entry.detail) || DASH }),
  ]);
}

/** "conversation:SESSION" links to that transcript (opening it is itself logged). */
function targetNode(target) {
  var text = target || DASH;
  var prefix = "conversation:";
  if (typeof target === "string" && target.indexOf(prefix) === 0 && target.length > prefix.length) {
    return h("a", { href: "#transcript=" + encodeURIComponent(target.slice(prefix.length)), class: "mono", text: text });
  }
  return h("span", { class: "mono", text: text });
}

/** {rows: 3, only_new: true} as "rows=3 · only_new=true" (plain text, never markup). */
export function compact(detail) {
  if (!detail || typeof detail !== "object") return detail == null ? "" : String(detail);
  return Object.keys(detail)
    .map(function (key) {
      var value = detail[key];
      return key + "=" + (value !== null && typeof value === "object" ? JSON.stringify(value) : String(value));
    })
    .join(" \u00b7 ");
}

// ---------------------------------------------------------------------------------------
// Access and erasure requests
// ---------------------------------------------------------------------------------------

var pendingErase = null; // the address the confirmation step shows

function subjectEmail() {
  var input = $("subject-email");
  var email = input.value.trim();
  if (!email || email.indexOf("@") < 1 || email.indexOf("@") === email.length - 1 || /\s/.test(email)) {
    subjectMessage(t("sup.subject.badEmail"), "error");
    input.focus();
    return null;
  }
  return email;
}

function subjectMessage(text, kind, extra) {
  var box = clear($("subject-result"));
  box.className = "subject-result" + (kind === "error" ? " report-status--error" : kind === "missing" ? " subject-result--missing" : "");
  box.setAttribute("data-state", kind || "info");
  if (text) box.appendChild(h("p", { text: text }));
  if (extra) box.appendChild(extra);
}

function subjectError(error) {
  if (error.status === 404) subjectMessage(t("sup.subject.notFound"), "missing");
  else if (error.status === 422) subjectMessage(t("sup.subject.badEmail") + " (" + error.message + ")", "error");
  else subjectMessage(t("sup.subject.failed", { message: error.message }), "error");
}

function busy(on) {
  ["subject-export", "subject-erase", "erase-yes"].forEach(function (id) {
    $(id).disabled = on;
  });
}

/** Saves ``data`` as a JSON file through a Blob (the answer came by fetch, not navigation). */
function saveJson(data, filename) {
  var blob = new Blob([JSON.stringify(data, null, 2) + "\n"], { type: "application/json" });
  var url = URL.createObjectURL(blob);
  var link = h("a", { href: url, download: filename, hidden: true });
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(function () {
    URL.revokeObjectURL(url);
  }, 30000);
}

function exportSubject(event) {
  if (event) event.preventDefault();
  hideConfirm();
  var email = subjectEmail();
  if (!email) return;
  busy(true);
  subjectMessage(t("loading"));
  api("POST", "/api/privacy/export", { email: email })
    .then(function (data) {
      saveJson(data, EXPORT_FILENAME);
      subjectMessage(t("sup.subject.exported", { email: email, file: EXPORT_FILENAME }), "ok");
    })
    .catch(subjectError)
    .finally(function () {
      busy(false);
      loadAudit();
    });
}

function askErase() {
  var email = subjectEmail();
  if (!email) return;
  pendingErase = email;
  subjectMessage("");
  $("erase-confirm-text").textContent = t("sup.subject.confirm", { email: email });
  $("erase-yes").textContent = t("sup.subject.confirmYes", { email: email });
  $("erase-confirm").hidden = false;
  $("erase-cancel").focus();
}

function hideConfirm() {
  pendingErase = null;
  $("erase-confirm").hidden = true;
}

function cancelErase() {
  hideConfirm();
  $("subject-erase").focus();
}

function erase() {
  var email = pendingErase;
  if (!email) return;
  busy(true);
  api("POST", "/api/privacy/erase", { email: email, confirm: true })
    .then(function (data) {
      hideConfirm();
      var counts = (data && data.erased) || {};
      var kinds = ERASED_KINDS.concat(
        Object.keys(counts).filter(function (k) {
          return ERASED_KINDS.indexOf(k) < 0;
        })
      );
      var list = h(
        "dl",
        { class: "stats erased-counts" },
        kinds
          .filter(function (k) {
            return counts[k] != null;
          })
          .map(function (k) {
            var node = stat(label("erasedKind", k), fmtCount(counts[k]));
            node.setAttribute("data-kind", k);
            node.setAttribute("data-count", String(counts[k]));
            return node;
          })
      );
      subjectMessage(t("sup.subject.erased", { email: email }), "ok", list);
    })
    .catch(function (error) {
      hideConfirm();
      subjectError(error);
    })
    .finally(function () {
      busy(false);
      $("subject-erase").focus();
      loadAudit();
    });
}

// ---------------------------------------------------------------------------------------
// Retention
// ---------------------------------------------------------------------------------------

function retention(dryRun) {
  var box = $("retention-result");
  var buttons = [$("retention-dry"), $("retention-run")];
  buttons.forEach(function (b) {
    b.disabled = true;
  });
  clear(box).appendChild(h("p", { class: "muted", text: t("loading") }));
  api("POST", "/api/privacy/retention", { dry_run: dryRun })
    .then(function (data) {
      renderRetention(data);
      if (!dryRun) loadAudit();
    })
    .catch(function (error) {
      clear(box).appendChild(h("p", { class: "report-status--error", text: t("sup.loadFailed", { message: error.message }) }));
    })
    .finally(function () {
      buttons.forEach(function (b) {
        b.disabled = false;
      });
    });
}

function renderRetention(data) {
  var box = clear($("retention-result"));
  var dry = !!data.dry_run;
  var counts = (dry ? data.would_remove : data.removed) || {};
  var days = data.days || {};
  var kinds = RETENTION_KINDS.concat(
    Object.keys(days)
      .concat(Object.keys(counts))
      .filter(function (k, i, all) {
        return RETENTION_KINDS.indexOf(k) < 0 && all.indexOf(k) === i;
      })
  );
  box.setAttribute("data-dry-run", String(dry));
  box.appendChild(h("p", { class: "retention-summary", text: dry ? t("sup.retention.dryDone") : t("sup.retention.done") }));
  box.appendChild(
    table(
      [{ label: t("sup.retention.kind") }, { label: t("sup.retention.days"), cls: "num" }, { label: dry ? t("sup.retention.wouldRemove") : t("sup.retention.removed"), cls: "num" }],
      kinds.map(function (k) {
        var n = days[k];
        var kept = typeof n === "number" ? (n > 0 ? t("sup.retention.daysN", { n: fmtCount(n) }) : t("sup.retention.forever")) : DASH;
        return [label("retentionKind", k), kept, fmtCount(counts[k] != null ? counts[k] : 0)];
      }),
      t("sup.noData"),
      dry ? t("sup.retention.wouldRemove") : t("sup.retention.removed")
    )
  );
}

// ---------------------------------------------------------------------------------------
// Loading and wiring
// ---------------------------------------------------------------------------------------

/** The tab was opened: the newest audit entries for the filters shown. */
export function loadPrivacy() {
  return loadAudit();
}

export function wirePrivacy() {
  if (!$("panel-" + PRIVACY_TAB)) return; // not an admin: the page has no privacy tab
  var form = $("audit-form");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    loadAudit();
  });
  form.addEventListener("change", function (event) {
    if (event.target.tagName === "SELECT" || event.target.type === "date") loadAudit();
  });
  $("audit-reset").addEventListener("click", function () {
    ["audit-from", "audit-to", "audit-action", "audit-actor"].forEach(function (id) {
      $(id).value = "";
    });
    loadAudit();
  });
  $("audit-more").addEventListener("click", loadOlder);

  $("subject-form").addEventListener("submit", exportSubject);
  $("subject-erase").addEventListener("click", askErase);
  $("subject-email").addEventListener("input", function () {
    if (pendingErase !== null) hideConfirm(); // the confirmation names the address it erases
  });
  $("erase-yes").addEventListener("click", erase);
  $("erase-cancel").addEventListener("click", cancelErase);
  $("erase-confirm").addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      cancelErase();
    }
  });

  $("retention-dry").addEventListener("click", function () {
    retention(true);
  });
  $("retention-run").addEventListener("click", function () {
    retention(false);
  });
}
