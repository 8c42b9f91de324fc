/*
 * Supervisor console: the help-centre tab: the articles (filtered by status and category,
 * with their status, unpublished changes, views and "was this helpful?" votes) and the way
 * into the editor (kb-editor.js) and an article's history (kb-history.js).
 *
 * It reads GET /api/kb/articles, which every staff member may. Supervisors and admins write
 * (new article, save, publish, archive, restore); anyone else the page is shown to gets the
 * tab read-only: canEditKb() asks the role GET /api/auth/me answered (state.me), and the hub
 * refuses their writes in any case.
 *
 * Addresses: #help (the list), #kb=ID (that article in the editor),
 * #kb-new?title=..&body=.. (a new article, pre-filled: "create an article from this
 * question"; other modules call openNewArticle({title, body}) for the same) and #kb-report
 * (the tab's second view, the help centre's report: kb-report.js).
 */
import { $, clear, fetchReport, fmtCount, h, label, query, state, t, timeNode, toast } from "./core.js";
import { editorIsDirty, openArticleEditor, openNewEditor, setCategories, wireEditor } from "./kb-editor.js";
import { wireHistory } from "./kb-history.js";
import { kbReportShown, refreshKbReport, REPORT_HASH, showKbReport, wireKbReport } from "./kb-report.js";
import { selectTab } from "./tabs.js";

export var KB_TAB = "help";
var EDIT_ROLES = { supervisor: true, admin: true };

export var kb = {
  articles: [],
  categories: [],
  selected: null, // the id of the article open in the editor
};

/** True when the signed-in user may write to the help centre (supervisors and admins). */
export function canEditKb() {
  return !!(state.me && EDIT_ROLES[state.me.role]);
}

// ---------------------------------------------------------------------------------------
// The list
// ---------------------------------------------------------------------------------------

/** The tab was selected: the controls the user's role allows, the list and the report (again). */
export function loadKb() {
  refreshKbReport(); // the view switch, "New article", and the report when it is shown
  return loadKbList();
}

export function loadKbList() {
  var params = { status: $("kb-filter-status").value, category: $("kb-filter-category").value };
  return fetchReport("kb", "/api/kb/articles" + query(params), renderList);
}

function fillCategories(categories) {
  kb.categories = categories.slice();
  var select = $("kb-filter-category");
  if (select.options.length <= 1) {
    categories.forEach(function (key) {
      select.appendChild(h("option", { value: key, text: label("kbCategory", key) }));
    });
  }
  setCategories(kb.categories);
}

function renderList(data) {
  kb.articles = data.articles || [];
  if (data.categories) fillCategories(data.categories);
  var rows = clear($("kb-rows"));
  var filtered = $("kb-filter-status").value || $("kb-filter-category").value;
  if (!kb.articles.length) {
    rows.appendChild(h("tr", {}, [h("td", { colspan: "5", class: "empty", text: t(filtered ? "sup.kb.noMatch" : "sup.kb.none") })]));
  }
  kb.articles.forEach(function (article) {
    rows.appendChild(articleRow(article));
  });
  var count = $("kb-count");
  count.textContent = t(kb.articles.length === 1 ? "sup.kb.countOne" : "sup.kb.count", { n: fmtCount(kb.articles.length) });
  count.setAttribute("data-count", String(kb.articles.length));
}

/** The badges of an article's state: draft, published or archived, unpublished changes. */
export function statusBadges(article) {
  if (!article) return [];
  return [
    h("span", { class: "badge kb-status kb-status--" + article.status, text: label("kbStatus", article.status) }),
    article.unpublished_changes ? h("span", { class: "badge kb-status kb-status--changes", text: t("sup.kb.unpublished") }) : null,
  ];
}

function articleRow(article) {
  var helpful = article.helpful || {};
  return h("tr", { class: "kb-row" + (article.id === kb.selected ? " is-active" : ""), "data-id": String(article.id), "data-slug": article.slug }, [
    h("td", {}, [
      h("button", { type: "button", class: "kb-open", text: article.title }),
      h("div", { class: "kb-row-meta" }, [h("span", { class: "mono muted small", text: article.slug }), statusBadges(article)]),
    ]),
    h("td", { text: label("kbCategory", article.category) }),
    h("td", { class: "num kb-views", text: fmtCount(article.views) }),
    h("td", {
      class: "num kb-votes",
      "data-yes": String(helpful.yes || 0),
      "data-no": String(helpful.no || 0),
      text: t("sup.kb.votes", { yes: fmtCount(helpful.yes || 0), no: fmtCount(helpful.no || 0) }),
    }),
    h("td", { class: "nowrap" }, [timeNode(article.updated_at)]),
  ]);
}

export function markSelected(id) {
  kb.selected = id;
  Array.prototype.forEach.call($("kb-rows").querySelectorAll("tr[data-id]"), function (row) {
    row.classList.toggle("is-active", Number(row.getAttribute("data-id")) === id);
  });
}

// ---------------------------------------------------------------------------------------
// Opening the editor (from the list, the address, other modules)
// ---------------------------------------------------------------------------------------

function unsavedFirst() {
  toast(t("sup.kb.unsavedFirst"), "error");
  return false;
}

/** Opens article ``id`` in the editor (not over unsaved changes to another one). */
export function openArticle(id) {
  if (kbReportShown()) showKbReport(false); // the editor is beside the list
  if (editorIsDirty()) return id === kb.selected || unsavedFirst(); // never lose an edit
  markSelected(id);
  history.replaceState(null, "", "#kb=" + id);
  openArticleEditor(id);
  return true;
}

/**
 * Opens the editor on a new article pre-filled with ``{title, body}`` ("create an article
 * from this question"); false when the user may not write or has unsaved changes open.
 */
export function openNewArticle(prefill) {
  prefill = prefill || {};
  if (state.tab !== KB_TAB) selectTab(KB_TAB);
  if (!canEditKb()) {
    toast(t("sup.kb.readOnly"), "error");
    return false;
  }
  if (kbReportShown()) showKbReport(false); // the editor is beside the list (#help or #kb=ID)
  if (editorIsDirty()) return unsavedFirst();
  markSelected(null);
  openNewEditor({ title: String(prefill.title || ""), body: String(prefill.body || "") });
  return true;
}

/** The help centre's addresses (#kb=ID, #kb-new?title=..&body=.., #kb-report); false for any other. */
export function routeKb(hash) {
  if (hash === REPORT_HASH) {
    showKbReport(true, { keepHash: true, noLoad: true }); // the tab's load reads it
    selectTab(KB_TAB, { keepHash: true });
    return true;
  }
  var match = /^kb=(\d+)$/.exec(hash);
  if (match) {
    selectTab(KB_TAB, { keepHash: true });
    if (Number(match[1]) !== kb.selected) openArticle(Number(match[1]));
    return true;
  }
  if (hash === "kb-new" || hash.indexOf("kb-new?") === 0) {
    var params = new URLSearchParams(hash.slice("kb-new?".length));
    selectTab(KB_TAB, { keepHash: true });
    openNewArticle({ title: params.get("title") || "", body: params.get("body") || "" });
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------
// Wiring
// ---------------------------------------------------------------------------------------

export function wireKb() {
  $("kb-filters").addEventListener("change", function () {
    loadKbList();
  });
  $("kb-filters").addEventListener("submit", function (event) {
    event.preventDefault();
    loadKbList();
  });
  $("kb-new").addEventListener("click", function () {
    openNewArticle({});
  });
  $("kb-rows").addEventListener("click", function (event) {
    var row = event.target.closest("tr[data-id]");
    if (row) openArticle(Number(row.getAttribute("data-id")));
  });
  wireEditor();
  wireHistory();
  wireKbReport();
}
