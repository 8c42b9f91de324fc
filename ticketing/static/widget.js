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
 *
 * Plain JavaScript (ES2017), no dependencies and no build step. The hub's base URL is taken
 * from this script's own src, so the widget talks to the hub that served it. The UI lives in
 * the Shadow DOM of a single host element (#hd-chat-widget): the page's CSS cannot reach it and
 * ours cannot leak out; every class is prefixed "hd-" as well.
 *
 * It speaks the public customer chat API (DESIGN.md, "Customer chat API"): messages arrive over
 * a WebSocket, with polling as the fallback while the socket is down. Message text is only ever
 * inserted with textContent / text nodes, never as HTML.
 */
(function () {
  "use strict";

  var HOST_ID = "hd-chat-widget";
  if (window.__hdChatWidget || document.getElementById(HOST_ID)) return; // included twice
  window.__hdChatWidget = true;

  // ---------------------------------------------------------------------------------------
  // Configuration
  // ---------------------------------------------------------------------------------------

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
  var BASE = scriptUrl.origin + scriptUrl.pathname.replace(/\/widget\.js$/, "");
  var WS_BASE = BASE.replace(/^http/, "ws");

  var MAX_LENGTH = 2000; // the hub's default MAX_MESSAGE_LENGTH
  var COUNTER_FROM = 1800; // show the character counter from here on
  var POLL_MS = 3000; // polling interval while the WebSocket is down
  var WS_BACKOFF_MIN_MS = 1000;
  var WS_BACKOFF_MAX_MS = 30000;
  var AGENT_TYPING_MS = 5000; // how long an agent typing signal stays visible
  var TYPING_SIGNAL_MS = 2000; // at most one customer typing signal per this many ms
  var HISTORY_PAGE = 200; // the API's default page size for GET .../messages

  var SESSION_KEY = "hd-chat:" + BASE; // {session_id, token, base}
  var UI_KEY = "hd-chat-ui:" + BASE; // {open}

  // ---------------------------------------------------------------------------------------
  // Translations: every UI string goes through t().
  // ---------------------------------------------------------------------------------------

  // Non-ASCII characters in strings are written as \u escapes (readable in the comments):
  // a page that embeds the widget may not be UTF-8, and the browser decodes the script with
  // the page's charset when the response does not name one.
  var STRINGS = {
    en: {
      title: "Customer service",
      launcher: "Chat with us",
      closeLauncher: "Hide chat",
      minimize: "Minimize chat",
      endChat: "End chat",
      messages: "Conversation",
      inputLabel: "Your message",
      placeholder: "Type your message\u2026",
      send: "Send",
      you: "You",
      bot: "Assistant",
      agent: "Agent",
      system: "Notice",
      typing: "typing\u2026",
      typingLabel: "The assistant is typing",
      empty: "Hi! Ask us anything about your order, delivery or returns.",
      queued: "Waiting for an agent \u2014 you are number {n} in the queue",
      queuedNoPosition: "Waiting for an agent",
      queuedTicket: "Waiting for an agent (ticket {ticket}) \u2014 you are number {n} in the queue",
      queuedTicketNoPosition: "Waiting for an agent (ticket {ticket})",
      agentStatus: "You are chatting with an agent",
      closed: "Chat ended",
      newChat: "Start a new chat",
      sending: "Sending\u2026",
      failed: "Not sent.",
      retry: "Retry",
      counter: "{n} / {max}",
      tooLong: "Your message is too long: at most {max} characters.",
      connecting: "Connecting\u2026",
      offline: "Connection lost. Reconnecting\u2026",
      unreachable: "We could not reach customer service. Please try again in a moment.",
      expired: "Your previous chat has expired, so a new one was started.",
      rejected: "Your message was not sent: {reason}",
      unread: "{n} new messages",
      feedbackQuestion: "Was this helpful?",
      helpfulYes: "Helpful",
      helpfulNo: "Not helpful",
      feedbackThanks: "Thanks for your feedback",
      feedbackFailed: "Your feedback was not sent. Please try again.",
      feedbackUnavailable: "This answer can no longer be rated.",
    },
    "zh-CN": {
      title: "\u5728\u7ebf\u5ba2\u670d",  // 在线客服
      launcher: "\u8054\u7cfb\u5ba2\u670d",  // 联系客服
      closeLauncher: "\u9690\u85cf\u804a\u5929\u7a97\u53e3",  // 隐藏聊天窗口
      minimize: "\u6700\u5c0f\u5316\u804a\u5929\u7a97\u53e3",  // 最小化聊天窗口
      endChat: "\u7ed3\u675f\u5bf9\u8bdd",  // 结束对话
      messages: "\u5bf9\u8bdd\u5185\u5bb9",  // 对话内容
      inputLabel: "\u60a8\u7684\u6d88\u606f",  // 您的消息
      placeholder: "\u8bf7\u8f93\u5165\u6d88\u606f\u2026",  // 请输入消息…
      send: "\u53d1\u9001",  // 发送
      you: "\u6211",  // 我
      bot: "\u667a\u80fd\u52a9\u624b",  // 智能助手
      agent: "\u5ba2\u670d",  // 客服
      system: "\u901a\u77e5",  // 通知
      typing: "\u6b63\u5728\u8f93\u5165\u2026",  // 正在输入…
      typingLabel: "\u667a\u80fd\u52a9\u624b\u6b63\u5728\u8f93\u5165",  // 智能助手正在输入
      empty: "\u60a8\u597d!\u6709\u5173\u8ba2\u5355\u3001\u914d\u9001\u6216\u9000\u8d27\u7684\u95ee\u9898\u90fd\u53ef\u4ee5\u95ee\u6211\u4eec\u3002",  // 您好!有关订单、配送或退货的问题都可以问我们。
      queued: "\u6b63\u5728\u7b49\u5f85\u4eba\u5de5\u5ba2\u670d,\u60a8\u5f53\u524d\u6392\u5728\u7b2c {n} \u4f4d",  // 正在等待人工客服,您当前排在第 {n} 位
      queuedNoPosition: "\u6b63\u5728\u7b49\u5f85\u4eba\u5de5\u5ba2\u670d",  // 正在等待人工客服
      queuedTicket: "\u6b63\u5728\u7b49\u5f85\u4eba\u5de5\u5ba2\u670d(\u5de5\u5355\u53f7 {ticket}),\u60a8\u5f53\u524d\u6392\u5728\u7b2c {n} \u4f4d",  // 正在等待人工客服(工单号 {ticket}),您当前排在第 {n} 位
      queuedTicketNoPosition: "\u6b63\u5728\u7b49\u5f85\u4eba\u5de5\u5ba2\u670d(\u5de5\u5355\u53f7 {ticket})",  // 正在等待人工客服(工单号 {ticket})
      agentStatus: "\u60a8\u6b63\u5728\u4e0e\u4eba\u5de5\u5ba2\u670d\u5bf9\u8bdd",  // 您正在与人工客服对话
      closed: "\u5bf9\u8bdd\u5df2\u7ed3\u675f",  // 对话已结束
      newChat: "\u5f00\u59cb\u65b0\u5bf9\u8bdd",  // 开始新对话
      sending: "\u53d1\u9001\u4e2d\u2026",  // 发送中…
      failed: "\u53d1\u9001\u5931\u8d25\u3002",  // 发送失败。
      retry: "\u91cd\u8bd5",  // 重试
      counter: "{n} / {max}",
      tooLong: "\u6d88\u606f\u8fc7\u957f:\u6700\u591a {max} \u4e2a\u5b57\u7b26\u3002",  // 消息过长:最多 {max} 个字符。
      connecting: "\u6b63\u5728\u8fde\u63a5\u2026",  // 正在连接…
      offline: "\u8fde\u63a5\u5df2\u65ad\u5f00,\u6b63\u5728\u91cd\u65b0\u8fde\u63a5\u2026",  // 连接已断开,正在重新连接…
      unreachable: "\u6682\u65f6\u65e0\u6cd5\u8fde\u63a5\u5ba2\u670d,\u8bf7\u7a0d\u540e\u518d\u8bd5\u3002",  // 暂时无法连接客服,请稍后再试。
      expired: "\u4e4b\u524d\u7684\u5bf9\u8bdd\u5df2\u8fc7\u671f,\u5df2\u4e3a\u60a8\u5f00\u59cb\u65b0\u7684\u5bf9\u8bdd\u3002",  // 之前的对话已过期,已为您开始新的对话。
      rejected: "\u6d88\u606f\u672a\u53d1\u9001:{reason}",  // 消息未发送:{reason}
      unread: "{n} \u6761\u65b0\u6d88\u606f",  // {n} 条新消息
      feedbackQuestion: "\u8fd9\u4e2a\u56de\u7b54\u6709\u5e2e\u52a9\u5417?",  // 这个回答有帮助吗?
      helpfulYes: "\u6709\u5e2e\u52a9",  // 有帮助
      helpfulNo: "\u6ca1\u6709\u5e2e\u52a9",  // 没有帮助
      feedbackThanks: "\u611f\u8c22\u60a8\u7684\u53cd\u9988",  // 感谢您的反馈
      feedbackFailed: "\u53cd\u9988\u672a\u80fd\u53d1\u9001,\u8bf7\u91cd\u8bd5\u3002",  // 反馈未能发送,请重试。
      feedbackUnavailable: "\u6b64\u56de\u7b54\u5df2\u65e0\u6cd5\u8bc4\u4ef7\u3002",  // 此回答已无法评价。
    },
  };

  function pickLocale(tag) {
    return /^zh/i.test(tag || "") ? "zh-CN" : "en";
  }

  var LOCALE = pickLocale(script.getAttribute("data-locale") || navigator.language);

  function t(key, values) {
    var text = STRINGS[LOCALE][key] || STRINGS.en[key] || key;
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return values && values[name] != null ? String(values[name]) : whole;
    });
  }

  var TITLE = script.getAttribute("data-title") || t("title");
  var OPEN_BY_DEFAULT = script.getAttribute("data-open") === "true";

  // ---------------------------------------------------------------------------------------
  // Small helpers
  // ---------------------------------------------------------------------------------------

  function load(key) {
    try {
      return JSON.parse(window.localStorage.getItem(key));
    } catch (e) {
      return null; // storage disabled (private mode, sandboxed frame) or garbage
    }
  }

  function save(key, value) {
    try {
      if (value == null) window.localStorage.removeItem(key);
      else window.localStorage.setItem(key, JSON.stringify(value));
    } catch (e) {
      /* the chat still works, it just will not survive a reload */
    }
  }

  /** A random Idempotency-Key; crypto.randomUUID needs a secure context, so fall back. */
  function newKey() {
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
  function charCount(text) {
    return Array.from(text).length;
  }

  /** Creates an element; attributes are set with setAttribute, children appended as nodes. */
  function h(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === false || value == null) return;
      if (name === "text") node.textContent = value;
      else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  /** A speech-bubble icon, built with DOM calls (no markup strings). */
  function chatIcon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "28");
    svg.setAttribute("height", "28");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute(
      "d",
      "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z"
    );
    svg.appendChild(path);
    return svg;
  }

  var URL_RE = /\bhttps?:\/\/[^\s<>"']+/gi;

  /**
   * Appends ``text`` to ``parent`` as text nodes, turning http(s) URLs into links. Line breaks
   * stay in the text nodes and are shown by CSS (white-space: pre-wrap).
   */
  function appendRichText(parent, text) {
    var last = 0;
    text.replace(URL_RE, function (match, offset) {
      // Punctuation right after a URL ("see https://x.example/a.") belongs to the sentence.
      var url = match.replace(/[.,;:!?)\]}'"]+$/, "");
      var safe = null;
      try {
        var parsed = new URL(url);
        if (parsed.protocol === "http:" || parsed.protocol === "https:") safe = parsed.href;
      } catch (e) {
        /* not a URL after all */
      }
      if (!safe) return match;
      parent.appendChild(document.createTextNode(text.slice(last, offset)));
      parent.appendChild(
        h("a", { href: safe, target: "_blank", rel: "noopener noreferrer", text: url })
      );
      last = offset + url.length;
      return match;
    });
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function formatTime(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) return null;
    return {
      short: date.toLocaleTimeString(LOCALE, { hour: "2-digit", minute: "2-digit" }),
      full: date.toLocaleString(LOCALE),
    };
  }

  // ---------------------------------------------------------------------------------------
  // HTTP
  // ---------------------------------------------------------------------------------------

  /** An API failure; status 0 means the hub could not be reached at all. */
  function ApiError(status, code, message) {
    this.status = status;
    this.code = code;
    this.message = message;
    // 401/403/404 on a stored session: it is gone (expired, deleted, another hub's token).
    this.sessionGone = status === 401 || status === 403 || status === 404;
    this.retryable = status === 0 || status === 408 || status === 429 || status >= 500;
  }
  ApiError.prototype = Object.create(Error.prototype);

  function api(method, path, options) {
    options = options || {};
    var headers = { Accept: "application/json" };
    if (options.token) headers.Authorization = "Bearer " + options.token;
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    Object.assign(headers, options.headers || {});
    return fetch(BASE + path, {
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
      throw new ApiError(
        response.status,
        err.code || "http_" + response.status,
        err.message || response.statusText || "HTTP " + response.status
      );
    }
  }

  function sessionPath(session, suffix) {
    return "/api/chat/sessions/" + encodeURIComponent(session.session_id) + (suffix || "");
  }

  // ---------------------------------------------------------------------------------------
  // State
  // ---------------------------------------------------------------------------------------

  var state = {
    session: null, // {session_id, token, base}
    creating: null, // promise while a session is being created
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
    ws: null,
    wsLive: false,
    wsAttempts: 0,
    wsTimer: null,
    pollTimer: null,
  };

  // ---------------------------------------------------------------------------------------
  // DOM
  // ---------------------------------------------------------------------------------------

  var host = h("div", { id: HOST_ID, "data-hd-base": BASE });
  // Hidden until the stylesheet has loaded, so the page never shows unstyled widget markup.
  // (Set through the CSSOM, which a page's Content-Security-Policy does not block.)
  host.style.display = "none";
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;

  var stylesheet = h("link", { rel: "stylesheet", href: BASE + "/static/widget.css" });
  stylesheet.addEventListener("load", reveal);
  stylesheet.addEventListener("error", reveal); // better unstyled than missing
  function reveal() {
    host.style.display = "";
  }

  var ui = {};
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
    h("h2", { class: "hd-title", id: "hd-title", text: TITLE }),
    h("div", { class: "hd-header-actions" }, [ui.endButton, ui.minButton]),
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
      lang: LOCALE,
    },
    [ui.header, ui.status, ui.notice, ui.scroll, ui.form]
  );
  ui.root = h("div", { class: "hd-root", lang: LOCALE }, [ui.panel, ui.launcher]);

  // ---------------------------------------------------------------------------------------
  // Panel
  // ---------------------------------------------------------------------------------------

  function openPanel(byUser) {
    state.open = true;
    ui.panel.hidden = false;
    ui.root.classList.add("hd-is-open");
    ui.launcher.setAttribute("aria-expanded", "true");
    ui.launcherLabel.textContent = t("closeLauncher");
    state.unread = 0;
    renderBadge();
    save(UI_KEY, { open: true });
    scrollToBottom();
    if (byUser) ui.input.focus();
    ensureSession().catch(function () {
      /* shown in the notice; the next send tries again */
    });
  }

  function closePanel(byUser) {
    state.open = false;
    ui.panel.hidden = true;
    ui.root.classList.remove("hd-is-open");
    ui.launcher.setAttribute("aria-expanded", "false");
    ui.launcherLabel.textContent = t("launcher");
    renderBadge();
    save(UI_KEY, { open: false });
    if (byUser) ui.launcher.focus();
  }

  function renderBadge() {
    ui.badge.hidden = state.unread === 0;
    ui.badge.textContent = state.unread > 9 ? "9+" : String(state.unread);
    var label = ui.launcherLabel.textContent;
    if (state.unread) label += " \u2014 " + t("unread", { n: state.unread });
    ui.launcher.setAttribute("aria-label", label);
  }

  function showNotice(text) {
    ui.notice.textContent = text || "";
    ui.notice.hidden = !text;
  }

  function isNearBottom() {
    var s = ui.scroll;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
  }

  function scrollToBottom() {
    ui.scroll.scrollTop = ui.scroll.scrollHeight;
  }

  // ---------------------------------------------------------------------------------------
  // Messages
  // ---------------------------------------------------------------------------------------

  var SENDER_LABEL = { customer: "you", bot: "bot", agent: "agent", system: "system" };

  function messageNode(message) {
    var sender = SENDER_LABEL[message.sender] ? message.sender : "system";
    var li = h("li", {
      class: "hd-msg hd-msg--" + sender,
      "data-id": String(message.id),
      "data-sender": sender,
    });
    // Bot and agent get a visible label; the customer's and system lines get one for screen
    // readers only (the customer's side is obvious, system notices stand on their own).
    li.appendChild(
      h("span", {
        class: sender === "bot" || sender === "agent" ? "hd-msg-label" : "hd-sr-only",
        text: t(SENDER_LABEL[sender]),
      })
    );
    if (message.text) {
      var bubble = h("div", { class: "hd-bubble" });
      appendRichText(bubble, String(message.text));
      li.appendChild(bubble);
    }
    if (message.buttons && message.buttons.length) {
      var group = h("div", { class: "hd-buttons", role: "group" });
      message.buttons.forEach(function (button) {
        var title = String(button.title || button.payload || "");
        group.appendChild(
          h("button", {
            type: "button",
            class: "hd-choice",
            text: title,
            onclick: function () {
              state.clickedGroups.add(message.id);
              refreshButtonGroups();
              send(title, String(button.payload || title));
            },
          })
        );
      });
      li.appendChild(group);
    }
    var time = formatTime(message.created_at);
    if (time) {
      li.appendChild(
        h("time", { class: "hd-time", datetime: message.created_at, title: time.full, text: time.short })
      );
    }
    if (isRateable(message)) li.appendChild(feedbackNode(message));
    return li;
  }

  /** Inserts messages we have not seen yet, in id order; returns how many were new. */
  function addMessages(messages) {
    var stick = isNearBottom();
    var added = 0;
    var unseenFromOthers = 0;
    (messages || []).forEach(function (message) {
      if (!message || typeof message.id !== "number") return;
      if (state.messages.has(message.id)) {
        updateMessage(message); // seen before: only its rating can have changed
        return;
      }
      state.messages.set(message.id, message);
      var node = messageNode(message);
      state.nodes.set(message.id, node);
      ui.list.insertBefore(node, nodeAfter(message.id));
      state.lastId = Math.max(state.lastId, message.id);
      if (message.sender === "customer") {
        state.lastCustomerId = Math.max(state.lastCustomerId, message.id);
        settleEcho(message);
        stick = true;
      } else if (state.historyLoaded) {
        unseenFromOthers++;
      }
      added++;
    });
    if (!added) return 0;
    ui.empty.hidden = true;
    refreshButtonGroups();
    if (!state.open && unseenFromOthers) {
      state.unread += unseenFromOthers;
      renderBadge();
    }
    if (stick) scrollToBottom();
    return added;
  }

  /** The node a message with ``id`` goes before: the next higher id, else the first pending. */
  function nodeAfter(id) {
    var best = null;
    var bestId = Infinity;
    state.nodes.forEach(function (node, otherId) {
      if (otherId > id && otherId < bestId) {
        best = node;
        bestId = otherId;
      }
    });
    if (best) return best;
    var pending = ui.list.querySelector(".hd-msg--pending");
    return pending || null;
  }

  /** Buttons can be used once: not after a click, and not once the customer wrote again. */
  function refreshButtonGroups() {
    state.nodes.forEach(function (node, id) {
      var spent = state.clickedGroups.has(id) || state.lastCustomerId > id;
      Array.prototype.forEach.call(node.querySelectorAll(".hd-choice"), function (button) {
        button.disabled = spent;
      });
    });
  }

  function clearMessages() {
    state.messages.clear();
    state.nodes.clear();
    state.clickedGroups.clear();
    state.feedback.clear();
    state.lastId = 0;
    state.lastCustomerId = 0;
    state.historyLoaded = false;
    Array.prototype.slice.call(ui.list.querySelectorAll(".hd-msg:not(.hd-msg--pending)")).forEach(
      function (node) {
        node.remove();
      }
    );
    ui.empty.hidden = state.pending.length > 0;
  }

  // ---------------------------------------------------------------------------------------
  // "Was this helpful?" under the assistant's rateable answers
  // ---------------------------------------------------------------------------------------

  var THUMBS_UP = "\uD83D\uDC4D"; // 👍
  var THUMBS_DOWN = "\uD83D\uDC4E"; // 👎

  function isRateable(message) {
    return message.sender === "bot" && message.rateable === true;
  }

  function helpfulValue(value) {
    return typeof value === "boolean" ? value : null;
  }

  /**
   * The feedback line of one answer. Its state: ``helpful`` as the hub last told us,
   * ``choice`` the customer's click not yet confirmed (shown meanwhile), ``busy`` while a
   * request runs, ``error`` a string key, ``closed`` once the hub refused it for good.
   */
  function feedbackNode(message) {
    var fb = {
      id: message.id,
      helpful: helpfulValue(message.helpful),
      choice: null,
      busy: false,
      error: null,
      closed: false,
    };
    var questionId = "hd-feedback-" + message.id;
    fb.question = h("span", { class: "hd-feedback-question", id: questionId, text: t("feedbackQuestion") });
    fb.yes = feedbackButton(fb, true);
    fb.no = feedbackButton(fb, false);
    fb.status = h("span", { class: "hd-feedback-status", role: "status" });
    fb.node = h("div", { class: "hd-feedback", role: "group", "aria-labelledby": questionId }, [
      fb.question,
      fb.yes,
      fb.no,
      fb.status,
    ]);
    state.feedback.set(message.id, fb);
    renderFeedback(fb);
    return fb.node;
  }

  function feedbackButton(fb, helpful) {
    var label = t(helpful ? "helpfulYes" : "helpfulNo");
    return h(
      "button",
      {
        type: "button",
        class: "hd-feedback-button " + (helpful ? "hd-feedback-yes" : "hd-feedback-no"),
        "aria-label": label,
        "aria-pressed": "false",
        title: label,
        onclick: function () {
          rateAnswer(fb, helpful);
        },
      },
      [h("span", { "aria-hidden": "true", text: helpful ? THUMBS_UP : THUMBS_DOWN })]
    );
  }

  /** Attributes and texts only: the buttons stay the same nodes, so focus stays put. */
  function renderFeedback(fb) {
    var shown = fb.choice !== null ? fb.choice : fb.helpful;
    fb.yes.setAttribute("aria-pressed", String(shown === true));
    fb.no.setAttribute("aria-pressed", String(shown === false));
    fb.node.classList.toggle("hd-feedback--rated", shown !== null);
    if (fb.busy) fb.node.setAttribute("aria-busy", "true");
    else fb.node.removeAttribute("aria-busy");
    var text = fb.error ? t(fb.error) : shown !== null ? t("feedbackThanks") : "";
    if (fb.status.textContent !== text) fb.status.textContent = text;
    fb.status.classList.toggle("hd-feedback-error", !!fb.error);
    if (fb.closed) {
      var focused = root.activeElement === fb.yes || root.activeElement === fb.no;
      fb.question.hidden = fb.yes.hidden = fb.no.hidden = true;
      if (focused) ui.input.focus();
    }
  }

  /** A click on 👍 or 👎; a new choice replaces the earlier one. */
  function rateAnswer(fb, helpful) {
    if (fb.closed) return;
    var shown = fb.choice !== null ? fb.choice : fb.helpful;
    if (shown === helpful && !fb.error) return; // already the customer's rating
    fb.choice = helpful;
    fb.error = null;
    renderFeedback(fb);
    if (!fb.busy) sendFeedback(fb);
  }

  /**
   * POSTs the customer's choice. One request at a time per answer: a click while one runs is
   * sent when it returns (so the hub keeps the last choice, whatever order requests race in).
   */
  async function sendFeedback(fb) {
    var session = state.session;
    var epoch = state.epoch;
    if (!session) return;
    fb.busy = true;
    renderFeedback(fb);
    try {
      while (fb.choice !== null) {
        var helpful = fb.choice;
        var data = await api(
          "POST",
          sessionPath(session, "/messages/" + encodeURIComponent(fb.id) + "/feedback"),
          { token: session.token, body: { helpful: helpful } }
        );
        if (epoch !== state.epoch) return;
        var rated = data && data.message;
        fb.helpful = rated && typeof rated.helpful === "boolean" ? rated.helpful : helpful;
        if (rated && rated.id === fb.id) state.messages.set(fb.id, rated);
        if (fb.choice === helpful || fb.choice === fb.helpful) fb.choice = null; // settled
        // A 👎 may bring the bot's follow-up (other topics, "Talk to a person"); the same
        // messages also come over the socket, and addMessages drops whichever is second.
        addMessages(data && data.messages);
      }
    } catch (error) {
      if (epoch !== state.epoch) return;
      fb.choice = null; // show what the hub has, which did not change
      if (error.status === 404 || error.status === 409) {
        fb.closed = true; // no such answer, or not one that can be rated
        fb.error = "feedbackUnavailable";
      } else {
        fb.error = "feedbackFailed"; // the buttons stay usable: the next click tries again
      }
    } finally {
      if (epoch === state.epoch) {
        fb.busy = false;
        renderFeedback(fb);
      }
    }
  }

  /** A message we already show arrived again (socket, history, a feedback answer). */
  function updateMessage(message) {
    if (!isRateable(message)) return;
    var fb = state.feedback.get(message.id);
    if (!fb) {
      var node = state.nodes.get(message.id);
      var known = state.messages.get(message.id);
      if (!node || !known || known.sender !== "bot") return;
      node.appendChild(feedbackNode(message)); // it became rateable after we first saw it
    } else if (!fb.closed) {
      fb.helpful = helpfulValue(message.helpful);
      // While the customer's own choice is on its way, that choice stays on screen.
      if (fb.choice === fb.helpful) fb.choice = null;
      renderFeedback(fb);
    }
    state.messages.set(message.id, message);
  }

  // ---------------------------------------------------------------------------------------
  // Status
  // ---------------------------------------------------------------------------------------

  function applyStatus(data) {
    if (!data || !data.status) return;
    state.status = data.status;
    state.ticket = data.ticket || null;
    state.queuePosition = data.queue_position == null ? null : data.queue_position;
    renderStatus();
  }

  function renderStatus() {
    var text = "";
    var ticket = state.ticket && state.ticket.number;
    var n = state.queuePosition;
    if (state.status === "queued") {
      if (ticket) text = t(n != null ? "queuedTicket" : "queuedTicketNoPosition", { ticket: ticket, n: n });
      else text = t(n != null ? "queued" : "queuedNoPosition", { n: n });
    } else if (state.status === "agent") {
      text = t("agentStatus");
    } else if (state.status === "closed") {
      text = t("closed");
    }
    ui.statusText.textContent = text;
    ui.status.hidden = !text;
    ui.status.setAttribute("data-status", state.status || "");
    ui.newChatButton.hidden = state.status !== "closed";
    ui.endButton.disabled = !state.session || state.status === "closed";
  }

  // ---------------------------------------------------------------------------------------
  // Session
  // ---------------------------------------------------------------------------------------

  function validStored(stored) {
    return (
      stored &&
      typeof stored.session_id === "string" &&
      typeof stored.token === "string" &&
      stored.base === BASE
    );
  }

  /** The current session, creating one on first use (concurrent callers share the request). */
  function ensureSession() {
    if (state.session) return Promise.resolve(state.session);
    if (!state.creating) {
      state.creating = createSession().finally(function () {
        state.creating = null;
      });
    }
    return state.creating;
  }

  async function createSession() {
    var epoch = state.epoch;
    showNotice(t("connecting"));
    var data;
    try {
      data = await api("POST", "/api/chat/sessions", { body: { locale: LOCALE } });
    } catch (error) {
      showNotice(t("unreachable"));
      throw error;
    }
    if (epoch !== state.epoch) return ensureSession(); // replaced meanwhile; use the newer one
    state.session = { session_id: data.session_id, token: data.token, base: BASE };
    save(SESSION_KEY, state.session);
    showNotice("");
    applyStatus(data);
    addMessages(data.messages);
    state.historyLoaded = true;
    connectSocket();
    return state.session;
  }

  /** Picks up a stored session after a reload: history, status, then live updates. */
  async function resumeSession(stored) {
    state.session = stored;
    renderStatus();
    connectSocket();
    var epoch = state.epoch;
    try {
      var results = await Promise.all([
        api("GET", sessionPath(stored), { token: stored.token }),
        fetchMessagesAfter(0),
      ]);
      if (epoch !== state.epoch) return;
      applyStatus(results[0]);
      showNotice("");
    } catch (error) {
      if (epoch !== state.epoch) return;
      if (error.sessionGone) {
        await startNewSession(t("expired"));
        return;
      }
      showNotice(t("offline")); // polling keeps trying while the socket is down
    } finally {
      if (epoch === state.epoch) state.historyLoaded = true;
    }
  }

  /**
   * Forgets the current session (the hub keeps its transcript) and starts a fresh one when
   * the panel is open or a message is waiting to be sent; otherwise on the next open.
   */
  async function startNewSession(notice) {
    state.epoch++;
    disconnectSocket();
    state.session = null;
    state.creating = null;
    save(SESSION_KEY, null);
    state.status = null;
    state.ticket = null;
    state.queuePosition = null;
    clearMessages();
    renderStatus();
    if (!state.open && !state.pending.length) return null;
    try {
      var session = await ensureSession();
      if (notice) showNotice(notice);
      if (state.open) ui.input.focus();
      return session;
    } catch (error) {
      return null; // the notice says the hub is unreachable; the next send tries again
    }
  }

  /** GET .../messages?after=ID, page after page, until the hub has no more. */
  async function fetchMessagesAfter(after) {
    var session = state.session;
    var epoch = state.epoch;
    for (;;) {
      var data = await api(
        "GET",
        sessionPath(session, "/messages?after=" + after + "&limit=" + HISTORY_PAGE),
        { token: session.token }
      );
      if (epoch !== state.epoch) return;
      var messages = (data && data.messages) || [];
      addMessages(messages);
      if (messages.length < HISTORY_PAGE) return;
      after = messages[messages.length - 1].id;
    }
  }

  async function endChat() {
    var session = state.session;
    if (!session) return;
    var epoch = state.epoch;
    ui.endButton.disabled = true;
    try {
      var data = await api("POST", sessionPath(session, "/close"), { token: session.token });
      if (epoch !== state.epoch) return;
      applyStatus(data);
      ui.newChatButton.focus();
      // The goodbye message comes over the socket too; fetch it in case the socket is down.
      await fetchMessagesAfter(state.lastId);
    } catch (error) {
      if (epoch !== state.epoch) return;
      if (error.sessionGone) {
        await startNewSession(t("expired"));
      } else if (state.status !== "closed") {
        ui.endButton.disabled = false;
        showNotice(t("unreachable"));
      }
    }
  }

  // ---------------------------------------------------------------------------------------
  // Live updates: WebSocket, with polling while it is down
  // ---------------------------------------------------------------------------------------

  function connectSocket() {
    clearTimeout(state.wsTimer);
    state.wsTimer = null;
    if (!state.session || state.ws) return;
    var session = state.session;
    var epoch = state.epoch;
    var ws;
    try {
      ws = new WebSocket(
        WS_BASE + sessionPath(session, "/ws") + "?token=" + encodeURIComponent(session.token)
      );
    } catch (e) {
      startPolling();
      scheduleReconnect();
      return;
    }
    state.ws = ws;
    ws.onopen = function () {
      if (epoch !== state.epoch) return ws.close();
      state.wsLive = true;
      state.wsAttempts = 0;
      stopPolling();
      showNotice("");
      // The socket pushes only what happens from now on: fetch what we missed meanwhile.
      fetchMessagesAfter(state.lastId).catch(function () {});
    };
    ws.onmessage = function (event) {
      if (epoch !== state.epoch) return;
      var data;
      try {
        data = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (data.type === "message") {
        if (data.message && data.message.sender === "agent") agentTyping(false);
        addMessages([data.message]);
      } else if (data.type === "status") applyStatus(data);
      else if (data.type === "typing" && data.sender === "agent") agentTyping(true);
    };
    ws.onclose = function () {
      if (state.ws === ws) state.ws = null;
      state.wsLive = false;
      if (epoch !== state.epoch) return;
      startPolling();
      scheduleReconnect();
    };
    ws.onerror = function () {}; // always followed by close, which does the work
  }

  function scheduleReconnect() {
    if (state.wsTimer || !state.session) return;
    // Exponential backoff with jitter, so many widgets do not reconnect in lock-step.
    var delay = Math.min(WS_BACKOFF_MAX_MS, WS_BACKOFF_MIN_MS * Math.pow(2, state.wsAttempts));
    delay *= 0.75 + Math.random() * 0.5;
    state.wsAttempts++;
    state.wsTimer = setTimeout(connectSocket, delay);
  }

  function disconnectSocket() {
    clearTimeout(state.wsTimer);
    state.wsTimer = null;
    stopPolling();
    if (state.ws) {
      var ws = state.ws;
      state.ws = null;
      ws.onclose = null;
      ws.close();
    }
    state.wsLive = false;
    state.wsAttempts = 0;
  }

  function startPolling() {
    if (state.pollTimer || !state.session) return;
    state.pollTimer = setTimeout(poll, POLL_MS);
  }

  function stopPolling() {
    clearTimeout(state.pollTimer);
    state.pollTimer = null;
  }

  async function poll() {
    var session = state.session;
    var epoch = state.epoch;
    if (!session || state.wsLive) {
      state.pollTimer = null;
      return;
    }
    try {
      var results = await Promise.all([
        api("GET", sessionPath(session), { token: session.token }),
        fetchMessagesAfter(state.lastId),
      ]);
      if (epoch !== state.epoch) return;
      applyStatus(results[0]);
      showNotice("");
    } catch (error) {
      if (epoch !== state.epoch) return;
      if (error.sessionGone) {
        state.pollTimer = null;
        await startNewSession(t("expired"));
        return;
      }
      showNotice(t("offline"));
    }
    state.pollTimer = state.wsLive ? null : setTimeout(poll, POLL_MS);
  }

  // ---------------------------------------------------------------------------------------
  // Sending
  // ---------------------------------------------------------------------------------------

  /** Sends a typed message (payload null) or a clicked button (payload, text = its title). */
  function send(text, payload) {
    var item = { key: newKey(), text: text, payload: payload || null, sending: false, echoed: false };
    item.node = h("li", {
      class: "hd-msg hd-msg--customer hd-msg--pending",
      "data-sender": "customer",
      "data-pending-key": item.key,
    });
    item.node.appendChild(h("span", { class: "hd-sr-only", text: t("you") }));
    var bubble = h("div", { class: "hd-bubble" });
    appendRichText(bubble, text);
    item.node.appendChild(bubble);
    item.stateNode = h("div", { class: "hd-msg-state" });
    item.node.appendChild(item.stateNode);
    state.pending.push(item);
    ui.list.appendChild(item.node);
    ui.empty.hidden = true;
    scrollToBottom();
    deliver(item, false);
  }

  function setPendingState(item, kind, reason) {
    var node = item.stateNode;
    while (node.firstChild) node.removeChild(node.firstChild);
    item.node.classList.toggle("hd-msg--failed", kind === "failed");
    if (kind === "sending") {
      node.appendChild(document.createTextNode(t("sending")));
      return;
    }
    node.appendChild(h("span", { text: reason ? t("rejected", { reason: reason }) : t("failed") }));
    node.appendChild(document.createTextNode(" "));
    node.appendChild(
      h("button", {
        type: "button",
        class: "hd-retry",
        text: t("retry"),
        onclick: function () {
          deliver(item, false);
        },
      })
    );
  }

  function dropPending(item) {
    state.pending = state.pending.filter(function (other) {
      return other !== item;
    });
    if (item.node.parentNode) item.node.remove();
  }

  /**
   * The hub published our message over the WebSocket before the POST answered: the real
   * bubble replaces the pending one (the POST answer then only adds the replies).
   */
  function settleEcho(message) {
    var text = String(message.text || "").trim();
    for (var i = 0; i < state.pending.length; i++) {
      var item = state.pending[i];
      if (item.sending && !item.echoed && item.text.trim() === text) {
        item.echoed = true;
        if (item.node.parentNode) item.node.remove();
        return;
      }
    }
  }

  /** POSTs a pending message; on failure it stays with a Retry that reuses its key. */
  async function deliver(item, afterReset) {
    if (item.sending) return;
    item.sending = true;
    setPendingState(item, "sending");
    state.inflight++;
    updateTyping();
    var session = null;
    var resend = false;
    try {
      session = await ensureSession();
      var body = item.payload ? { payload: item.payload, text: item.text } : { text: item.text };
      var data = await api("POST", sessionPath(session, "/messages"), {
        token: session.token,
        body: body,
        // The same key on every retry: the hub stores the message once and replays its answer.
        headers: { "Idempotency-Key": item.key },
      });
      dropPending(item);
      if (session === state.session) addMessages(data && data.messages);
    } catch (error) {
      if (!(error instanceof ApiError)) error = new ApiError(0, "network", String(error));
      if (item.echoed) {
        // The hub stored it (it came back over the socket); only the answer was lost.
        dropPending(item);
        if (session === state.session) fetchMessagesAfter(state.lastId).catch(function () {});
      } else if (error.sessionGone && session && !afterReset) {
        resend = true; // the session is gone, so nothing was stored: send it in a new one
      } else {
        setPendingState(item, "failed", error.retryable || error.sessionGone ? null : error.message);
      }
    } finally {
      item.sending = false;
      state.inflight--;
      updateTyping();
    }
    if (resend) {
      await startNewSession(t("expired"));
      await deliver(item, true);
    }
  }

  // The agent is typing: shown for a few seconds after each signal (they repeat while typing).
  function agentTyping(on) {
    clearTimeout(state.agentTypingTimer);
    state.agentTyping = on;
    if (on) {
      state.agentTypingTimer = setTimeout(function () {
        state.agentTyping = false;
        updateTyping();
      }, AGENT_TYPING_MS);
    }
    updateTyping();
  }

  // Tell the agent the customer is typing (at most every TYPING_SIGNAL_MS, only with an agent).
  function signalTyping() {
    if (!state.ws || !state.wsLive || state.status !== "agent") return;
    var now = Date.now();
    if (now - (state.typingSentAt || 0) < TYPING_SIGNAL_MS) return;
    state.typingSentAt = now;
    try {
      state.ws.send(JSON.stringify({ type: "typing" }));
    } catch (e) {
      /* the socket is closing: nothing to tell */
    }
  }

  function updateTyping() {
    var show = state.inflight > 0 || !!state.agentTyping;
    if (show === !ui.typing.hidden) return;
    var stick = isNearBottom();
    ui.typing.hidden = !show;
    if (stick) scrollToBottom();
  }

  // ---------------------------------------------------------------------------------------
  // Composer
  // ---------------------------------------------------------------------------------------

  function refreshComposer() {
    var value = ui.input.value;
    var n = charCount(value);
    var over = n > MAX_LENGTH;
    ui.sendButton.disabled = !value.trim() || over;
    ui.counter.hidden = n < COUNTER_FROM;
    var counter = t("counter", { n: n, max: MAX_LENGTH });
    ui.counter.textContent = over ? t("tooLong", { max: MAX_LENGTH }) + " " + counter : counter;
    ui.counter.classList.toggle("hd-over", over);
    if (over) ui.input.setAttribute("aria-invalid", "true");
    else ui.input.removeAttribute("aria-invalid");
    autosize();
  }

  /** Lets the textarea grow with its text (up to the CSS max-height). */
  function autosize() {
    var input = ui.input;
    input.style.height = "";
    if (!input.value || !input.scrollHeight) return; // empty, or not rendered yet
    var borders = input.offsetHeight - input.clientHeight;
    input.style.height = input.scrollHeight + borders + "px";
  }

  function submit() {
    var text = ui.input.value.trim();
    if (!text || charCount(ui.input.value) > MAX_LENGTH) return;
    ui.input.value = "";
    refreshComposer();
    send(text, null);
  }

  ui.form.addEventListener("submit", function (event) {
    event.preventDefault();
    submit();
  });
  ui.input.addEventListener("input", function () {
    refreshComposer();
    if (ui.input.value.trim()) signalTyping();
  });
  ui.input.addEventListener("keydown", function (event) {
    // Enter sends, Shift+Enter is a new line; Enter that confirms an IME composition (Chinese
    // input methods) must not send.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      submit();
    }
  });
  ui.panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closePanel(true);
  });
  window.addEventListener("online", function () {
    if (state.session && !state.ws) {
      state.wsAttempts = 0;
      connectSocket();
    }
  });

  // ---------------------------------------------------------------------------------------
  // Start
  // ---------------------------------------------------------------------------------------

  function start() {
    root.appendChild(stylesheet);
    root.appendChild(ui.root);
    document.body.appendChild(host);
    refreshComposer();
    renderStatus();
    renderBadge();

    var stored = load(SESSION_KEY);
    if (validStored(stored)) resumeSession(stored);
    else if (stored) save(SESSION_KEY, null);

    var uiState = load(UI_KEY);
    var open = uiState && typeof uiState.open === "boolean" ? uiState.open : OPEN_BY_DEFAULT;
    if (open) openPanel(false);
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
