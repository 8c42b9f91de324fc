/*
 * Supervisor console: the live queue figures (the WebSocket and its fallback are live.js).
 */
import { liveSocketUrl } from "../console-common.js";
import { createLive } from "../live.js";
import { $, api, clear, duration, fmtCount, h, label, LIVE_EVENTS, LIVE_POLL_MS, parseTime, state, t, timeFull, toast, ui } from "./core.js";

// ---------------------------------------------------------------------------------------
// Live queue: the agent WebSocket, polling GET /api/queue while it is down
// ---------------------------------------------------------------------------------------

export function setConnection(live) {
  if (!ui.connection) return;
  ui.connection.textContent = live ? t("live") : t("sup.livePolling");
  ui.connection.className = "conn " + (live ? "conn--live" : "conn--down");
}

export function refreshLive() {
  clearTimeout(state.liveTimer);
  state.liveTimer = null;
  return api("GET", "/api/queue")
    .then(function (data) {
      var tickets = data.tickets || [];
      var oldest = null;
      tickets.forEach(function (item) {
        if (!oldest || (parseTime(item.created_at) || 0) < (parseTime(oldest.created_at) || 0)) oldest = item;
      });
      applyLive(
        {
          queue_size: tickets.length,
          capped: tickets.length >= 200,
          agents_online: data.agents_online,
          oldest_waiting: oldest ? { ticket: oldest.number, priority: oldest.priority, waiting_since: oldest.created_at } : null,
        },
        true
      );
    })
    .catch(function () {
      /* the next poll or event tries again */
    });
}

/** Debounced: a burst of socket events costs one request. */
function refreshLiveSoon() {
  if (state.liveTimer) return;
  state.liveTimer = setTimeout(refreshLive, 700);
}

export function applyLive(live, fresh) {
  if (!live) return;
  if (!fresh && state.live) return; // the queue poll is newer than the summary's snapshot
  state.live = live;
  renderLive();
}

function renderLive() {
  var live = state.live;
  if (!live) return;
  ui.liveQueue.textContent = fmtCount(live.queue_size) + (live.capped ? "+" : "");
  ui.liveAgents.textContent = fmtCount(live.agents_online);
  var oldest = live.oldest_waiting;
  clear(ui.liveOldest);
  if (oldest && oldest.waiting_since) {
    var since = parseTime(oldest.waiting_since);
    ui.liveOldest.appendChild(document.createTextNode(duration(Date.now() - since)));
    ui.liveOldest.appendChild(h("span", { class: "muted small", text: " " + t("sup.oldestTicket", { ticket: oldest.ticket || "", priority: oldest.priority || "" }) }));
    ui.liveOldest.title = timeFull(oldest.waiting_since);
  } else {
    ui.liveOldest.textContent = t("sup.nobodyWaiting");
    ui.liveOldest.removeAttribute("title");
  }
  $("live-box").classList.toggle("live-box--busy", live.queue_size > 0);
}

export var socket = createLive({
  url: function () {
    return liveSocketUrl("/api/agent/ws");
  },
  onMessage: handleLiveEvent,
  onOpen: function () {
    setConnection(true);
  },
  catchUp: refreshLive, // the socket only pushes what happens from now on
  onClose: function () {
    setConnection(false);
  },
  poll: refreshLive, // every 10 s while the socket is down (and the page is visible)
  pollMs: LIVE_POLL_MS,
  pollWhenHidden: false,
});

function handleLiveEvent(data) {
  if (data.type === "sla" && data.change && data.change.state === "breached") {
    toast(t("sup.slaBreachedLive", { ticket: data.change.number || "", clocks: (data.change.clocks || []).map(function (c) { return label("clock", c); }).join(", ") }), "error");
  }
  if (LIVE_EVENTS[data.type]) {
    refreshLiveSoon();
    if (data.type === "sla" || data.type === "queue_changed") state.loaded.dashboard = null; // figures changed
  }
}

/** The live figures: a socket, polling while it is down; the waiting time ticks every 10 s. */
export function startLive() {
  refreshLive();
  socket.connect();
  socket.startPolling();
  state.tickTimer = setInterval(function () {
    if (!document.hidden && socket.isLive()) renderLive();
  }, LIVE_POLL_MS);
}

export function stopLive() {
  socket.stop();
  clearInterval(state.tickTimer);
}
