/*
 * Chat widget: its elements, and opening and closing the panel.
 */
import { buildConsent, focusComposer } from "./consent.js";
import { chatIcon, config, h, save, state, t } from "./context.js";
import { buildHelp, buildHelpButton, closeSearch, helpKeydown } from "./help.js";
import { endChat, ensureSession, startNewSession } from "./session.js";

// ---------------------------------------------------------------------------------------
// DOM
// ---------------------------------------------------------------------------------------

export var ui = {};

/** Builds the widget's elements (not yet in the page: main.js puts them there). */
export function build() {
  var host = h("div", { id: config.hostId, "data-hd-base": config.base });
  // Hidden until the stylesheet has loaded, so the page never shows unstyled widget markup.
  // (Set through the CSSOM, which a page's Content-Security-Policy does not block.)
  host.style.display = "none";
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;

  var stylesheet = h("link", { rel: "stylesheet", href: config.base + "/static/widget.css" });
  stylesheet.addEventListener("load", reveal);
  stylesheet.addEventListener("error", reveal); // better unstyled than missing
  function reveal() {
    host.style.display = "";
  }

  ui.host = host;
  ui.shadowRoot = root;
  ui.stylesheet = stylesheet;
  ui.badge = h("span", { class: "hd-badge", hidden: true, "aria-hidden": "true" });
  ui.launcherLabel = h("span", { class: "hd-sr-only", text: t("launcher") });
  ui.launcher = h(
    "button",
    {
      type: "button",
      class: "hd-launcher",
      "aria-controls": "hd-panel",
      "aria-expanded": "false",
      onclick: function () {
        if (state.open) closePanel(true);
        else openPanel(true);
      },
    },
    [chatIcon(), ui.launcherLabel, ui.badge]
  );

  ui.endButton = h("button", {
    type: "button",
    class: "hd-header-button hd-end",
    text: t("endChat"),
    onclick: endChat,
  });
  ui.minButton = h(
    "button",
    {
      type: "button",
      class: "hd-header-button hd-minimize",
      "aria-label": t("minimize"),
      title: t("minimize"),
      onclick: function () {
        closePanel(true);
      },
    },
    [h("span", { "aria-hidden": "true", text: "\u2013" })]
  );
  ui.header = h("header", { class: "hd-header" }, [
    h("h2", { class: "hd-title", id: "hd-title", text: config.title }),
    h("div", { class: "hd-header-actions" }, [buildHelpButton(), ui.endButton, ui.minButton]),
  ]);

  ui.statusText = h("span", { class: "hd-status-text" });
  ui.newChatButton = h("button", {
    type: "button",
    class: "hd-new-chat",
    text: t("newChat"),
    hidden: true,
    onclick: function () {
      startNewSession(null);
    },
  });
  ui.status = h("div", { class: "hd-status", role: "status", "aria-live": "polite", hidden: true }, [
    ui.statusText,
    ui.newChatButton,
  ]);
  ui.notice = h("div", { class: "hd-notice", role: "alert", hidden: true });

  ui.empty = h("p", { class: "hd-empty", text: t("empty") });
  ui.list = h("ol", {
    class: "hd-messages",
    role: "log",
    "aria-live": "polite",
    "aria-relevant": "additions",
    "aria-label": t("messages"),
  });
  ui.typing = h(
    "div",
    { class: "hd-typing", role: "status", "aria-label": t("typingLabel"), hidden: true },
    [
      h("span", { class: "hd-dots", "aria-hidden": "true" }, [h("i"), h("i"), h("i")]),
      h("span", { class: "hd-typing-text", text: t("typing") }),
    ]
  );
  ui.scroll = h("div", { class: "hd-scroll" }, [ui.empty, ui.list, ui.typing]);

  ui.input = h("textarea", {
    class: "hd-input",
    id: "hd-input",
    rows: "1",
    placeholder: t("placeholder"),
    "aria-describedby": "hd-counter",
    autocomplete: "off",
  });
  ui.counter = h("span", { class: "hd-counter", id: "hd-counter", "aria-live": "polite" });
  ui.sendButton = h("button", { type: "submit", class: "hd-send", disabled: true, text: t("send") });
  ui.form = h("form", { class: "hd-composer", novalidate: true }, [
    h("label", { class: "hd-sr-only", for: "hd-input", text: t("inputLabel") }),
    ui.input,
    h("div", { class: "hd-composer-side" }, [ui.counter, ui.sendButton]),
  ]);

  ui.panel = h(
    "section",
    {
      class: "hd-panel",
      id: "hd-panel",
      role: "dialog",
      "aria-labelledby": "hd-title",
      hidden: true,
      lang: config.locale,
    },
    // the privacy notice (consent.js) sits above the composer until the customer accepts it;
    // "Search help" (help.js) takes the place of the conversation while it is open
    [ui.header, ui.status, ui.notice, buildHelp(), ui.scroll, buildConsent(), ui.form]
  );
  // Escape closes the search before it would close the panel (send.js listens on the panel)
  ui.panel.addEventListener("keydown", helpKeydown, true);
  ui.root = h("div", { class: "hd-root", lang: config.locale }, [ui.panel, ui.launcher]);
}

// ---------------------------------------------------------------------------------------
// Panel
// ---------------------------------------------------------------------------------------

export function openPanel(byUser) {
  state.open = true;
  ui.panel.hidden = false;
  ui.root.classList.add("hd-is-open");
  ui.launcher.setAttribute("aria-expanded", "true");
  ui.launcherLabel.textContent = t("closeLauncher");
  state.unread = 0;
  renderBadge();
  save(config.uiKey, { open: true });
  scrollToBottom();
  // first: a new chat asks for consent, and the focus goes to the notice then
  ensureSession().catch(function () {
    /* shown in the notice; the next send tries again */
  });
  if (byUser) focusComposer();
}

export function closePanel(byUser) {
  closeSearch(false);
  state.open = false;
  ui.panel.hidden = true;
  ui.root.classList.remove("hd-is-open");
  ui.launcher.setAttribute("aria-expanded", "false");
  ui.launcherLabel.textContent = t("launcher");
  renderBadge();
  save(config.uiKey, { open: false });
  if (byUser) ui.launcher.focus();
}

export function renderBadge() {
  ui.badge.hidden = state.unread === 0;
  ui.badge.textContent = state.unread > 9 ? "9+" : String(state.unread);
  var label = ui.launcherLabel.textContent;
  if (state.unread) label += " \u2014 " + t("unread", { n: state.unread });
  ui.launcher.setAttribute("aria-label", label);
}

export function showNotice(text) {
  ui.notice.textContent = text || "";
  ui.notice.hidden = !text;
}

export function isNearBottom() {
  var s = ui.scroll;
  return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
}

export function scrollToBottom() {
  ui.scroll.scrollTop = ui.scroll.scrollHeight;
}
