/*
 * Agent console (/agent): the live queue, the conversation with the customer, the ticket and
 * the customer profile.
 *
 * Plain JavaScript (ES2017), no dependencies and no build step; the helpers and the API client
 * it shares with the supervisor console are in console-common.js, loaded before it. It speaks
 * the hub's agent API (session cookie; every write carries the X-CSRF-Token header) and one
 * WebSocket, /api/agent/ws, for live events; while that socket is down it polls every 5 s.
 *
 * Every visible string comes from the translation table the page embeds (#console-data, built
 * by ticketing/web/console_pages.py); text from customers, agents and the bot is only ever
 * inserted with textContent / text nodes, never as HTML.
 */
(function () {
  "use strict";

  // ---------------------------------------------------------------------------------------
  // Configuration and translations
  // ---------------------------------------------------------------------------------------

  var HC = window.HelpdeskConsole; // console-common.js, loaded first
  var i18n = HC.localize(HC.readConfig());
  var LOCALE = i18n.locale;
  var t = i18n.t;
  var label = i18n.label;

  var POLL_MS = 5000; // polling interval while the WebSocket is down
  var WS_BACKOFF_MIN_MS = 1000;
  var WS_BACKOFF_MAX_MS = 30000;
  var TYPING_EVERY_MS = 2000; // at most one typing signal per 2 s
  var TYPING_SHOWN_MS = 4000; // how long "typing…" stays after the last signal
  var CANNED_STALE_MS = 30000;
  var SAFETY_REFRESH_MS = 60000;
  var MAX_LENGTH = 2000;
  var MAX_BUTTONS = 6;
  var PRIORITIES = ["P1", "P2", "P3", "P4"];
  var ACTIVE = ["new", "open", "pending", "reopened"];
  var COMPLAINT_CATEGORIES = ["quality", "promise_not_kept", "need_not_met", "staff_attitude", "other"];
  var COMPLAINT_STAGES = [
    "received",
    "verified",
    "classified",
    "investigating",
    "resolved_notified",
    "satisfaction_asked",
    "closed",
  ];
  var PRESENCE = ["online", "away", "offline"];

  // ---------------------------------------------------------------------------------------
  // Small helpers
  // ---------------------------------------------------------------------------------------

  var $ = HC.$;
  var h = HC.h;
  var clear = HC.clear;
  var parseTime = HC.parseTime;
  var timeShort = i18n.timeShort;
  var timeFull = i18n.timeFull;
  var duration = i18n.duration;
  var customerName = i18n.customerName;

  function load(key) {
    try {
      return JSON.parse(window.localStorage.getItem(key));
    } catch (e) {
      return null;
    }
  }

  function save(key, value) {
    try {
      window.localStorage.setItem(key, JSON.stringify(value));
    } catch (e) {
      /* storage disabled: unread counts just do not survive a reload */
    }
  }

  var URL_RE = /\bhttps?:\/\/[^\s<>"']+/gi;

  /** Appends text as text nodes, turning http(s) URLs into links. */
  function appendRichText(parent, text) {
    var last = 0;
    text = String(text == null ? "" : text);
    text.replace(URL_RE, function (match, offset) {
      var url = match.replace(/[.,;:!?)\]}'"]+$/, "");
      var safe = null;
      try {
        var parsed = new URL(url);
        if (parsed.protocol === "http:" || parsed.protocol === "https:") safe = parsed.href;
      } catch (e) {
        /* not a URL */
      }
      if (!safe) return match;
      parent.appendChild(document.createTextNode(text.slice(last, offset)));
      parent.appendChild(h("a", { href: safe, target: "_blank", rel: "noopener noreferrer", text: url }));
      last = offset + url.length;
      return match;
    });
    parent.appendChild(document.createTextNode(text.slice(last)));
    return parent;
  }

  function timeNode(iso) {
    return h("time", { datetime: iso || "", title: timeFull(iso), text: timeShort(iso) });
  }

  // ---------------------------------------------------------------------------------------
  // State
  // ---------------------------------------------------------------------------------------

  var state = {
    me: null,
    csrf: null,
    queue: [],
    mine: [],
    agentsOnline: 0,
    queueLoaded: false,
    knownQueue: new Set(), // ticket numbers in the queue at the last refresh
    queueFetch: null,
    queueDirty: false,
    current: null, // the open ticket's number
    detail: null, // its GET /api/tickets/{n} answer
    loadSeq: 0,
    messages: new Map(), // id -> message of the open ticket
    nodes: new Map(), // id -> <li>
    noteIds: new Set(),
    subscribed: null, // the ticket the socket is subscribed to (after its "subscribed" answer)
    ws: null,
    wsLive: false,
    wsAttempts: 0,
    wsTimer: null,
    pollTimer: null,
    reloadTimer: null,
    canned: [],
    cannedAt: 0,
    teams: null,
    agents: null,
    unread: {}, // ticket -> customer messages not read yet
    seen: {}, // ticket -> id of the last customer message read
    counted: new Set(), // ids of customer messages already counted as unread
    lastTypingSent: 0,
    typingTimer: null,
    quickButtons: [],
    suggest: null, // {items, index, start, end} while canned suggestions are open
    audio: null,
    leaving: false, // signing out or sent to the sign-in page
  };

  // ---------------------------------------------------------------------------------------
  // HTTP (the client is in console-common.js)
  // ---------------------------------------------------------------------------------------

  var client = HC.createApi({
    state: state,
    t: t,
    loginNext: function () {
      return "/agent" + (state.current ? "#" + state.current : "");
    },
  });
  var api = client.api;
  var goToLogin = client.goToLogin;
  var refreshMe = client.refreshMe;

  function isSupervisor() {
    return state.me && (state.me.role === "supervisor" || state.me.role === "admin");
  }

  // ---------------------------------------------------------------------------------------
  // DOM references (the skeleton is in templates/agent.html)
  // ---------------------------------------------------------------------------------------

  var ui = {
    connection: $("connection-state"),
    presence: $("presence-select"),
    signOut: $("sign-out"),
    queueList: $("queue-list"),
    queueCount: $("queue-count"),
    queueEmpty: $("queue-empty"),
    agentsOnline: $("agents-online"),
    mineList: $("mine-list"),
    mineEmpty: $("mine-empty"),
    chatEmpty: $("chat-empty"),
    chat: $("chat"),
    chatTitle: $("chat-title"),
    chatSubtitle: $("chat-subtitle"),
    actions: $("ticket-actions"),
    transcript: $("transcript"),
    scroll: $("transcript-scroll"),
    typing: $("typing-indicator"),
    tabReply: $("tab-reply"),
    tabNote: $("tab-note"),
    panelReply: $("panel-reply"),
    panelNote: $("panel-note"),
    replyForm: $("reply-form"),
    replyInput: $("reply-input"),
    replyHint: $("reply-hint"),
    replySend: $("reply-send"),
    counter: $("reply-counter"),
    suggest: $("canned-suggest"),
    quickList: $("quick-buttons"),
    quickToggle: $("quick-toggle"),
    quickEditor: $("quick-editor"),
    quickTitle: $("quick-title"),
    quickPayload: $("quick-payload"),
    quickAdd: $("quick-add"),
    notesList: $("notes-list"),
    notesEmpty: $("notes-empty"),
    noteForm: $("note-form"),
    noteInput: $("note-input"),
    details: $("ticket-panel"),
    customer: $("customer-panel"),
    toast: $("toast"),
    resolveDialog: $("resolve-dialog"),
    transferDialog: $("transfer-dialog"),
    confirmDialog: $("confirm-dialog"),
  };

  // ---------------------------------------------------------------------------------------
  // Notices
  // ---------------------------------------------------------------------------------------

  var notices = HC.createToast(ui.toast, 5000);
  var toast = notices.toast;
  var showError = notices.showError;

  function setConnection(live) {
    ui.connection.textContent = live ? t("live") : t("reconnecting");
    ui.connection.className = "conn " + (live ? "conn--live" : "conn--down");
  }

  // ---------------------------------------------------------------------------------------
  // Unread counts, title badge and sound
  // ---------------------------------------------------------------------------------------

  function storageKey(name) {
    return "hd-agent-" + name + ":" + (state.me ? state.me.id : "0");
  }

  function loadUnread() {
    state.unread = load(storageKey("unread")) || {};
    state.seen = load(storageKey("seen")) || {};
  }

  function saveUnread() {
    save(storageKey("unread"), state.unread);
    save(storageKey("seen"), state.seen);
  }

  /** Unread customer messages of one of my tickets. */
  function unreadOf(item) {
    var count = state.unread[item.number] || 0;
    var last = item.last_customer_message && item.last_customer_message.id;
    if (!count && last && state.seen[item.number] != null && last > state.seen[item.number]) count = 1;
    return count;
  }

  function markRead() {
    if (!state.current || document.hidden) return;
    var last = 0;
    state.messages.forEach(function (m) {
      if (m.sender === "customer" && m.id > last) last = m.id;
    });
    var changed = state.unread[state.current] || state.seen[state.current] !== last;
    delete state.unread[state.current];
    if (last) state.seen[state.current] = last;
    if (changed) {
      saveUnread();
      renderMine();
    }
  }

  function updateTitle() {
    var unread = state.mine.reduce(function (sum, item) {
      return sum + unreadOf(item);
    }, 0);
    var count = unread + state.queue.length;
    document.title = (count ? "(" + count + ") " : "") + t("pageTitle");
  }

  function unlockAudio() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    if (!state.audio) {
      try {
        state.audio = new Context();
      } catch (e) {
        return;
      }
    }
    if (state.audio.state === "suspended") state.audio.resume().catch(function () {});
  }

  /** A short two-tone beep (only after the first user interaction: autoplay rules). */
  function beep() {
    var ctx = state.audio;
    document.body.setAttribute("data-beeps", String(Number(document.body.getAttribute("data-beeps") || 0) + 1));
    if (!ctx || ctx.state !== "running") return;
    var now = ctx.currentTime;
    [880, 1175].forEach(function (freq, i) {
      var osc = ctx.createOscillator();
      var gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, now + i * 0.12);
      gain.gain.exponentialRampToValueAtTime(0.15, now + i * 0.12 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.12 + 0.11);
      osc.connect(gain).connect(ctx.destination);
      osc.start(now + i * 0.12);
      osc.stop(now + i * 0.12 + 0.12);
    });
  }

  // ---------------------------------------------------------------------------------------
  // SLA countdowns and waiting times (refreshed every second)
  // ---------------------------------------------------------------------------------------

  /** A chip for one SLA clock; its text and colour are kept current by tick(). */
  function slaChip(name, clock) {
    var chip = h("span", {
      class: "sla",
      "data-due": clock.due_at || "",
      "data-state": clock.state || "ok",
      "data-clock": name,
    });
    renderSla(chip, Date.now());
    return chip;
  }

  function renderSla(chip, now) {
    var state_ = chip.getAttribute("data-state");
    var due = parseTime(chip.getAttribute("data-due"));
    var name = label("clock", chip.getAttribute("data-clock"));
    var shown = state_;
    var text;
    if (state_ === "met") {
      text = t("slaMet", { clock: name });
    } else if (state_ === "paused") {
      text = t("slaPaused", { clock: name });
    } else if (due == null) {
      text = name;
    } else if (now > due) {
      shown = "breached";
      text = t("slaOverdue", { clock: name, time: duration(now - due) });
    } else {
      if (state_ === "breached") shown = "breached";
      text = t("slaDue", { clock: name, time: duration(due - now) });
    }
    chip.className = "sla sla--" + shown;
    if (chip.textContent !== text) chip.textContent = text;
    chip.title = due == null ? "" : t("slaDueAt", { time: timeFull(chip.getAttribute("data-due")) });
  }

  function tick() {
    var now = Date.now();
    Array.prototype.forEach.call(document.querySelectorAll("[data-since]"), function (node) {
      var since = parseTime(node.getAttribute("data-since"));
      if (since != null) node.textContent = t("waiting", { time: duration(now - since) });
    });
    Array.prototype.forEach.call(document.querySelectorAll(".sla[data-clock]"), function (chip) {
      renderSla(chip, now);
    });
  }

  // ---------------------------------------------------------------------------------------
  // Queue and my tickets
  // ---------------------------------------------------------------------------------------

  function refreshQueue() {
    if (state.queueFetch) {
      state.queueDirty = true;
      return state.queueFetch;
    }
    state.queueFetch = api("GET", "/api/queue")
      .then(applyQueue)
      .catch(function (error) {
        if (error.status !== 0 && error.status !== 401) showError(error);
      })
      .finally(function () {
        state.queueFetch = null;
        if (state.queueDirty) {
          state.queueDirty = false;
          refreshQueue();
        }
      });
    return state.queueFetch;
  }

  function applyQueue(data) {
    var tickets = (data && data.tickets) || [];
    var numbers = new Set(
      tickets.map(function (item) {
        return item.number;
      })
    );
    var arrived = tickets.filter(function (item) {
      return !state.knownQueue.has(item.number);
    });
    if (state.queueLoaded && arrived.length) {
      beep();
      toast(t("newChat", { number: arrived[0].number, name: customerName(arrived[0].customer) }));
    }
    state.knownQueue = numbers;
    state.queueLoaded = true;
    state.queue = tickets;
    state.mine = (data && data.mine) || [];
    state.agentsOnline = (data && data.agents_online) || 0;
    state.mine.forEach(function (item) {
      // First sight of one of my tickets: what is there now counts as read.
      var last = item.last_customer_message && item.last_customer_message.id;
      if (state.seen[item.number] == null) state.seen[item.number] = last || 0;
    });
    renderQueue();
    renderMine();
  }

  function flags(item, customer) {
    var list = [];
    var vip = item.vip != null ? item.vip : customer && customer.vip;
    var dispute = item.dispute != null ? item.dispute : customer && customer.dispute;
    if (vip) list.push(h("span", { class: "flag flag--vip", text: t("vip") }));
    if (dispute) list.push(h("span", { class: "flag flag--dispute", text: t("dispute") }));
    return list;
  }

  function priorityBadge(priority) {
    return h("span", {
      class: "prio prio--" + String(priority || "").toLowerCase(),
      title: t("priority"),
      text: priority || "",
    });
  }

  /** Runs a list re-render; keyboard focus on one of its items stays on that ticket. */
  function keepingFocus(list, render) {
    var active = document.activeElement;
    var focused = active && list.contains(active) ? active.getAttribute("data-ticket") : null;
    render();
    if (focused) {
      var again = list.querySelector("[data-ticket='" + focused + "']");
      if (again) again.focus();
    }
  }

  var rendered = {}; // part of the page -> signature of what it shows now

  /**
   * Re-renders a part of the page only when what it shows has changed: live events come in
   * bursts, and a click on a button that is being replaced would be lost.
   */
  function renderIfChanged(part, signature, render) {
    var json = JSON.stringify(signature);
    if (rendered[part] === json) return;
    rendered[part] = json;
    render();
  }

  /** A ticket without the parts of its SLA clocks that change by the minute. */
  function stable(ticket) {
    var sla = {};
    Object.keys(ticket.sla || {}).forEach(function (name) {
      sla[name] = [ticket.sla[name].state, ticket.sla[name].due_at];
    });
    return Object.assign({}, ticket, { sla: sla });
  }

  function renderQueue() {
    renderIfChanged("queue", [state.current, state.agentsOnline, state.queue.map(stable)], function () {
      keepingFocus(ui.queueList, renderQueueItems);
    });
    tick();
    updateTitle();
  }

  function renderQueueItems() {
    clear(ui.queueList);
    ui.queueCount.textContent = String(state.queue.length);
    ui.queueEmpty.hidden = state.queue.length > 0;
    ui.agentsOnline.textContent = t("agentsOnline", { n: state.agentsOnline });
    state.queue.forEach(function (item) {
      var preview = item.last_customer_message;
      var sla = item.sla && item.sla.first_response;
      ui.queueList.appendChild(
        h("li", {}, [
          h(
            "button",
            {
              type: "button",
              class: "q-item" + (item.number === state.current ? " is-active" : ""),
              "data-ticket": item.number,
              "aria-current": item.number === state.current ? "true" : null,
              onclick: function () {
                openTicket(item.number);
              },
            },
            [
              h("span", { class: "q-row" }, [
                h("span", { class: "q-pos", title: t("position"), text: "#" + item.position }),
                h("span", { class: "q-num", text: item.number }),
                priorityBadge(item.priority),
              ].concat(flags(item), [
                h("span", { class: "q-wait", "data-since": item.created_at || "" }),
              ])),
              h("span", { class: "q-row q-who" }, [
                h("span", { class: "q-name", text: customerName(item.customer) }),
                h("span", { class: "q-meta", text: [label("reason", item.reason), item.team && item.team.name].filter(Boolean).join(" \u00b7 ") }),
              ]),
              preview ? h("span", { class: "q-preview", text: preview.text }) : null,
              sla ? h("span", { class: "q-row" }, [slaChip("first_response", sla)]) : null,
            ]
          ),
        ])
      );
    });
  }

  /** The running SLA clock due first (the one to watch), or null. */
  function urgentClock(sla) {
    var best = null;
    Object.keys(sla || {}).forEach(function (name) {
      var clock = sla[name];
      if (["ok", "warning", "breached"].indexOf(clock.state) < 0 || !clock.due_at) return;
      if (!best || parseTime(clock.due_at) < parseTime(sla[best].due_at)) best = name;
    });
    return best;
  }

  function renderMine() {
    var signature = state.mine.map(function (item) {
      return [stable(item), unreadOf(item)];
    });
    renderIfChanged("mine", [state.current, signature], function () {
      keepingFocus(ui.mineList, renderMineItems);
    });
    tick();
    updateTitle();
  }

  function renderMineItems() {
    clear(ui.mineList);
    ui.mineEmpty.hidden = state.mine.length > 0;
    state.mine.forEach(function (item) {
      var unread = unreadOf(item);
      var preview = item.last_customer_message;
      var urgent = urgentClock(item.sla);
      ui.mineList.appendChild(
        h("li", {}, [
          h(
            "button",
            {
              type: "button",
              class: "q-item" + (item.number === state.current ? " is-active" : "") + (unread ? " has-unread" : ""),
              "data-ticket": item.number,
              "aria-current": item.number === state.current ? "true" : null,
              onclick: function () {
                openTicket(item.number);
              },
            },
            [
              h("span", { class: "q-row" }, [
                h("span", { class: "q-num", text: item.number }),
                priorityBadge(item.priority),
                h("span", { class: "status status--" + item.status, text: label("status", item.status) }),
                unread
                  ? h("span", {
                      class: "unread",
                      title: t("unreadTitle", { n: unread }),
                      "aria-label": t("unreadTitle", { n: unread }),
                      text: String(unread),
                    })
                  : null,
              ]),
              h("span", { class: "q-row q-who" }, [h("span", { class: "q-name", text: customerName(item.customer) })]),
              preview ? h("span", { class: "q-preview", text: preview.text }) : null,
              urgent ? h("span", { class: "q-row" }, [slaChip(urgent, item.sla[urgent])]) : null,
            ]
          ),
        ])
      );
    });
  }

  // ---------------------------------------------------------------------------------------
  // The open ticket
  // ---------------------------------------------------------------------------------------

  function openTicket(number) {
    number = String(number || "").toUpperCase();
    if (!/^T-\d+$/.test(number)) return;
    if (number === state.current) {
      loadTicket();
      return;
    }
    if (state.current && state.ws && state.wsLive) {
      wsSend({ type: "unsubscribe", ticket: state.current });
    }
    state.current = number;
    state.subscribed = null;
    state.detail = null;
    state.messages = new Map();
    state.nodes = new Map();
    state.noteIds = new Set();
    state.quickButtons = [];
    clear(ui.transcript);
    clear(ui.notesList);
    ui.notesEmpty.hidden = false;
    ui.tabNote.textContent = t("tabNotes");
    clear(ui.details);
    clear(ui.customer);
    delete rendered.actions;
    delete rendered.details;
    delete rendered.customer;
    renderQuickButtons();
    hideTyping();
    closeSuggest();
    ui.replyInput.value = "";
    ui.noteInput.value = "";
    refreshComposer();
    if (window.location.hash !== "#" + number) {
      history.replaceState(null, "", "#" + number);
    }
    ui.chatEmpty.hidden = true;
    ui.chat.hidden = false;
    ui.chatTitle.textContent = number;
    ui.chatSubtitle.textContent = t("loading");
    clear(ui.actions);
    if (state.ws && state.wsLive) wsSend({ type: "subscribe", ticket: number });
    renderQueue();
    renderMine();
    loadTicket();
  }

  function loadTicket() {
    var number = state.current;
    if (!number) return Promise.resolve();
    var seq = ++state.loadSeq;
    return api("GET", "/api/tickets/" + encodeURIComponent(number))
      .then(function (data) {
        if (number !== state.current || seq !== state.loadSeq) return;
        applyDetail(data);
      })
      .catch(function (error) {
        if (number !== state.current || error.status === 0 || error.status === 401) return;
        ui.chatSubtitle.textContent = error.message;
        showError(error);
      });
  }

  /** Reloads the open ticket soon, once for a burst of events. */
  function reloadSoon() {
    clearTimeout(state.reloadTimer);
    state.reloadTimer = setTimeout(loadTicket, 150);
  }

  function applyDetail(data) {
    state.detail = data;
    var conversation = data.conversation;
    addMessages(conversation ? conversation.messages : []);
    (data.notes || []).forEach(addNote);
    var ticket = stable(data.ticket);
    var chat = data.conversation && [data.conversation.status, data.conversation.locale, data.conversation.customer_seen_at];
    renderHeader();
    renderIfChanged("actions", [ticket, chat], renderActions);
    renderIfChanged("details", [ticket, data.complaint, data.rating, data.timeline], renderDetails);
    renderIfChanged("customer", [ticket.number, data.customer, chat], renderCustomer);
    refreshComposer();
    markRead();
  }

  function canWrite() {
    var detail = state.detail;
    if (!detail || !detail.conversation) return false;
    var ticket = detail.ticket;
    if (ACTIVE.indexOf(ticket.status) < 0) return false;
    return isMine(ticket) || isSupervisor();
  }

  function isMine(ticket) {
    return !!(ticket.assignee && state.me && ticket.assignee.id === state.me.id);
  }

  function renderHeader() {
    var detail = state.detail;
    var ticket = detail.ticket;
    ui.chatTitle.textContent = ticket.number + " \u00b7 " + customerName(detail.customer || ticket.customer);
    var bits = [
      label("kind", ticket.kind),
      label("status", ticket.status),
      ticket.assignee ? t("assignedTo", { name: ticket.assignee.name || "" }) : t("unassigned"),
    ];
    if (detail.queue_position) bits.push(t("queuePosition", { n: detail.queue_position }));
    if (detail.conversation) bits.push(t("conversationStatus", { status: label("conv", detail.conversation.status) }));
    ui.chatSubtitle.textContent = bits.filter(Boolean).join(" \u00b7 ");
  }

  // ---------------------------------------------------------------------------------------
  // Transcript
  // ---------------------------------------------------------------------------------------

  function isNearBottom() {
    var s = ui.scroll;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
  }

  function scrollToBottom() {
    ui.scroll.scrollTop = ui.scroll.scrollHeight;
  }

  function senderName(m) {
    if (m.sender === "customer") {
      var detail = state.detail;
      return detail ? customerName(detail.customer || detail.ticket.customer) : t("customer");
    }
    if (m.sender === "bot") return t("bot");
    if (m.sender === "agent") return m.author || t("agent");
    return t("system");
  }

  function nluLine(m) {
    var parts = [];
    if (m.intent) {
      parts.push(
        h("span", { class: "nlu-intent", title: t("intent") }, [
          m.intent + (typeof m.confidence === "number" ? " " + m.confidence.toFixed(2) : ""),
        ])
      );
    }
    (m.entities || []).forEach(function (entity) {
      if (!entity || typeof entity !== "object") return;
      var value = entity.value;
      if (value != null && typeof value === "object") value = JSON.stringify(value);
      parts.push(h("span", { class: "nlu-entity", title: t("entity"), text: (entity.entity || "?") + "=" + value }));
    });
    if (m.emotion) parts.push(h("span", { class: "nlu-emotion", title: t("emotion"), text: label("emotion", m.emotion) }));
    if (m.payload && m.payload !== m.text) parts.push(h("span", { class: "nlu-payload", title: t("buttonPayload"), text: m.payload }));
    if (!parts.length) return null;
    return h("div", { class: "nlu" }, parts);
  }

  function messageNode(m) {
    var li = h("li", {
      class: "msg msg--" + m.sender + (m.author && state.me && m.author === state.me.name && m.sender === "agent" ? " msg--me" : ""),
      "data-id": String(m.id),
      "data-sender": m.sender,
    });
    li.appendChild(
      h("div", { class: "msg-head" }, [h("span", { class: "msg-who", text: senderName(m) }), timeNode(m.created_at)])
    );
    li.appendChild(appendRichText(h("div", { class: "msg-text" }), m.text));
    if (m.buttons && m.buttons.length) {
      li.appendChild(
        h(
          "div",
          { class: "chips", "aria-label": t("buttonsShown") },
          m.buttons.map(function (b) {
            return h("span", { class: "chip", title: b.payload || "", text: b.title || b.payload || "" });
          })
        )
      );
    }
    if (m.custom) {
      var custom = JSON.stringify(m.custom);
      li.appendChild(h("div", { class: "msg-custom", title: custom, text: t("customPayload", { data: custom.slice(0, 200) }) }));
    }
    if (m.sender === "customer") {
      var nlu = nluLine(m);
      if (nlu) li.appendChild(nlu);
    }
    return li;
  }

  /** Adds messages in id order; a richer copy (with author/NLU) replaces a plain one. */
  function addMessages(list) {
    var stick = isNearBottom() || !state.nodes.size;
    var added = false;
    (list || []).forEach(function (m) {
      if (!m || typeof m.id !== "number") return;
      var old = state.messages.get(m.id);
      if (m.sender === "agent" && !m.author && state.detail && state.detail.ticket.assignee) {
        m = Object.assign({}, m, { author: (old && old.author) || state.detail.ticket.assignee.name });
      }
      if (old && !richer(m, old)) return;
      state.messages.set(m.id, m);
      var node = messageNode(m);
      var oldNode = state.nodes.get(m.id);
      if (oldNode) {
        ui.transcript.replaceChild(node, oldNode);
      } else {
        ui.transcript.insertBefore(node, nodeAfter(m.id));
        added = true;
      }
      state.nodes.set(m.id, node);
      if (m.sender === "customer") hideTyping();
    });
    if (added && stick) scrollToBottom();
    if (added) markRead();
  }

  function richer(m, old) {
    return (m.intent && !old.intent) || (m.author && !old.author) || (m.entities && m.entities.length && !(old.entities && old.entities.length));
  }

  function nodeAfter(id) {
    var best = null;
    var bestId = Infinity;
    state.nodes.forEach(function (node, otherId) {
      if (otherId > id && otherId < bestId) {
        best = node;
        bestId = otherId;
      }
    });
    return best;
  }

  function showTyping(event) {
    var who = event.sender === "customer" ? t("customerTyping") : t("agentTyping", { name: event.name || t("agent") });
    ui.typing.textContent = who;
    ui.typing.hidden = false;
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(hideTyping, TYPING_SHOWN_MS);
  }

  function hideTyping() {
    clearTimeout(state.typingTimer);
    ui.typing.hidden = true;
  }

  // ---------------------------------------------------------------------------------------
  // Composer: reply, canned responses, quick buttons, typing signal
  // ---------------------------------------------------------------------------------------

  function refreshComposer() {
    var writable = canWrite();
    var detail = state.detail;
    ui.replyInput.disabled = !writable;
    var value = ui.replyInput.value;
    var length = Array.from(value).length;
    ui.replySend.disabled = !writable || !value.trim() || length > MAX_LENGTH;
    ui.quickToggle.disabled = !writable;
    if (!writable) closeQuickEditor();
    ui.counter.hidden = length < MAX_LENGTH - 200;
    ui.counter.textContent = t("counter", { n: length, max: MAX_LENGTH });
    ui.counter.classList.toggle("is-over", length > MAX_LENGTH);
    var hint = "";
    if (detail && !writable) {
      var ticket = detail.ticket;
      if (!detail.conversation) hint = t("hintNoConversation");
      else if (ACTIVE.indexOf(ticket.status) < 0) hint = t("hintClosed", { status: label("status", ticket.status) });
      else if (!ticket.assignee) hint = t("hintClaim");
      else hint = t("hintOtherAgent", { name: ticket.assignee.name || "" });
    }
    ui.replyHint.textContent = hint;
    ui.replyHint.hidden = !hint;
    ui.noteInput.disabled = !detail;
  }

  function sendReply() {
    var text = ui.replyInput.value.trim();
    var number = state.current;
    if (!text || !canWrite() || Array.from(text).length > MAX_LENGTH) return;
    var body = { text: text };
    if (state.quickButtons.length) body.buttons = state.quickButtons.slice();
    ui.replySend.disabled = true;
    ui.replyInput.disabled = true;
    api("POST", "/api/tickets/" + encodeURIComponent(number) + "/messages", body)
      .then(function (data) {
        if (number !== state.current) return;
        ui.replyInput.value = "";
        state.quickButtons = [];
        renderQuickButtons();
        closeQuickEditor();
        var message = Object.assign({}, data.message, { author: state.me.name });
        addMessages([message]);
        scrollToBottom();
      })
      .catch(function (error) {
        showError(error);
      })
      .finally(function () {
        refreshComposer();
        if (number === state.current) ui.replyInput.focus();
      });
  }

  function sendTyping() {
    var now = Date.now();
    if (!state.wsLive || state.subscribed !== state.current || now - state.lastTypingSent < TYPING_EVERY_MS) return;
    state.lastTypingSent = now;
    wsSend({ type: "typing", ticket: state.current });
  }

  function loadCanned(force) {
    if (!force && Date.now() - state.cannedAt < CANNED_STALE_MS) return Promise.resolve(state.canned);
    state.cannedAt = Date.now();
    return api("GET", "/api/canned-responses").then(
      function (data) {
        state.canned = (data && data.canned_responses) || [];
        return state.canned;
      },
      function () {
        return state.canned;
      }
    );
  }

  /** The "/word" right before the caret, if any. */
  function shortcutAtCaret() {
    var input = ui.replyInput;
    var caret = input.selectionStart;
    if (caret == null || caret !== input.selectionEnd) return null;
    var match = /(^|\s)\/([\w-]*)$/.exec(input.value.slice(0, caret));
    if (!match) return null;
    return { query: match[2].toLowerCase(), start: caret - match[2].length - 1, end: caret };
  }

  function updateSuggest() {
    var found = shortcutAtCaret();
    if (!found) return closeSuggest();
    var matches = state.canned
      .filter(function (c) {
        return c.shortcut.indexOf(found.query) === 0;
      })
      .concat(
        state.canned.filter(function (c) {
          return c.shortcut.indexOf(found.query) > 0 || (found.query && c.title.toLowerCase().indexOf(found.query) >= 0 && c.shortcut.indexOf(found.query) < 0);
        })
      )
      .slice(0, 8);
    if (Date.now() - state.cannedAt >= CANNED_STALE_MS) {
      loadCanned(false).then(function () {
        if (shortcutAtCaret()) updateSuggest();
      });
    }
    if (!matches.length) return closeSuggest();
    var index = state.suggest ? Math.min(state.suggest.index, matches.length - 1) : 0;
    state.suggest = { items: matches, index: index, start: found.start, end: found.end };
    renderSuggest();
  }

  function renderSuggest() {
    var s = state.suggest;
    clear(ui.suggest);
    s.items.forEach(function (c, i) {
      ui.suggest.appendChild(
        h(
          "li",
          {
            role: "option",
            id: "canned-option-" + i,
            class: "suggest-item" + (i === s.index ? " is-selected" : ""),
            "aria-selected": i === s.index ? "true" : "false",
            onmousedown: function (event) {
              event.preventDefault(); // keep the focus in the textarea
              s.index = i;
              insertCanned();
            },
          },
          [
            h("span", { class: "suggest-shortcut", text: "/" + c.shortcut }),
            h("span", { class: "suggest-title", text: c.title }),
            h("span", { class: "suggest-text", text: c.text }),
          ]
        )
      );
    });
    ui.suggest.hidden = false;
    ui.replyInput.setAttribute("aria-expanded", "true");
    ui.replyInput.setAttribute("aria-activedescendant", "canned-option-" + s.index);
  }

  function closeSuggest() {
    state.suggest = null;
    ui.suggest.hidden = true;
    clear(ui.suggest);
    ui.replyInput.setAttribute("aria-expanded", "false");
    ui.replyInput.removeAttribute("aria-activedescendant");
  }

  function insertCanned() {
    var s = state.suggest;
    if (!s) return;
    var chosen = s.items[s.index];
    var input = ui.replyInput;
    var value = input.value;
    input.value = value.slice(0, s.start) + chosen.text + value.slice(s.end);
    var caret = s.start + chosen.text.length;
    input.setSelectionRange(caret, caret);
    closeSuggest();
    refreshComposer();
    input.focus();
  }

  function renderQuickButtons() {
    clear(ui.quickList);
    ui.quickList.hidden = !state.quickButtons.length;
    state.quickButtons.forEach(function (button, i) {
      ui.quickList.appendChild(
        h("li", { class: "chip chip--edit" }, [
          h("span", { title: button.payload, text: button.title }),
          h("button", {
            type: "button",
            class: "chip-remove",
            "aria-label": t("removeButton", { title: button.title }),
            text: "\u00d7",
            onclick: function () {
              state.quickButtons.splice(i, 1);
              renderQuickButtons();
            },
          }),
        ])
      );
    });
  }

  function closeQuickEditor() {
    ui.quickEditor.hidden = true;
    ui.quickToggle.setAttribute("aria-expanded", "false");
  }

  function addQuickButton() {
    var title = ui.quickTitle.value.trim();
    var payload = ui.quickPayload.value.trim();
    if (!title) {
      ui.quickTitle.focus();
      return;
    }
    if (state.quickButtons.length >= MAX_BUTTONS) {
      toast(t("tooManyButtons", { n: MAX_BUTTONS }), "error");
      return;
    }
    state.quickButtons.push({ title: title, payload: payload || title });
    ui.quickTitle.value = "";
    ui.quickPayload.value = "";
    renderQuickButtons();
    ui.quickTitle.focus();
  }

  // ---------------------------------------------------------------------------------------
  // Internal notes
  // ---------------------------------------------------------------------------------------

  function addNote(note) {
    if (!note || state.noteIds.has(note.id)) return;
    state.noteIds.add(note.id);
    var data = note.data || {};
    ui.notesList.appendChild(
      h("li", { class: "note", "data-id": String(note.id) }, [
        h("div", { class: "msg-head" }, [h("span", { class: "msg-who", text: note.actor || t("agent") }), timeNode(note.created_at)]),
        appendRichText(h("div", { class: "msg-text" }), data.text || ""),
      ])
    );
    ui.notesEmpty.hidden = true;
    ui.tabNote.textContent = t("tabNotesCount", { n: state.noteIds.size });
  }

  function submitNote() {
    var text = ui.noteInput.value.trim();
    var number = state.current;
    if (!text || !number) return;
    ui.noteInput.disabled = true;
    api("POST", "/api/tickets/" + encodeURIComponent(number) + "/notes", { text: text })
      .then(function (note) {
        if (number !== state.current) return;
        ui.noteInput.value = "";
        addNote(note);
      })
      .catch(showError)
      .finally(function () {
        ui.noteInput.disabled = false;
        ui.noteInput.focus();
      });
  }

  function selectTab(which) {
    var reply = which === "reply";
    ui.tabReply.setAttribute("aria-selected", reply ? "true" : "false");
    ui.tabNote.setAttribute("aria-selected", reply ? "false" : "true");
    ui.tabReply.tabIndex = reply ? 0 : -1;
    ui.tabNote.tabIndex = reply ? -1 : 0;
    ui.panelReply.hidden = !reply;
    ui.panelNote.hidden = reply;
    (reply ? ui.replyInput : ui.noteInput).focus();
  }

  // ---------------------------------------------------------------------------------------
  // Actions
  // ---------------------------------------------------------------------------------------

  function ticketPath(suffix) {
    return "/api/tickets/" + encodeURIComponent(state.current) + (suffix || "");
  }

  /** Runs a ticket action; the answer is the new ticket detail. */
  function act(method, suffix, body, options) {
    var number = state.current;
    return api(method, ticketPath(suffix), body)
      .then(function (data) {
        if (number === state.current && data && data.ticket) applyDetail(data);
        if (options && options.done) toast(options.done);
        refreshQueue();
        return data;
      })
      .catch(function (error) {
        if (options && options.rethrow) throw error;
        showError(error);
        if (error.status === 409 || error.status === 422) {
          refreshQueue();
          loadTicket();
        }
      });
  }

  function claim() {
    act("POST", "/claim", undefined, { done: t("claimed", { number: state.current }) }).then(function (data) {
      if (data) ui.replyInput.focus();
    });
  }

  function actionButton(key, onclick, extraClass) {
    return h("button", { type: "button", class: "btn " + (extraClass || ""), "data-action": key, text: t("action." + key), onclick: onclick });
  }

  function renderActions() {
    clear(ui.actions);
    var detail = state.detail;
    if (!detail) return;
    var ticket = detail.ticket;
    var active = ACTIVE.indexOf(ticket.status) >= 0;
    var mine = isMine(ticket);
    var owner = mine || isSupervisor();
    var free = !ticket.assignee || mine;
    var conversation = detail.conversation;
    var buttons = [];
    if (!ticket.assignee && (ticket.status === "new" || ticket.status === "reopened")) {
      buttons.push(actionButton("claim", claim, "btn--primary"));
    }
    if (active && ticket.status !== "pending" && (free || isSupervisor())) {
      buttons.push(actionButton("pending", function () {
        act("POST", "/status", { status: "pending" }, { done: t("done.pending") });
      }));
    }
    if (ticket.status === "pending" && (free || isSupervisor())) {
      buttons.push(actionButton("open", function () {
        act("POST", "/status", { status: "open" });
      }));
    }
    if (active && owner) buttons.push(actionButton("resolve", openResolve, mine ? "btn--primary" : ""));
    if (ticket.status !== "closed" && (free || isSupervisor())) {
      buttons.push(actionButton("close", function () {
        confirmAction(t("confirm.close", { number: ticket.number })).then(function (ok) {
          if (ok) act("POST", "/status", { status: "closed" }, { done: t("done.closed") });
        });
      }));
    }
    if (ticket.status === "resolved" && (free || isSupervisor())) {
      buttons.push(actionButton("reopen", function () {
        act("POST", "/status", { status: "reopened" });
      }));
    }
    if (active && (free || isSupervisor())) {
      buttons.push(actionButton("transfer", openTransfer));
      if (!ticket.escalated) buttons.push(actionButton("escalate", escalate));
    }
    if (active && ticket.assignee && owner) {
      buttons.push(actionButton("unassign", function () {
        confirmAction(t("confirm.unassign")).then(function (ok) {
          if (ok) act("POST", "/unassign", undefined, { done: t("done.unassigned") });
        });
      }));
    }
    if (owner && conversation && (conversation.status === "agent" || conversation.status === "queued") && ticket.assignee) {
      buttons.push(actionButton("returnToBot", function () {
        confirmAction(t("confirm.returnToBot")).then(function (ok) {
          if (ok) act("POST", "/return-to-bot", undefined, { done: t("done.returnedToBot") });
        });
      }));
    }
    buttons.forEach(function (b) {
      ui.actions.appendChild(b);
    });
  }

  function escalate() {
    loadTeams().then(function (teams) {
      var dedicated = teams.filter(function (team) {
        return team.dedicated;
      })[0];
      var message = dedicated ? t("confirm.escalate", { team: dedicated.name }) : t("confirm.escalateAny");
      confirmAction(message).then(function (ok) {
        if (ok) act("POST", "/escalate", {}, { done: t("done.escalated") });
      });
    });
  }

  function loadTeams() {
    if (state.teams) return Promise.resolve(state.teams);
    return api("GET", "/api/teams").then(
      function (data) {
        state.teams = (data && data.teams) || [];
        return state.teams;
      },
      function (error) {
        showError(error);
        return [];
      }
    );
  }

  function loadAgents() {
    return api("GET", "/api/agents").then(
      function (data) {
        state.agents = (data && data.agents) || [];
        return state.agents;
      },
      function (error) {
        showError(error);
        return state.agents || [];
      }
    );
  }

  // ---- dialogs

  function openDialog(dialog) {
    if (typeof dialog.showModal === "function") dialog.showModal();
    else dialog.setAttribute("open", "");
  }

  function closeDialog(dialog) {
    if (typeof dialog.close === "function") dialog.close();
    else dialog.removeAttribute("open");
  }

  function dialogError(dialog, text) {
    var node = dialog.querySelector(".dialog-error");
    node.textContent = text || "";
    node.hidden = !text;
  }

  var confirmResolve = null;

  function confirmAction(message) {
    var dialog = ui.confirmDialog;
    $("confirm-text").textContent = message;
    openDialog(dialog);
    return new Promise(function (resolve) {
      confirmResolve = resolve;
    });
  }

  function finishConfirm(ok) {
    closeDialog(ui.confirmDialog);
    if (confirmResolve) confirmResolve(ok);
    confirmResolve = null;
  }

  function openResolve() {
    var detail = state.detail;
    if (!detail) return;
    var complaint = detail.ticket.kind === "complaint";
    var record = detail.complaint || {};
    var form = $("resolve-form");
    form.reset();
    $("resolve-complaint").hidden = !complaint;
    $("resolve-root-cause").value = record.root_cause || "";
    $("resolve-corrective").value = record.corrective_action || "";
    $("resolve-root-cause").required = complaint;
    dialogError(ui.resolveDialog, "");
    openDialog(ui.resolveDialog);
    $("resolve-text").focus();
  }

  function submitResolve(event) {
    event.preventDefault();
    var detail = state.detail;
    var resolution = $("resolve-text").value.trim();
    if (!resolution) {
      dialogError(ui.resolveDialog, t("resolutionRequired"));
      $("resolve-text").focus();
      return;
    }
    var body = { resolution: resolution };
    if (detail && detail.ticket.kind === "complaint") {
      var root = $("resolve-root-cause").value.trim();
      var corrective = $("resolve-corrective").value.trim();
      if (root) body.root_cause = root;
      if (corrective) body.corrective_action = corrective;
    }
    var submit = $("resolve-submit");
    submit.disabled = true;
    act("POST", "/resolve", body, { done: t("done.resolved"), rethrow: true })
      .then(function () {
        closeDialog(ui.resolveDialog);
      })
      .catch(function (error) {
        dialogError(ui.resolveDialog, error.message);
        if (error.status === 409) loadTicket();
      })
      .finally(function () {
        submit.disabled = false;
      });
  }

  function openTransfer() {
    var dialog = ui.transferDialog;
    dialogError(dialog, "");
    $("transfer-to-team").checked = true;
    syncTransferMode();
    openDialog(dialog);
    Promise.all([loadTeams(), loadAgents()]).then(function (results) {
      var teamSelect = clear($("transfer-team"));
      results[0].forEach(function (team) {
        teamSelect.appendChild(
          h("option", { value: team.key, text: team.name + (team.dedicated ? " (" + t("dedicated") + ")" : "") })
        );
      });
      var agentSelect = clear($("transfer-agent"));
      results[1]
        .filter(function (agent) {
          return agent.active && (!state.me || agent.id !== state.me.id);
        })
        .forEach(function (agent) {
          agentSelect.appendChild(
            h("option", {
              value: String(agent.id),
              text: t("agentOption", {
                name: agent.name,
                presence: label("presence", agent.presence),
                load: agent.load,
                capacity: agent.capacity,
              }),
            })
          );
        });
    });
  }

  function syncTransferMode() {
    var toTeam = $("transfer-to-team").checked;
    $("transfer-team").disabled = !toTeam;
    $("transfer-agent").disabled = toTeam;
  }

  function submitTransfer(event) {
    event.preventDefault();
    var body;
    if ($("transfer-to-team").checked) {
      var team = $("transfer-team").value;
      if (!team) return dialogError(ui.transferDialog, t("chooseTeam"));
      body = { team: team };
    } else {
      var agent = Number($("transfer-agent").value);
      if (!agent) return dialogError(ui.transferDialog, t("chooseAgent"));
      body = { agent_id: agent };
    }
    var submit = $("transfer-submit");
    submit.disabled = true;
    act("POST", "/transfer", body, { done: t("done.transferred"), rethrow: true })
      .then(function () {
        closeDialog(ui.transferDialog);
      })
      .catch(function (error) {
        dialogError(ui.transferDialog, error.message);
      })
      .finally(function () {
        submit.disabled = false;
      });
  }

  // ---------------------------------------------------------------------------------------
  // Ticket panel
  // ---------------------------------------------------------------------------------------

  function field(name, value) {
    return [h("dt", { text: name }), h("dd", {}, [value == null || value === "" ? "\u2014" : value])];
  }

  function flatten(list) {
    return list.reduce(function (all, item) {
      return all.concat(item);
    }, []);
  }

  /** The edits in progress in a panel (fields marked data-dirty) and where the caret is. */
  function saveEdits(panel) {
    var edits = { values: {}, focus: null };
    Array.prototype.forEach.call(panel.querySelectorAll("[data-dirty]"), function (el) {
      if (el.id) edits.values[el.id] = el.value;
    });
    var active = document.activeElement;
    if (active && active.id && panel.contains(active)) {
      edits.focus = { id: active.id, start: active.selectionStart, end: active.selectionEnd };
    }
    return edits;
  }

  /** After a re-render: unsaved edits stay, and so does the focus. */
  function restoreEdits(edits) {
    Object.keys(edits.values).forEach(function (id) {
      var el = $(id);
      if (el && el.value !== edits.values[id]) {
        el.value = edits.values[id];
        el.setAttribute("data-dirty", "");
      }
    });
    var focus = edits.focus && $(edits.focus.id);
    if (focus) {
      focus.focus();
      if (typeof edits.focus.start === "number" && focus.setSelectionRange) {
        try {
          focus.setSelectionRange(edits.focus.start, edits.focus.end);
        } catch (e) {
          /* not a text field */
        }
      }
    }
  }

  var inFlight = {}; // field -> JSON of the value being saved

  /** PATCHes one ticket field unless it already has that value (or is being saved). */
  function commitField(name, value, current, input) {
    var json = JSON.stringify(value);
    input.removeAttribute("data-dirty"); // saved (or unchanged): the hub's value wins from now on
    if (json === JSON.stringify(current) || inFlight[name] === json) return;
    inFlight[name] = json;
    var change = {};
    change[name] = value;
    patch(change).finally(function () {
      delete inFlight[name];
    });
  }

  function tagList(text) {
    var seen = {};
    return text
      .split(",")
      .map(function (tag) {
        return tag.trim().toLowerCase();
      })
      .filter(function (tag) {
        if (!tag || seen[tag]) return false;
        seen[tag] = true;
        return true;
      })
      .sort();
  }

  function renderDetails() {
    var edits = saveEdits(ui.details);
    var detail = state.detail;
    var ticket = detail.ticket;
    var panel = clear(ui.details);

    panel.appendChild(
      h("div", { class: "panel-head" }, [
        h("h2", { text: ticket.number }),
        h("span", { class: "status status--" + ticket.status, text: label("status", ticket.status) }),
        ticket.escalated ? h("span", { class: "flag flag--escalated", text: t("escalated") }) : null,
        ticket.breached ? h("span", { class: "flag flag--breached", text: t("breached") }) : null,
      ])
    );

    var prioritySelect = h(
      "select",
      {
        id: "field-priority",
        onchange: function () {
          commitField("priority", prioritySelect.value, state.detail.ticket.priority, prioritySelect);
        },
      },
      PRIORITIES.map(function (p) {
        var option = h("option", { value: p, text: label("priority", p) });
        if (p === ticket.priority) option.selected = true;
        return option;
      })
    );
    var categoryInput = h("input", { id: "field-category", type: "text", maxlength: "200", value: ticket.category || "" });
    function commitCategory() {
      commitField("category", categoryInput.value.trim() || null, state.detail.ticket.category || null, categoryInput);
    }
    categoryInput.addEventListener("change", commitCategory);
    categoryInput.addEventListener("blur", commitCategory);
    var tagsInput = h("input", {
      id: "field-tags",
      type: "text",
      value: (ticket.tags || []).join(", "),
      placeholder: t("tagsPlaceholder"),
    });
    function commitTags() {
      commitField("tags", tagList(tagsInput.value), tagList((state.detail.ticket.tags || []).join(",")), tagsInput);
    }
    tagsInput.addEventListener("change", commitTags);
    tagsInput.addEventListener("blur", commitTags);

    panel.appendChild(
      h("div", { class: "form-grid" }, [
        h("label", { for: "field-priority", text: t("priority") }),
        prioritySelect,
        h("label", { for: "field-category", text: t("category") }),
        categoryInput,
        h("label", { for: "field-tags", text: t("tags") }),
        tagsInput,
      ])
    );

    panel.appendChild(
      h(
        "dl",
        { class: "facts" },
        flatten([
          field(t("kind"), label("kind", ticket.kind)),
          field(t("reason"), label("reason", ticket.reason)),
          field(t("team"), ticket.team && ticket.team.name),
          field(t("assignee"), ticket.assignee ? ticket.assignee.name : t("unassigned")),
          field(t("created"), timeFull(ticket.created_at)),
          ticket.first_response_at ? field(t("firstResponse"), timeFull(ticket.first_response_at)) : [],
          ticket.resolved_at ? field(t("resolvedAt"), timeFull(ticket.resolved_at)) : [],
          ticket.subject ? field(t("subject"), ticket.subject) : [],
          ticket.summary ? field(t("summary"), ticket.summary) : [],
          ticket.reopened_count ? field(t("reopened"), String(ticket.reopened_count)) : [],
        ])
      )
    );

    var clocks = ticket.sla || {};
    var names = Object.keys(clocks);
    if (names.length) {
      panel.appendChild(h("h3", { text: t("sla") }));
      panel.appendChild(
        h(
          "ul",
          { class: "sla-list" },
          names.map(function (name) {
            return h("li", {}, [slaChip(name, clocks[name])]);
          })
        )
      );
    }

    if (detail.rating) panel.appendChild(ratingNode(detail.rating));
    if (ticket.kind === "complaint" && detail.complaint) panel.appendChild(complaintNode(detail.complaint));
    panel.appendChild(timelineNode(detail.timeline || []));
    restoreEdits(edits);
  }

  function patch(changes) {
    return act("PATCH", "", changes, { done: t("saved") });
  }

  function ratingNode(rating) {
    var section = h("section", { class: "rating" }, [h("h3", { text: t("rating") })]);
    if (rating.skipped) {
      section.appendChild(h("p", { text: t("ratingSkipped") }));
      return section;
    }
    var facts = [];
    if (rating.csat != null) {
      facts.push(field(t("csat"), h("span", { class: "stars", title: rating.csat + " / 5", text: "\u2605".repeat(rating.csat) + "\u2606".repeat(Math.max(0, 5 - rating.csat)) + " " + rating.csat + "/5" })));
    }
    if (rating.resolved != null) facts.push(field(t("ratingResolved"), rating.resolved ? t("yes") : t("no")));
    ["speed", "problem_solving", "attitude"].forEach(function (name) {
      if (rating[name] != null) facts.push(field(label("ratingPart", name), rating[name] + "/5"));
    });
    if (rating.comment) facts.push(field(t("comment"), rating.comment));
    section.appendChild(h("dl", { class: "facts" }, flatten(facts)));
    return section;
  }

  function complaintNode(record) {
    var inputs = {};
    function area(name) {
      inputs[name] = h("textarea", { id: "complaint-" + name, rows: "2", maxlength: "4000", value: record[name] || "" });
      inputs[name].value = record[name] || "";
      return [h("label", { for: "complaint-" + name, text: label("complaintField", name) }), inputs[name]];
    }
    function select(name, values, group) {
      inputs[name] = h(
        "select",
        { id: "complaint-" + name },
        values.map(function (value) {
          var option = h("option", { value: value, text: label(group, value) });
          if (value === record[name]) option.selected = true;
          return option;
        })
      );
      return [h("label", { for: "complaint-" + name, text: label("complaintField", name) }), inputs[name]];
    }
    var form = h(
      "form",
      {
        class: "complaint-form form-grid",
        onsubmit: function (event) {
          event.preventDefault();
          var changes = {};
          Object.keys(inputs).forEach(function (name) {
            var value = inputs[name].value;
            if (inputs[name].tagName === "TEXTAREA") value = value.trim() || null;
            if (value !== (record[name] == null ? null : record[name]) && !(value === null && !record[name])) {
              changes[name] = value;
            }
          });
          Object.keys(inputs).forEach(function (name) {
            inputs[name].removeAttribute("data-dirty");
          });
          if (!Object.keys(changes).length) {
            toast(t("nothingChanged"));
            return;
          }
          act("PATCH", "/complaint", changes, { done: t("saved") });
        },
      },
      flatten([
        select("stage", COMPLAINT_STAGES, "stage"),
        select("category", COMPLAINT_CATEGORIES, "complaintCategory"),
        area("verification"),
        area("root_cause"),
        area("corrective_action"),
        area("evaluation_note"),
        [h("span"), h("button", { type: "submit", class: "btn btn--small", text: t("saveComplaint") })],
      ])
    );
    var facts = flatten([
      record.description ? field(label("complaintField", "description"), record.description) : [],
      record.order_number ? field(label("complaintField", "order_number"), record.order_number) : [],
      record.emotion ? field(t("emotion"), label("emotion", record.emotion)) : [],
      record.resolution ? field(label("complaintField", "resolution"), record.resolution) : [],
      record.result_notified_at ? field(label("complaintField", "result_notified_at"), timeFull(record.result_notified_at)) : [],
      record.satisfaction != null ? field(label("complaintField", "satisfaction"), record.satisfaction + "/5") : [],
    ]);
    return h("section", { class: "complaint" }, [
      h("h3", { text: t("complaintRecord") }),
      facts.length ? h("dl", { class: "facts" }, facts) : null,
      form,
    ]);
  }

  function eventSummary(event) {
    var d = event.data || {};
    switch (event.kind) {
      case "created":
        return t("ev.created", { reason: label("reason", d.reason), priority: d.priority || "" });
      case "assigned":
        return t("ev.assigned", { name: d.assignee || "", how: label("how", d.how) });
      case "status_changed":
        return t("ev.status", { old: label("status", d.old), new: label("status", d.new) }) + (d.resolution ? " \u2014 " + d.resolution : "");
      case "priority_changed":
        return t("ev.priority", { old: d.old || "", new: d.new || "" }) + (d.why === "sla" ? " (" + t("sla") + ")" : "");
      case "classified":
        return t("ev.classified", { field: label("fieldName", d.field), value: Array.isArray(d.new) ? d.new.join(", ") : d.new == null ? "\u2014" : String(d.new) });
      case "transferred":
      case "escalated":
        return t("ev." + event.kind) + (d.to_agent ? " \u2192 " + d.to_agent : "");
      case "note":
        return t("ev.note") + ": " + (d.text || "");
      case "message":
        return d.first_response ? t("ev.firstResponse") : t("ev.message");
      case "sla_warning":
      case "sla_breached":
        return t("ev." + event.kind, { clocks: (d.clocks || []).map(function (c) { return label("clock", c); }).join(", ") });
      case "complaint_updated":
        return t("ev.complaint", { fields: (d.fields || []).map(function (f) { return label("complaintField", f); }).join(", ") });
      default:
        return label("ev", event.kind);
    }
  }

  function timelineNode(events) {
    var list = h(
      "ol",
      { class: "timeline" },
      events.map(function (event) {
        return h("li", { class: "tl tl--" + event.kind }, [
          timeNode(event.created_at),
          h("span", { class: "tl-body" }, [
            h("span", { class: "tl-text", text: eventSummary(event) }),
            event.actor ? h("span", { class: "tl-actor", text: event.actor }) : null,
          ]),
        ]);
      })
    );
    return h("details", { class: "timeline-box", open: true }, [
      h("summary", { text: t("timelineCount", { n: events.length }) }),
      list,
    ]);
  }

  // ---------------------------------------------------------------------------------------
  // Customer panel
  // ---------------------------------------------------------------------------------------

  function renderCustomer() {
    var detail = state.detail;
    var customer = detail.customer || {};
    var panel = clear(ui.customer);
    panel.appendChild(
      h("div", { class: "panel-head" }, [h("h2", { text: customerName(customer) })].concat(flags({}, customer)))
    );
    panel.appendChild(
      h(
        "dl",
        { class: "facts" },
        flatten([
          field(t("email"), customer.email),
          customer.phone ? field(t("phone"), customer.phone) : [],
          field(t("tier"), label("tier", customer.tier)),
          customer.lifecycle ? field(t("lifecycle"), label("lifecycle", customer.lifecycle)) : [],
          customer.membership ? field(t("membership"), customer.membership) : [],
          customer.notes ? field(t("customerNotes"), customer.notes) : [],
          detail.conversation ? field(t("language"), detail.conversation.locale) : [],
          detail.conversation && detail.conversation.customer_seen_at
            ? field(t("lastSeen"), timeFull(detail.conversation.customer_seen_at))
            : [],
        ])
      )
    );
    if (customer.id == null) {
      panel.appendChild(h("p", { class: "muted", text: t("noProfile") }));
      return;
    }
    var others = (customer.tickets || []).filter(function (item) {
      return item.number !== detail.ticket.number;
    });
    panel.appendChild(h("h3", { text: t("earlierTickets", { n: others.length }) }));
    if (!others.length) panel.appendChild(h("p", { class: "muted", text: t("none") }));
    else {
      panel.appendChild(
        h(
          "ul",
          { class: "history" },
          others.map(function (item) {
            return h("li", {}, [
              h("a", { href: "#" + item.number, text: item.number }),
              " ",
              h("span", { class: "status status--" + item.status, text: label("status", item.status) }),
              " ",
              h("span", { class: "muted", text: [label("kind", item.kind), item.category, timeShortDate(item.created_at)].filter(Boolean).join(" \u00b7 ") }),
              item.complaint ? h("span", { class: "muted", text: " \u00b7 " + label("stage", item.complaint.stage) }) : null,
            ]);
          })
        )
      );
    }
    var conversations = (customer.conversations || []).filter(function (c) {
      return !detail.conversation || c.session_id !== detail.conversation.session_id;
    });
    panel.appendChild(h("h3", { text: t("earlierConversations", { n: conversations.length }) }));
    if (!conversations.length) panel.appendChild(h("p", { class: "muted", text: t("none") }));
    else {
      panel.appendChild(
        h(
          "ul",
          { class: "history" },
          conversations.map(function (c) {
            return h("li", {}, [
              h("span", { class: "mono", title: c.session_id, text: c.session_id.slice(0, 8) }),
              " ",
              h("span", { class: "muted", text: label("conv", c.status) + " \u00b7 " + timeShortDate(c.created_at) }),
            ]);
          })
        )
      );
    }
    if ((customer.ratings || []).length) {
      panel.appendChild(h("h3", { text: t("ratings") }));
      panel.appendChild(
        h(
          "ul",
          { class: "history" },
          customer.ratings.map(function (r) {
            return h("li", {}, [
              h("span", { text: r.csat != null ? r.csat + "/5" : t("noScore") }),
              " ",
              h("span", { class: "muted", text: timeShortDate(r.created_at) + (r.comment ? " \u00b7 " + r.comment : "") }),
            ]);
          })
        )
      );
    }
  }

  function timeShortDate(iso) {
    var ms = parseTime(iso);
    return ms == null ? "" : new Date(ms).toLocaleDateString(LOCALE);
  }

  // ---------------------------------------------------------------------------------------
  // Live events: WebSocket, polling while it is down
  // ---------------------------------------------------------------------------------------

  function wsSend(message) {
    if (state.ws && state.wsLive) {
      try {
        state.ws.send(JSON.stringify(message));
      } catch (e) {
        /* closing; the reconnect resubscribes */
      }
    }
  }

  function connect() {
    clearTimeout(state.wsTimer);
    state.wsTimer = null;
    if (state.ws) return;
    var ws;
    try {
      ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/agent/ws");
    } catch (e) {
      startPolling();
      scheduleReconnect();
      return;
    }
    state.ws = ws;
    ws.onopen = function () {
      state.wsLive = true;
      state.wsAttempts = 0;
      stopPolling();
      setConnection(true);
      state.subscribed = null;
      if (state.current) wsSend({ type: "subscribe", ticket: state.current });
      // The socket only pushes what happens from now on: catch up on what we missed.
      refreshQueue();
      if (state.current) loadTicket();
    };
    ws.onmessage = function (event) {
      var data;
      try {
        data = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (data && typeof data === "object") handleEvent(data);
    };
    ws.onclose = function () {
      if (state.ws === ws) state.ws = null;
      state.wsLive = false;
      state.subscribed = null;
      setConnection(false);
      startPolling();
      scheduleReconnect();
    };
    ws.onerror = function () {}; // always followed by close
  }

  function scheduleReconnect() {
    if (state.wsTimer) return;
    var delay = Math.min(WS_BACKOFF_MAX_MS, WS_BACKOFF_MIN_MS * Math.pow(2, state.wsAttempts));
    delay *= 0.75 + Math.random() * 0.5;
    state.wsAttempts++;
    state.wsTimer = setTimeout(connect, delay);
  }

  function startPolling() {
    if (state.pollTimer) return;
    state.pollTimer = setTimeout(poll, POLL_MS);
  }

  function stopPolling() {
    clearTimeout(state.pollTimer);
    state.pollTimer = null;
  }

  function poll() {
    state.pollTimer = null;
    if (state.wsLive) return;
    Promise.all([refreshQueue(), loadTicket()]).finally(function () {
      if (!state.wsLive) startPolling();
    });
  }

  /** Events of the subscribed ticket that carry no ticket number (the conversation channel). */
  function forOpenConversation() {
    return !!state.current && state.subscribed === state.current;
  }

  function handleEvent(event) {
    var current = state.current;
    switch (event.type) {
      case "queue_changed":
      case "agents_changed":
        refreshQueue();
        break;
      case "assigned":
        refreshQueue();
        beep();
        toast(t("assignedToYou", { number: event.ticket || "" }));
        if (event.ticket === current) reloadSoon();
        break;
      case "customer_message":
        // The event comes once per channel (queue, and the ticket's when subscribed).
        var id = event.message && event.message.id;
        if (event.ticket && id && !state.counted.has(id) && (event.ticket !== current || document.hidden)) {
          state.counted.add(id);
          state.unread[event.ticket] = (state.unread[event.ticket] || 0) + 1;
          saveUnread();
        }
        if (event.ticket && event.ticket === current && event.message) addMessages([event.message]);
        refreshQueue();
        break;
      case "message":
        if (event.ticket ? event.ticket === current : forOpenConversation()) addMessages([event.message]);
        break;
      case "note":
        if (event.ticket === current) addNote(event.note);
        break;
      case "ticket_changed":
        refreshQueue();
        if (event.ticket === current) reloadSoon();
        break;
      case "status":
        if (state.detail && state.detail.conversation && event.session_id === state.detail.conversation.session_id) {
          reloadSoon();
        }
        break;
      case "typing":
        if ((event.ticket ? event.ticket === current : forOpenConversation()) && event.name !== (state.me && state.me.name)) {
          showTyping(event);
        }
        break;
      case "subscribed":
        if (event.ticket === current) {
          state.subscribed = current;
          loadTicket(); // anything that happened between the first load and the subscription
        }
        break;
      case "error":
        showError((event.error && event.error.message) || t("networkError"));
        break;
      default:
        break;
    }
  }

  // ---------------------------------------------------------------------------------------
  // Presence and sign-out
  // ---------------------------------------------------------------------------------------

  function renderPresence() {
    clear(ui.presence);
    PRESENCE.forEach(function (value) {
      var option = h("option", { value: value, text: label("presence", value) });
      if (state.me && state.me.presence === value) option.selected = true;
      ui.presence.appendChild(option);
    });
    ui.presence.className = "presence presence--" + (state.me ? state.me.presence : "offline");
  }

  function setPresence() {
    var value = ui.presence.value;
    api("POST", "/api/presence", { presence: value })
      .then(function () {
        state.me.presence = value;
        renderPresence();
        toast(t("presenceSet", { presence: label("presence", value) }));
      })
      .catch(function (error) {
        showError(error);
        renderPresence();
      });
  }

  function signOut() {
    state.leaving = true; // no "session expired" detour to /login?next=... on the way out
    clearTimeout(state.wsTimer);
    stopPolling();
    if (state.ws) {
      state.ws.onclose = null;
      state.ws.close();
    }
    client.logout();
  }

  // ---------------------------------------------------------------------------------------
  // Wiring
  // ---------------------------------------------------------------------------------------

  function wire() {
    ui.presence.addEventListener("change", setPresence);
    ui.signOut.addEventListener("click", signOut);
    ["pointerdown", "keydown"].forEach(function (name) {
      document.addEventListener(name, unlockAudio, { passive: true });
    });

    ui.replyForm.addEventListener("submit", function (event) {
      event.preventDefault();
      sendReply();
    });
    ui.replyInput.addEventListener("input", function () {
      refreshComposer();
      updateSuggest();
      if (ui.replyInput.value.trim()) sendTyping();
    });
    ui.replyInput.addEventListener("click", updateSuggest);
    ui.replyInput.addEventListener("blur", function () {
      setTimeout(closeSuggest, 150);
    });
    ui.replyInput.addEventListener("focus", function () {
      loadCanned(false);
    });
    ui.replyInput.addEventListener("keydown", function (event) {
      var s = state.suggest;
      var composing = event.isComposing || event.keyCode === 229;
      if (s && !composing) {
        if (event.key === "ArrowDown" || event.key === "ArrowUp") {
          event.preventDefault();
          var n = s.items.length;
          s.index = (s.index + (event.key === "ArrowDown" ? 1 : n - 1)) % n;
          renderSuggest();
          return;
        }
        if (event.key === "Tab" || event.key === "Enter") {
          event.preventDefault();
          insertCanned();
          return;
        }
        if (event.key === "Escape") {
          event.preventDefault();
          closeSuggest();
          return;
        }
      }
      if (event.key === "Enter" && !event.shiftKey && !composing) {
        event.preventDefault();
        sendReply();
      }
    });

    ui.quickToggle.addEventListener("click", function () {
      var open = ui.quickEditor.hidden;
      ui.quickEditor.hidden = !open;
      ui.quickToggle.setAttribute("aria-expanded", open ? "true" : "false");
      if (open) ui.quickTitle.focus();
    });
    ui.quickAdd.addEventListener("click", addQuickButton);
    [ui.quickTitle, ui.quickPayload].forEach(function (input) {
      input.addEventListener("keydown", function (event) {
        if (event.key === "Enter") {
          event.preventDefault();
          addQuickButton();
        }
      });
    });

    ui.noteForm.addEventListener("submit", function (event) {
      event.preventDefault();
      submitNote();
    });
    ui.noteInput.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        submitNote();
      }
    });

    ui.tabReply.addEventListener("click", function () {
      selectTab("reply");
    });
    ui.tabNote.addEventListener("click", function () {
      selectTab("note");
    });
    [ui.tabReply, ui.tabNote].forEach(function (tab) {
      tab.addEventListener("keydown", function (event) {
        if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
          selectTab(tab === ui.tabReply ? "note" : "reply");
          (tab === ui.tabReply ? ui.tabNote : ui.tabReply).focus();
        }
      });
    });

    // Edited fields keep their text when live updates re-render the panel.
    ui.details.addEventListener("input", function (event) {
      if (event.target.id) event.target.setAttribute("data-dirty", "");
    });

    $("resolve-form").addEventListener("submit", submitResolve);
    $("transfer-form").addEventListener("submit", submitTransfer);
    $("transfer-to-team").addEventListener("change", syncTransferMode);
    $("transfer-to-agent").addEventListener("change", syncTransferMode);
    $("confirm-ok").addEventListener("click", function () {
      finishConfirm(true);
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-close-dialog]"), function (button) {
      button.addEventListener("click", function () {
        var dialog = button.closest("dialog");
        if (dialog === ui.confirmDialog) finishConfirm(false);
        else closeDialog(dialog);
      });
    });
    ui.confirmDialog.addEventListener("cancel", function () {
      finishConfirm(false);
    });

    window.addEventListener("hashchange", function () {
      var number = window.location.hash.slice(1);
      if (number && number.toUpperCase() !== state.current) openTicket(number);
    });
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) {
        markRead();
        if (!state.wsLive) {
          state.wsAttempts = 0;
          connect();
        }
      }
    });
    window.addEventListener("online", function () {
      if (!state.ws) {
        state.wsAttempts = 0;
        connect();
      }
    });
  }

  function start() {
    setConnection(false);
    wire();
    refreshComposer();
    refreshMe()
      .then(function () {
        loadUnread();
        renderPresence();
        $("user-name").textContent = state.me.name;
        connect();
        refreshQueue();
        loadCanned(true);
        var number = window.location.hash.slice(1);
        if (number) openTicket(number);
        setInterval(tick, 1000);
        // A slow safety net while live: SLA states change on the hub with no event to us.
        setInterval(function () {
          if (!state.wsLive) return;
          refreshQueue();
          loadTicket();
        }, SAFETY_REFRESH_MS);
      })
      .catch(function (error) {
        if (error.status === 401) goToLogin();
        else showError(error);
      });
  }

  start();
})();
