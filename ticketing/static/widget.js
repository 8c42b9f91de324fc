/*
 * Helpdesk customer chat widget.
 *
 * Embed it in any page with one tag:
 *
 *     <script src="https://hub.example/widget.js" defer></script>
 *
 * Optional data attributes on that tag:
 *     data-locale="zh-CN"   UI language (default: the browser's language)
 *     data-title="Support"  panel title
 *     data-open="true"      open the panel on the first visit
 *     data-customer-email="ann@example.com" data-customer-name="Ann"
 *     data-user-hash="..."  a signed-in customer, verified: the shop's server computes
 *                           hex(HMAC-SHA256(IDENTITY_SECRET, e-mail)) (README, "Verified
 *                           identity"); without the hash the e-mail is only the customer's claim
 *
 * This file is a classic script (what any page can embed) and only starts the widget: it reads
 * its own tag, then imports widget/main.js, the widget itself as native ES modules (widget/,
 * sharing live.js and dom.js with the staff consoles), from the same hub. The hub's base URL is taken
 * from this script's own src, so the widget talks to the hub that served it; the hub serves
 * those modules with a CORS header, so this works from any site (ticketing/web/pages.py).
 *
 * The texts come with this file: the hub serves /widget.js with the tables of every locale
 * (ticketing/locales/<locale>/widget.json) prepended as one statement,
 * `window.__hdChatWidgetStrings = {...};`, written with \u escapes, so a page that is not
 * UTF-8 shows them right too. No second request, no inline script.
 */
(function () {
  "use strict";

  var HOST_ID = "hd-chat-widget";
  if (window.__hdChatWidget || document.getElementById(HOST_ID)) return; // included twice
  window.__hdChatWidget = true;

  // document.currentScript is only set while this file runs for the first time (also for
  // deferred scripts); the fallback covers unusual loaders.
  var script =
    document.currentScript ||
    Array.prototype.slice.call(document.scripts).filter(function (s) {
      return /\/widget\.js([?#]|$)/.test(s.src);
    })[0];
  if (!script || !script.src) return;

  var scriptUrl = new URL(script.src, location.href);
  // "https://hub.example/widget.js" -> "https://hub.example" (a path prefix is kept).
  var base = scriptUrl.origin + scriptUrl.pathname.replace(/\/widget\.js$/, "");

  var options = {
    base: base,
    hostId: HOST_ID,
    locale: script.getAttribute("data-locale") || navigator.language,
    title: script.getAttribute("data-title"),
    open: script.getAttribute("data-open") === "true",
    customer: {
      email: script.getAttribute("data-customer-email") || undefined,
      name: script.getAttribute("data-customer-name") || undefined,
      user_hash: script.getAttribute("data-user-hash") || undefined,
    },
    strings: window.__hdChatWidgetStrings || {},
  };

  import(base + "/static/widget/main.js").then(
    function (widget) {
      if (document.body) widget.start(options);
      else
        document.addEventListener("DOMContentLoaded", function () {
          widget.start(options);
        });
    },
    function (error) {
      window.__hdChatWidget = false; // including the tag again may work
      if (window.console) console.error("Helpdesk chat widget: could not load", error);
    }
  );
})();
