/*
 * Helpdesk customer chat widget: what its modules share. widget.js (a classic script, the one
 * tag a page embeds) reads its own tag and the texts, then imports main.js, which calls
 * configure() here first.
 *
 * Native ES modules loaded from the hub that served widget.js (cross-origin on a shop's site:
 * the hub serves them with a CORS header, ticketing/web/pages.py), no dependencies and no
 * build step. The UI lives in the Shadow DOM of a single host element (#hd-chat-widget): the
 * page's CSS cannot reach it and ours cannot leak out; every class is prefixed "hd-" as well.
 *
 * It speaks the public customer chat API (DESIGN.md, "Customer chat API"): messages arrive over
 * a WebSocket, with polling as the fallback while the socket is down (live.js). Message text is
 * only ever inserted with textContent / text nodes, never as HTML. No chat starts before the
 * customer accepted the hub's privacy notice (consent.js).
 */

// the widget's modules take these from here
export { appendRichText, h } from "../dom.js";

// ---------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------

export var MAX_LENGTH = 2000; // the hub's default MAX_MESSAGE_LENGTH
export var COUNTER_FROM = 1800; // show the character counter from here on
export var POLL_MS = 3000; // polling interval while the WebSocket is down
export var AGENT_TYPING_MS = 5000; // how long an agent typing signal stays visible
export var TYPING_SIGNAL_MS = 2000; // at most one customer typing signal per this many ms
export var HISTORY_PAGE = 200; // the API's default page size for GET .../messages

/** Set once by configure(), before anything else runs. */
export var config = {
  hostId: "hd-chat-widget",
  base: "", // "https://hub.example" (a path prefix is kept)
  wsBase: "",
  sessionKey: "", // localStorage: {session_id, token, base}
  uiKey: "", // localStorage: {open}
  locale: "en",
  title: "",
  openByDefault: false,
  customer: null, // {email, name, user_hash} of a signed-in customer (widget.js)
  strings: {}, // {locale: {key: text}}, from the hub (locales/<locale>/widget.json)
};

function pickLocale(tag) {
  return /^zh/i.test(tag || "") ? "zh-CN" : "en";
}

/** options: {base, hostId, locale, title, open, customer, strings} from widget.js. */
export function configure(options) {
  config.hostId = options.hostId || config.hostId;
  config.base = options.base;
  config.wsBase = options.base.replace(/^http/, "ws");
  config.sessionKey = "hd-chat:" + options.base;
  config.uiKey = "hd-chat-ui:" + options.base;
  config.strings = options.strings || {};
  config.locale = pickLocale(options.locale);
  config.title = options.title || t("title");
  config.openByDefault = options.open === true;
  var customer = options.customer || {};
  config.customer = customer.email ? customer : null;
}

// ---------------------------------------------------------------------------------------
// Translations: every UI string goes through t().
// ---------------------------------------------------------------------------------------

export function t(key, values) {
  var strings = config.strings;
  var text = (strings[config.locale] || {})[key] || (strings.en || {})[key] || key;
  return text.replace(/\{(\w+)\}/g, function (whole, name) {
    return values && values[name] != null ? String(values[name]) : whole;
  });
}

// ---------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------

export function load(key) {
  try {
    return JSON.parse(window.localStorage.getItem(key));
  } catch (e) {
    return null; // storage disabled (private mode, sandboxed frame) or garbage
  }
}

export function save(key, value) {
  try {
    if (value == null) window.localStorage.removeItem(key);
    else window.localStorage.setItem(key, JSON.stringify(value));
  } catch (e) {
    /* the chat still works, it just will not survive a reload */
  }
}

/** A random Idempotency-Key; crypto.randomUUID needs a secure context, so fall back. */
export function newKey() {
  if (window.crypto && crypto.randomUUID) {
    try {
      return crypto.randomUUID();
    } catch (e) {
      /* insecure context */
    }
  }
  var bytes = new Uint8Array(16);
  if (window.crypto && crypto.getRandomValues) crypto.getRandomValues(bytes);
  else for (var i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.prototype.map
    .call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    })
    .join("");
}

/** Length in code points, as the hub (Python) counts it. */
export function charCount(text) {
  return Array.from(text).length;
}

/** An icon from one SVG path (24×24 view box), built with DOM calls (no markup strings). */
export function svgIcon(pathData, size) {
  var ns = "http://www.w3.org/2000/svg";
  var svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", String(size));
  svg.setAttribute("height", String(size));
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  var path = document.createElementNS(ns, "path");
  path.setAttribute("fill", "currentColor");
  path.setAttribute("d", pathData);
  svg.appendChild(path);
  return svg;
}

/** A speech bubble. */
export function chatIcon() {
  return svgIcon(
    "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z",
    28
  );
}


export function formatTime(iso) {
  var date = new Date(iso);
  if (isNaN(date.getTime())) return null;
  return {
    short: date.toLocaleTimeString(config.locale, { hour: "2-digit", minute: "2-digit" }),
    full: date.toLocaleString(config.locale),
  };
}

// ---------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------

/** An API failure; status 0 means the hub could not be reached at all. */
export function ApiError(status, code, message, retryAfter, field) {
  this.status = status;
  this.code = code;
  this.message = message;
  // seconds the hub asked to wait (Retry-After on a 429), else null
  this.retryAfter = retryAfter || null;
  // the request field a 422 names ("consent.marketing" ...), else null
  this.field = field || null;
  // 401/403/404 on a stored session: it is gone (expired, deleted, another hub's token);
  // except a 403 consent_required: the session is fine, the privacy notice was not accepted.
  this.sessionGone =
    (status === 401 || status === 403 || status === 404) && code !== "consent_required";
  this.retryable = status === 0 || status === 408 || status === 429 || status >= 500;
}
ApiError.prototype = Object.create(Error.prototype);

export function api(method, path, options) {
  options = options || {};
  var headers = { Accept: "application/json" };
  if (options.token) headers.Authorization = "Bearer " + options.token;
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  Object.assign(headers, options.headers || {});
  return fetch(config.base + path, {
    method: method,
    headers: headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    credentials: "omit", // the bearer token is the only credential
    cache: "no-store",
  }).then(
    function (response) {
      return response.json().then(
        function (json) {
          return finish(response, json);
        },
        function () {
          return finish(response, null);
        }
      );
    },
    function (error) {
      throw new ApiError(0, "network", String((error && error.message) || error));
    }
  );

  function finish(response, json) {
    if (response.ok) return json;
    var err = (json && json.error) || {};
    var wait = parseInt(response.headers.get("Retry-After") || "", 10);
    throw new ApiError(
      response.status,
      err.code || "http_" + response.status,
      err.message || response.statusText || "HTTP " + response.status,
      wait > 0 ? wait : null,
      typeof err.field === "string" ? err.field : null
    );
  }
}

export function sessionPath(session, suffix) {
  return "/api/chat/sessions/" + encodeURIComponent(session.session_id) + (suffix || "");
}

// ---------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------

export var state = {
  session: null, // {session_id, token, base}
  creating: null, // promise while a session is being created (or its consent recorded)
  resuming: null, // promise while a stored session's state is fetched after a reload
  consented: null, // the session carries the privacy consent: true, false, null (not known)
  noticeChanged: false, // the hub's notice changed since the customer accepted (consent.js)
  consentFocus: false, // focus the notice's button once it is shown (the customer opened it)
  epoch: 0, // bumped whenever the session is replaced; stale async results are dropped
  status: null, // "bot" | "queued" | "agent" | "closed"
  ticket: null,
  queuePosition: null,
  messages: new Map(), // id -> message, as received
  nodes: new Map(), // id -> <li>
  lastId: 0, // highest message id seen
  lastCustomerId: 0, // highest id of a customer message (older button groups are spent)
  clickedGroups: new Set(), // ids of messages whose buttons were clicked
  feedback: new Map(), // id -> "Was this helpful?" state of a rateable answer (feedbackNode)
  pending: [], // outgoing messages not yet confirmed: {key, text, payload, node, echoed}
  inflight: 0, // POSTs waiting for an answer (drives the typing indicator)
  open: false,
  unread: 0,
  historyLoaded: false,
};
