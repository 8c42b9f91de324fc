/*
 * Chat widget: the privacy notice before the first message, and the customer's consent.
 *
 * No chat starts without it. The notice comes from the hub (GET /api/chat/privacy, in the
 * widget's locale) and is shown as text above the composer, with a link to the privacy page
 * and an "Accept" button; the composer stays disabled until the customer accepts. A verified
 * customer (the shop signed their e-mail) also gets an unticked box for marketing e-mails.
 * session.js then creates the session with {"consent": {"chat": true, "version",
 * "marketing"?}} in its body, or records the consent of a resumed session that has none
 * (POST .../consent).
 *
 * The accepted version is remembered in localStorage (per hub and customer), so the same
 * customer is not asked again on this site until the hub's notice changes (a new version).
 */
import { api, config, h, load, save, state, t } from "./context.js";
import { refreshComposer } from "./send.js";
import { showNotice, ui } from "./view.js";

var asking = null; // {promise, resolve} while the customer is being asked
var accepted = null; // {version, customer, marketing} accepted in this page

/** A customer whose e-mail the shop vouched for (config.customer with email and user_hash). */
export function isVerified() {
  var customer = config.customer;
  return !!(customer && customer.email && customer.user_hash);
}

function storageKey() {
  return "hd-chat-consent:" + config.base;
}

/** Whose acceptance is remembered: the verified customer's hash, else an anonymous visitor. */
function customerTag() {
  return isVerified() ? String(config.customer.user_hash) : null;
}

/** The consent to send for ``version`` when this customer accepted it before, else null. */
function rememberedConsent(version) {
  var who = customerTag();
  if (accepted && accepted.version === version && accepted.customer === who) {
    var consent = { chat: true, version: version };
    if (accepted.marketing != null) consent.marketing = accepted.marketing;
    return consent;
  }
  var stored = load(storageKey());
  if (stored && stored.version === version && (stored.customer || null) === who) {
    return { chat: true, version: version };
  }
  return null;
}

function remember(version, marketing) {
  accepted = { version: version, customer: customerTag(), marketing: marketing };
  save(storageKey(), { version: version, customer: customerTag() });
}

/** The hub recorded the consent: a later session must not send the marketing choice again. */
export function consentRecorded() {
  if (accepted) accepted.marketing = null;
}

/** The hub answered notice_changed: forget the old acceptance; the next ask shows the new one. */
export function noticeChanged() {
  accepted = null;
  save(storageKey(), null);
  state.noticeChanged = true;
}

/** Whether the composer waits for the customer's consent. */
export function consentPending() {
  return !!asking;
}

/**
 * Resolves with the consent body ({chat, version, marketing?}) once the customer accepted the
 * notice, at once when they accepted this very version before. Never rejects: while the
 * notice cannot be fetched the panel says so and offers to try again.
 */
export function requireConsent() {
  if (!asking) {
    var ask = { notice: null };
    ask.promise = new Promise(function (resolve) {
      ask.resolve = resolve;
    });
    asking = ask;
    // the text box is about to be disabled: its focus goes to the notice once that is shown
    if (ui.shadowRoot && ui.shadowRoot.activeElement === ui.input) state.consentFocus = true;
    refreshComposer();
    fetchNotice(ask);
  }
  return asking.promise;
}

function validNotice(data) {
  return (
    data &&
    data.chat &&
    typeof data.chat.text === "string" &&
    data.chat.text.trim() !== "" &&
    typeof data.chat.version === "string" &&
    data.chat.version !== ""
  );
}

async function fetchNotice(ask) {
  render(ask, "loading");
  var data = null;
  try {
    data = await api("GET", "/api/chat/privacy?locale=" + encodeURIComponent(config.locale));
  } catch (error) {
    data = null;
  }
  if (asking !== ask) return;
  if (!validNotice(data)) {
    render(ask, "error");
    return;
  }
  ask.notice = data;
  var consent = rememberedConsent(data.chat.version);
  if (consent) finish(ask, consent);
  else render(ask, "notice");
}

function finish(ask, consent) {
  asking = null;
  state.noticeChanged = false;
  render(null, "hidden");
  refreshComposer();
  ask.resolve(consent);
}

function accept(ask) {
  if (asking !== ask || !ask.notice) return;
  var version = ask.notice.chat.version;
  var consent = { chat: true, version: version };
  if (ui.consentMarketing && isVerified()) consent.marketing = ui.consentMarketing.checked === true;
  remember(version, consent.marketing == null ? null : consent.marketing);
  finish(ask, consent);
  if (state.open) ui.input.focus();
}

// ---------------------------------------------------------------------------------------
// The notice in the panel
// ---------------------------------------------------------------------------------------

/** The region above the composer (view.js puts it in the panel). */
export function buildConsent() {
  ui.consent = h("div", {
    class: "hd-consent",
    role: "region",
    "aria-label": t("consentLabel"),
    hidden: true,
  });
  return ui.consent;
}

/** Where the privacy page is: the hub's own path (never another site), in our locale. */
function privacyUrl(notice) {
  var path = notice && typeof notice.url === "string" ? notice.url : "/privacy";
  if (path.charAt(0) !== "/" || path.charAt(1) === "/" || path.charAt(1) === "\\") path = "/privacy";
  return config.base + path + (path.indexOf("?") < 0 ? "?" : "&") + "locale=" + encodeURIComponent(config.locale);
}

function render(ask, view) {
  var region = ui.consent;
  while (region.firstChild) region.removeChild(region.firstChild);
  ui.consentAccept = null;
  ui.consentMarketing = null;
  region.setAttribute("data-state", view);
  // While the notice loads the panel says "Connecting…", as before any chat; a returning
  // customer who accepted this version before never sees the region at all.
  region.hidden = view === "hidden" || view === "loading";
  if (view === "loading") showNotice(t("connecting"));
  if (region.hidden) return;
  showNotice(""); // nothing to connect to yet: the customer is the one we wait for

  if (view === "error") {
    var retry = h("button", {
      type: "button",
      class: "hd-consent-retry",
      text: t("consentRetry"),
      onclick: function () {
        state.consentFocus = true; // this button goes away: focus what comes next
        fetchNotice(ask);
      },
    });
    region.appendChild(h("p", { class: "hd-consent-error", role: "alert", text: t("consentUnavailable") }));
    region.appendChild(h("div", { class: "hd-consent-actions" }, [retry]));
    takeFocus(retry);
    return;
  }

  var notice = ask.notice;
  if (state.noticeChanged) {
    region.appendChild(h("p", { class: "hd-consent-changed", role: "alert", text: t("consentChanged") }));
  }
  // The hub's wording, as text (never parsed as markup); line breaks kept by CSS.
  region.appendChild(h("p", { class: "hd-consent-text", id: "hd-consent-text", text: notice.chat.text }));
  region.appendChild(
    h("p", { class: "hd-consent-more" }, [
      h("a", { class: "hd-consent-link", href: privacyUrl(notice), target: "_blank", rel: "noopener" }, [
        t("privacyLink"),
        h("span", { class: "hd-sr-only", text: " (" + t("newTab") + ")" }),
      ]),
    ])
  );
  var marketing = notice.marketing;
  if (isVerified() && marketing && typeof marketing.text === "string" && marketing.text.trim()) {
    ui.consentMarketing = h("input", { type: "checkbox", class: "hd-consent-checkbox", id: "hd-consent-marketing" });
    ui.consentMarketing.checked = false; // opt-in: never ticked for the customer
    region.appendChild(
      h("div", { class: "hd-consent-option" }, [
        ui.consentMarketing,
        h("label", { for: "hd-consent-marketing", class: "hd-consent-option-text", text: marketing.text }),
      ])
    );
  }
  ui.consentAccept = h("button", {
    type: "button",
    class: "hd-consent-accept",
    "aria-describedby": "hd-consent-text",
    text: t("consentAccept"),
    onclick: function () {
      accept(ask);
    },
  });
  region.appendChild(h("div", { class: "hd-consent-actions" }, [ui.consentAccept]));
  takeFocus(ui.consentAccept);
}

/** Moves the focus to ``target`` when the customer opened the panel, or was in it already. */
function takeFocus(target) {
  if (!state.open) return;
  var active = ui.shadowRoot.activeElement;
  var inPanel = active && active !== ui.launcher && ui.panel.contains(active);
  if (state.consentFocus || inPanel) {
    state.consentFocus = false;
    target.focus();
  }
}

/**
 * The customer opened the panel: the focus goes where they can act, the Accept button while
 * they are asked (once it is shown), else the text box.
 */
export function focusComposer() {
  if (!asking) {
    ui.input.focus();
    return;
  }
  var target = ui.consentAccept || ui.consent.querySelector(".hd-consent-retry");
  if (target) target.focus();
  else state.consentFocus = true; // the notice is still on its way
}
