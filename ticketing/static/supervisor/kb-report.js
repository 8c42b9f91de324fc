/*
 * Supervisor console: the help centre's report, a second view of the help-centre tab beside
 * the article list ("Articles" | "Report", address #kb-report):
 *
 *  - "Questions without a good article": what customers asked in the period that the
 *    assistant declined although it looked like a shop question, answered from an article
 *    with a weak match, or whose article answer was marked unhelpful; grouped like the NLU
 *    review, most frequent first, each group with "Create article from this question"
 *    (openNewArticle in kb.js: the editor, pre-filled).
 *  - "Articles": per published article its page views and votes, the assistant's answers
 *    quoting it and their 👍 / 👎, sortable by views, answers or helpfulness.
 *
 * It reads GET /api/kb/report?from=&to=&limit= (supervisors and admins; reports/knowledge.py)
 * for the period of the bar above the tabs (period.js), and is read again when that changes.
 * The customers' words are text, never markup.
 */
import { $, clear, fetchReport, fmtCount, fmtRate, h, isNumber, label, query, state, t, timeNode } from "./core.js";
import { how } from "./figures.js";
import { canEditKb, kb, openNewArticle } from "./kb.js";
import { periodParams } from "./period.js";

export var REPORT_HASH = "kb-report";
var LIMIT = 50;
var NONE = "\u2013"; // helpfulness when no answer was rated
var REASONS = ["declined", "weak_answer", "unhelpful"];
var SORTS = {
  views: function (a) {
    return a.views;
  },
  answers: function (a) {
    return a.bot_answers;
  },
  helpfulness: function (a) {
    return a.bot_helpfulness;
  },
};

var view = {
  shown: false, // the report, not the article list, is on screen
  data: null, // the last answer
  sort: null, // {key, dir: "desc"|"asc"} once a column header was clicked; else the API's order
};

// ---------------------------------------------------------------------------------------
// The view switch ("Articles" | "Report")
// ---------------------------------------------------------------------------------------

export function kbReportShown() {
  return view.shown && canEditKb();
}

function renderSwitch() {
  var shown = kbReportShown();
  $("kb-switch").hidden = !canEditKb(); // the hub answers the report to editors only
  $("kb-show-list").setAttribute("aria-pressed", String(!shown));
  $("kb-show-report").setAttribute("aria-pressed", String(shown));
  $("kb-articles-view").hidden = shown;
  $("kb-new").hidden = shown || !canEditKb();
  $("kb-report").hidden = !shown;
}

/**
 * Shows the report (and reads it) or the article list. The address follows (#kb-report, and
 * back to the list's #kb=ID / #help; any other address stays) unless ``opts.keepHash``;
 * ``opts.noLoad`` leaves the reading to the tab's load (refreshKbReport).
 */
export function showKbReport(shown, opts) {
  opts = opts || {};
  var was = kbReportShown();
  view.shown = !!shown;
  renderSwitch();
  var now = kbReportShown();
  if (!opts.keepHash && state.tab === "help") {
    if (now && window.location.hash !== "#" + REPORT_HASH) history.replaceState(null, "", "#" + REPORT_HASH);
    else if (!now && window.location.hash === "#" + REPORT_HASH) history.replaceState(null, "", kb.selected != null ? "#kb=" + kb.selected : "#help");
  }
  if (now && !was && !opts.noLoad) loadKbReport();
}

/** The tab was (re)loaded: the switch for the user's role, and the report when it is shown. */
export function refreshKbReport() {
  renderSwitch();
  if (kbReportShown()) {
    if (window.location.hash === "#help") history.replaceState(null, "", "#" + REPORT_HASH);
    loadKbReport();
  }
}

// ---------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------

export function loadKbReport() {
  return fetchReport("kb-report", "/api/kb/report" + query(periodParams({ limit: LIMIT })), renderReport);
}

function renderReport(data) {
  view.data = data;
  var body = clear($("kb-report-body"));
  var period = data.period || state.period || {};
  $("kb-report-period").textContent = period.from && period.to ? t("sup.kbr.period", { from: period.from, to: period.to }) : "";
  body.appendChild(gapsCard(data.gaps || [], (data.how || {}).gaps));
  body.appendChild(articlesCard((data.how || {}).articles));
  renderArticleRows();
}

// ---------------------------------------------------------------------------------------
// Questions without a good article
// ---------------------------------------------------------------------------------------

function gapsCard(gaps, howText) {
  var messages = gaps.reduce(function (sum, gap) {
    return sum + (gap.count || 0);
  }, 0);
  var summary = h("p", { class: "muted small kb-gaps-summary", id: "kb-gaps-summary" }, [
    gaps.length ? t("sup.kbr.gapsSummary", { messages: fmtCount(messages), groups: fmtCount(gaps.length) }) : t("sup.kbr.gapsEmpty"),
    gaps.length >= LIMIT ? " " + t("sup.kbr.gapsLimited", { n: fmtCount(LIMIT) }) : null,
    how(howText),
  ]);
  var card = h("article", { class: "card kb-report-card", id: "kb-gaps", "aria-labelledby": "kb-gaps-heading" }, [
    h("div", { class: "card-head" }, [h("h2", { id: "kb-gaps-heading", text: t("sup.kbr.gapsTitle") })]),
    summary,
  ]);
  if (!gaps.length) return card;
  var editable = canEditKb();
  card.appendChild(
    h("div", { class: "table-wrap" }, [
      h("table", { class: "data kb-gaps-table", "aria-labelledby": "kb-gaps-heading", "aria-describedby": "kb-gaps-summary" }, [
        h("thead", {}, [
          h("tr", {}, [
            h("th", { scope: "col", text: t("sup.kbr.question") }),
            h("th", { scope: "col", class: "num", text: t("sup.kbr.count") }),
            h("th", { scope: "col", text: t("sup.kbr.reasons") }),
            h("th", { scope: "col", text: t("sup.kbr.sections") }),
            h("th", { scope: "col", text: t("sup.kbr.lastAt") }),
            editable ? h("th", { scope: "col" }, [h("span", { class: "sr-only", text: t("sup.kbr.actions") })]) : null,
          ]),
        ]),
        h(
          "tbody",
          { id: "kb-gap-rows" },
          gaps.map(function (gap) {
            return gapRow(gap, editable);
          })
        ),
      ]),
    ])
  );
  return card;
}

function gapRow(gap, editable) {
  var text = String(gap.text || "");
  var others = (gap.examples || []).filter(function (example) {
    return example !== text;
  });
  return h("tr", { class: "kb-gap", "data-count": String(gap.count || 0) }, [
    h("th", { scope: "row", class: "kb-gap-question" }, [
      h("span", { class: "kb-gap-text", title: others.length ? others.join("\n") : null, text: text }),
      others.length
        ? h("details", { class: "kb-gap-examples" }, [
            h("summary", { text: t("sup.kbr.otherWordings", { n: fmtCount(others.length) }) }),
            h(
              "ul",
              {},
              others.map(function (example) {
                return h("li", { text: example });
              })
            ),
          ])
        : null,
    ]),
    h("td", { class: "num kb-gap-count", text: fmtCount(gap.count) }),
    h("td", { class: "kb-gap-reasons" }, reasonBadges(gap.reasons || {})),
    h("td", { class: "kb-gap-sections" }, sectionLinks(gap.sections || [])),
    h("td", { class: "nowrap" }, [timeNode(gap.last_at)]),
    editable
      ? h("td", { class: "kb-gap-action" }, [
          h("button", {
            type: "button",
            class: "btn btn--small kb-gap-create",
            text: t("sup.kbr.create"),
            onclick: function () {
              openNewArticle({ title: text, body: "## " + text + "\n" });
            },
          }),
        ])
      : null,
  ]);
}

function reasonBadges(reasons) {
  var keys = REASONS.concat(
    Object.keys(reasons).filter(function (key) {
      return REASONS.indexOf(key) < 0;
    })
  );
  return keys
    .filter(function (key) {
      return reasons[key] > 0;
    })
    .map(function (key) {
      return h("span", {
        class: "badge kb-reason kb-reason--" + key,
        "data-reason": key,
        title: label("kbGapHint", key) === key ? null : label("kbGapHint", key),
        text: t("sup.kbr.reasonN", { reason: label("kbGap", key), n: fmtCount(reasons[key]) }),
      });
    });
}

function sectionLinks(sections) {
  return sections.map(function (section) {
    var parts = String(section).split("#");
    var href = "/help/" + encodeURIComponent(parts[0]) + (parts[1] ? "#" + encodeURIComponent(parts[1]) : "");
    return h("a", { class: "mono small kb-gap-section", href: href, target: "_blank", rel: "noopener", text: section });
  });
}

// ---------------------------------------------------------------------------------------
// Articles: views, votes, the assistant's answers from them
// ---------------------------------------------------------------------------------------

var COLUMNS = [
  { key: null, label: "sup.kb.article" },
  { key: null, label: "category" },
  { key: "views", label: "sup.kb.views", cls: "num" },
  { key: null, label: "sup.kbr.pageVotes", cls: "num" },
  { key: "answers", label: "sup.kbr.answers", cls: "num" },
  { key: "helpfulness", label: "sup.kbr.helpfulness", cls: "num" },
];

function articlesCard(howText) {
  return h("article", { class: "card kb-report-card", id: "kb-article-stats", "aria-labelledby": "kb-article-stats-heading" }, [
    h("div", { class: "card-head" }, [h("h2", { id: "kb-article-stats-heading", text: t("sup.kbr.articlesTitle") }), how(howText)]),
    h("div", { class: "table-wrap" }, [
      h("table", { class: "data kb-article-stats-table", "aria-labelledby": "kb-article-stats-heading" }, [
        h("thead", {}, [h("tr", { id: "kb-article-stats-head" }, COLUMNS.map(headerCell))]),
        h("tbody", { id: "kb-article-stats-rows" }),
      ]),
    ]),
    h("p", { class: "muted small", text: t("sup.kbr.sortHint") }),
  ]);
}

function headerCell(col) {
  if (!col.key) return h("th", { scope: "col", class: col.cls || null, text: t(col.label) });
  return h("th", { scope: "col", class: (col.cls || "") + " sortable", "data-sort": col.key }, [
    h("button", {
      type: "button",
      class: "sort-btn",
      text: t(col.label),
      onclick: function () {
        var sort = view.sort;
        view.sort = { key: col.key, dir: sort && sort.key === col.key && sort.dir === "desc" ? "asc" : "desc" };
        renderArticleRows();
      },
    }),
  ]);
}

/** The articles in the chosen order (stable: ties keep the API's order); no value goes last. */
function sortedArticles(articles) {
  var sort = view.sort;
  var rows = articles.map(function (article, i) {
    return { article: article, i: i };
  });
  if (sort && SORTS[sort.key]) {
    var get = SORTS[sort.key];
    var sign = sort.dir === "asc" ? 1 : -1;
    rows.sort(function (a, b) {
      var x = get(a.article);
      var y = get(b.article);
      var xn = isNumber(x);
      var yn = isNumber(y);
      if (xn !== yn) return xn ? -1 : 1;
      if (xn && x !== y) return (x - y) * sign;
      return a.i - b.i;
    });
  }
  return rows.map(function (row) {
    return row.article;
  });
}

function renderArticleRows() {
  var tbody = $("kb-article-stats-rows");
  if (!tbody || !view.data) return;
  Array.prototype.forEach.call($("kb-article-stats-head").querySelectorAll("th[data-sort]"), function (th) {
    var key = th.getAttribute("data-sort");
    var sort = view.sort;
    if (sort && sort.key === key) th.setAttribute("aria-sort", sort.dir === "asc" ? "ascending" : "descending");
    else th.removeAttribute("aria-sort");
  });
  var articles = view.data.articles || [];
  clear(tbody);
  if (!articles.length) {
    tbody.appendChild(h("tr", {}, [h("td", { colspan: String(COLUMNS.length), class: "empty", text: t("sup.kbr.articlesEmpty") })]));
    return;
  }
  sortedArticles(articles).forEach(function (article) {
    tbody.appendChild(articleStatsRow(article));
  });
}

function articleStatsRow(article) {
  var votes = article.page_votes || {};
  var rated = article.bot_helpful || {};
  var rate = article.bot_helpfulness;
  return h("tr", { class: "kb-article-stat", "data-slug": article.slug }, [
    h("th", { scope: "row" }, [
      h("a", { href: "/help/" + encodeURIComponent(article.slug), target: "_blank", rel: "noopener", text: article.title }),
      h("div", { class: "mono muted small", text: article.slug }),
    ]),
    h("td", { text: label("kbCategory", article.category) }),
    h("td", { class: "num kb-stat-views", text: fmtCount(article.views) }),
    h("td", { class: "num kb-stat-votes", text: t("sup.kb.votes", { yes: fmtCount(votes.yes || 0), no: fmtCount(votes.no || 0) }) }),
    h("td", { class: "num kb-stat-answers", text: fmtCount(article.bot_answers) }),
    h("td", {
      class: "num kb-stat-helpfulness",
      title: t("sup.kbr.rated", { up: fmtCount(rated.up || 0), down: fmtCount(rated.down || 0) }),
      text: isNumber(rate) ? fmtRate(rate) : NONE,
    }),
  ]);
}

// ---------------------------------------------------------------------------------------
// Wiring
// ---------------------------------------------------------------------------------------

export function wireKbReport() {
  $("kb-show-list").addEventListener("click", function () {
    showKbReport(false);
  });
  $("kb-show-report").addEventListener("click", function () {
    showKbReport(true);
  });
}
