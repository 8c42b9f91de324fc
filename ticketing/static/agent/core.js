/*
 * Agent console (/agent): the live queue, the conversation with the customer, the ticket and
 * the customer profile. This module holds what every part of the page shares: the
 * configuration and translations, small helpers, the page's state, the API client, the DOM
 * references and the notices. The parts are the other modules of agent/; main.js wires them.
 *
 * Native ES modules, no dependencies and no build step; the helpers and the API client it
 * shares with the supervisor console are in console-common.js, the live connection in live.js.
 * It speaks the hub's agent API (session cookie; every write carries the X-CSRF-Token header)
 * and one WebSocket, /api/agent/ws, for live events; while that socket is down it polls every
 * 5 s.
 *
 * Every visible string comes from the translation table the page embeds (#console-data, built
 * by ticketing/web/console_pages.py from locales/<locale>/console.json), and so do the enums it offers
 * as choices; text from customers, agents and the bot is only ever inserted with textContent /
 * text nodes, never as HTML.
 */
import * as HC from "../console-common.js";

// ---------------------------------------------------------------------------------------
// Configuration and translations
// ---------------------------------------------------------------------------------------

var CONFIG = HC.readConfig();
var ENUMS = CONFIG.enums || {}; // ticketing/models.py, through the page
var i18n = HC.localize(CONFIG);
export var LOCALE = i18n.locale;
export var t = i18n.t;
export var label = i18n.label;

export var POLL_MS = 5000; // polling interval while the WebSocket is down
export var TYPING_EVERY_MS = 2000; // at most one typing signal per 2 s
export var TYPING_SHOWN_MS = 4000; // how long "typing…" stays after the last signal
export var CANNED_STALE_MS = 30000;
export var KB_SEARCH_MS = 250; // "/kb words" searches this long after the last keystroke
export var KB_MIN_CHARS = 2;
export var SAFETY_REFRESH_MS = 60000;
export var MAX_LENGTH = 2000;
export var MAX_BUTTONS = 6;
export var PRIORITIES = ENUMS.priorities || [];
export var ACTIVE = ["new", "open", "pending", "reopened"];
export var COMPLAINT_CATEGORIES = ENUMS.complaintCategories || [];
export var COMPLAINT_STAGES = ENUMS.complaintStages || [];
export var PRESENCE = ENUMS.presence || [];

// ---------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------

export var $ = HC.$;
export var h = HC.h;
export { appendRichText } from "../dom.js";
export var clear = HC.clear;
export var parseTime = HC.parseTime;
var timeShort = i18n.timeShort;
export var timeFull = i18n.timeFull;
export var duration = i18n.duration;
export var customerName = i18n.customerName;

export function load(key) {
  try {
    return JSON.parse(window.localStorage.getItem(key));
  } catch (e) {
    return null;
  }
}

export function save(key, value) {
  try {
    window.localStorage.setItem(key, JSON.stringify(value));
  } catch (e) {
    /* storage disabled: unread counts just do not survive a reload */
  }
}


export function timeNode(iso) {
  return h("time", { datetime: iso || "", title: timeFull(iso), text: timeShort(iso) });
}

// ---------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------

export var state = {
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
  suggest: null, // {kind: "canned"|"kb", items, index, start, end} while suggestions are open
  audio: null,
  leaving: false, // signing out or sent to the sign-in page
};

// ---------------------------------------------------------------------------------------
// HTTP (the client is in console-common.js)
// ---------------------------------------------------------------------------------------

export var client = HC.createApi({
  state: state,
  t: t,
  loginNext: function () {
    return "/agent" + (state.current ? "#" + state.current : "");
  },
});
export var api = client.api;
export var goToLogin = client.goToLogin;
export var refreshMe = client.refreshMe;

export function isSupervisor() {
  return state.me && (state.me.role === "supervisor" || state.me.role === "admin");
}

// ---------------------------------------------------------------------------------------
// DOM references (the skeleton is in templates/agent.html)
// ---------------------------------------------------------------------------------------

export var ui = {
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
export var toast = notices.toast;
export var showError = notices.showError;

export function setConnection(live) {
  ui.connection.textContent = live ? t("live") : t("reconnecting");
  ui.connection.className = "conn " + (live ? "conn--live" : "conn--down");
}
