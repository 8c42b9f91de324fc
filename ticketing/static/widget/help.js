/*
 * Chat widget: the help centre. "Search help" in the header opens a search over the hub's
 * help centre (GET /api/chat/help/search?q=, no session and no token needed, so it works
 * before the customer accepted the privacy notice); each result links to its section on the
 * hub's /help/<slug>#<anchor>, in a new tab. The assistant's answers quoted from the help
 * centre carry their source (custom.source: {key, title, heading, url, score}), shown as a
 * link under the bubble.
 *
 * Every link goes through hubLink(): only http(s) URLs on the hub's own origin, never one a
 * message or a search result could point elsewhere (javascript:, another site). Texts are
 * inserted as text (h() and textContent), never as markup.
 */
import { api, config, h, svgIcon, t } from "./context.js";
import { ui } from "./view.js";

var MAX_QUERY = 500; // the hub's limit for q
var searchSeq = 0; // the latest search; older answers are dropped

// ---------------------------------------------------------------------------------------
// Links to the hub
// ---------------------------------------------------------------------------------------

/**
 * The absolute URL of ``value`` (a path such as "/help/returns#how-long", or an absolute URL)
 * when it is an http(s) URL on the hub's origin, in the widget's locale; else null.
 */
export function hubLink(value) {
  if (typeof value !== "string" || !value) return null;
  var base;
  var url;
  try {
    base = new URL(config.base);
    if (value.charAt(0) === "/") {
      // "//other.example" and "/\other.example" would leave the hub
      if (value.charAt(1) === "/" || value.charAt(1) === "\\") return null;
      url = new URL(config.base + value);
    } else {
      url = new URL(value);
    }
  } catch (e) {
    return null; // not a URL
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  if (url.origin !== base.origin) return null;
  if (config.locale !== "en" && !url.searchParams.has("locale")) {
    url.searchParams.set("locale", config.locale);
  }
  return url.href;
}

/** The link text of a help-centre section: "title › heading" (the heading when there is one). */
function sectionLabel(title, heading) {
  return heading ? title + " \u203A " + heading : title;
}

function text(value) {
  return typeof value === "string" ? value.trim() : "";
}

function newTabHint() {
  return h("span", { class: "hd-sr-only", text: " (" + t("newTab") + ")" });
}

// ---------------------------------------------------------------------------------------
// The source of an answer quoted from the help centre
// ---------------------------------------------------------------------------------------

/** The "Source: title › heading" line under a bot message, or null when it has none. */
export function sourceNode(message) {
  if (!message || message.sender !== "bot" || !message.custom) return null;
  var source = message.custom.source;
  if (!source || typeof source !== "object") return null;
  var title = text(source.title);
  var href = hubLink(source.url);
  if (!title || !href) return null;
  return h("p", { class: "hd-source" }, [
    h("span", { class: "hd-source-label", text: t("sourceLabel") }),
    " ",
    h(
      "a",
      { class: "hd-source-link", href: href, target: "_blank", rel: "noopener noreferrer" },
      [sectionLabel(title, text(source.heading)), newTabHint()]
    ),
  ]);
}

// ---------------------------------------------------------------------------------------
// "Search help"
// ---------------------------------------------------------------------------------------

function searchIcon() {
  return svgIcon(
    "M10 3a7 7 0 0 1 5.6 11.2l5.1 5.1-1.4 1.4-5.1-5.1A7 7 0 1 1 10 3zm0 2a5 5 0 1 0 0 10 5 5 0 0 0 0-10z",
    18
  );
}

/** The header's "Search help" button (view.js puts it in the header). */
export function buildHelpButton() {
  ui.helpButton = h(
    "button",
    {
      type: "button",
      class: "hd-header-button hd-help-toggle",
      "aria-label": t("helpSearch"),
      title: t("helpSearch"),
      "aria-controls": "hd-help",
      "aria-expanded": "false",
      onclick: function () {
        if (isSearchOpen()) closeSearch(true);
        else openSearch();
      },
    },
    [searchIcon()]
  );
  return ui.helpButton;
}

/** The search view: a form, what happened, the results (view.js puts it in the panel). */
export function buildHelp() {
  ui.helpInput = h("input", {
    type: "search",
    class: "hd-help-input",
    id: "hd-help-input",
    maxlength: String(MAX_QUERY),
    placeholder: t("helpSearchPlaceholder"),
    autocomplete: "off",
    enterkeyhint: "search",
    "aria-describedby": "hd-help-status",
  });
  ui.helpForm = h("form", { class: "hd-help-form", role: "search", novalidate: true }, [
    h("label", { class: "hd-sr-only", for: "hd-help-input", text: t("helpSearchLabel") }),
    ui.helpInput,
    h("button", { type: "submit", class: "hd-help-submit", text: t("helpSearchSubmit") }),
  ]);
  ui.helpForm.addEventListener("submit", function (event) {
    event.preventDefault();
    runSearch();
  });
  ui.helpStatus = h("p", {
    class: "hd-help-status",
    id: "hd-help-status",
    role: "status",
    "aria-live": "polite",
    text: t("helpSearchHint"),
  });
  ui.helpResults = h("ul", { class: "hd-help-results", "aria-label": t("helpResultsLabel") });
  ui.helpBrowse = h(
    "a",
    {
      class: "hd-help-browse",
      href: hubLink("/help") || config.base + "/help",
      target: "_blank",
      rel: "noopener noreferrer",
    },
    [t("helpBrowse"), newTabHint()]
  );
  ui.helpClose = h("button", {
    type: "button",
    class: "hd-help-close",
    text: t("helpSearchClose"),
    onclick: function () {
      closeSearch(true);
    },
  });
  ui.help = h(
    "div",
    { class: "hd-help", id: "hd-help", role: "region", "aria-label": t("helpSearch"), hidden: true },
    [
      ui.helpForm,
      ui.helpStatus,
      h("div", { class: "hd-help-scroll" }, [ui.helpResults]),
      h("div", { class: "hd-help-actions" }, [ui.helpBrowse, ui.helpClose]),
    ]
  );
  return ui.help;
}

/** Messages from the assistant or an agent arrived: said on "Back to the chat" while searching. */
export function noteNewMessages(count) {
  if (!count || !isSearchOpen()) return;
  ui.helpClose.textContent = t("helpSearchCloseNew");
  ui.helpClose.classList.add("hd-help-close--new");
}

export function isSearchOpen() {
  return !!ui.help && !ui.help.hidden;
}

/** Shows the search in place of the conversation (which stays as it is underneath). */
export function openSearch() {
  if (isSearchOpen()) {
    ui.helpInput.focus();
    return;
  }
  var s = ui.scroll;
  // where the conversation was: restored when the search closes
  ui.helpScrollState = { top: s.scrollTop, atBottom: s.scrollHeight - s.scrollTop - s.clientHeight < 80 };
  ui.help.hidden = false;
  ui.panel.classList.add("hd-help-open");
  ui.helpButton.setAttribute("aria-expanded", "true");
  ui.helpInput.focus();
  ui.helpInput.select();
}

/** Back to the conversation; ``byUser``: the focus goes back to the "Search help" button. */
export function closeSearch(byUser) {
  if (!isSearchOpen()) return;
  ui.help.hidden = true;
  ui.panel.classList.remove("hd-help-open");
  ui.helpClose.textContent = t("helpSearchClose");
  ui.helpClose.classList.remove("hd-help-close--new");
  ui.helpButton.setAttribute("aria-expanded", "false");
  var saved = ui.helpScrollState;
  if (saved) ui.scroll.scrollTop = saved.atBottom ? ui.scroll.scrollHeight : saved.top;
  if (byUser) ui.helpButton.focus();
}

/** Escape closes the search first (the panel listens for Escape too: view.js, capture). */
export function helpKeydown(event) {
  if (event.key !== "Escape" || event.isComposing || !isSearchOpen()) return;
  event.preventDefault(); // an <input type=search> would clear itself instead
  event.stopPropagation(); // the panel stays open
  closeSearch(true);
}

function setStatus(message, isError) {
  ui.helpStatus.textContent = message;
  ui.helpStatus.classList.toggle("hd-help-error", !!isError);
}

function clearResults() {
  while (ui.helpResults.firstChild) ui.helpResults.removeChild(ui.helpResults.firstChild);
}

function resultNode(result) {
  if (!result || typeof result !== "object") return null;
  var title = text(result.title);
  var href = hubLink(result.url);
  if (!title || !href) return null;
  var heading = text(result.heading);
  var quote = text(result.quote);
  return h("li", { class: "hd-help-result" }, [
    h("a", { class: "hd-help-link", href: href, target: "_blank", rel: "noopener noreferrer" }, [
      h("span", { class: "hd-help-title", text: title }),
      heading ? h("span", { class: "hd-help-sep", "aria-hidden": "true", text: " \u203A " }) : null,
      heading ? h("span", { class: "hd-help-heading", text: heading }) : null,
      newTabHint(),
    ]),
    quote ? h("p", { class: "hd-help-quote", text: quote }) : null,
  ]);
}

async function runSearch() {
  var query = ui.helpInput.value.trim();
  var mine = ++searchSeq;
  clearResults();
  if (!query) {
    setStatus(t("helpSearchHint"));
    ui.helpInput.focus();
    return;
  }
  setStatus(t("helpSearching"));
  ui.help.setAttribute("aria-busy", "true");
  try {
    var data = await api("GET", "/api/chat/help/search?q=" + encodeURIComponent(query.slice(0, MAX_QUERY)));
    if (mine !== searchSeq) return;
    var results = data && Array.isArray(data.results) ? data.results : [];
    var nodes = results.map(resultNode).filter(Boolean);
    nodes.forEach(function (node) {
      ui.helpResults.appendChild(node);
    });
    if (!nodes.length) setStatus(t("helpNoResults"));
    else if (nodes.length === 1) setStatus(t("helpResultsOne"));
    else setStatus(t("helpResults", { n: nodes.length }));
  } catch (error) {
    if (mine !== searchSeq) return;
    setStatus(t(error && error.status === 429 ? "helpSearchBusy" : "helpSearchFailed"), true);
  } finally {
    if (mine === searchSeq) ui.help.removeAttribute("aria-busy");
  }
}
