/*
 * Agent console: live events from the hub (the WebSocket and its fallback are live.js).
 */
import { liveSocketUrl } from "../console-common.js";
import { createLive } from "../live.js";
import { POLL_MS, setConnection, showError, state, t, toast } from "./core.js";
import { addNote } from "./notes.js";
import { refreshQueue } from "./queue.js";
import { loadTicket, reloadSoon } from "./ticket.js";
import { addMessages, showTyping } from "./transcript.js";
import { beep, saveUnread } from "./unread.js";

// ---------------------------------------------------------------------------------------
// Live events: WebSocket, polling while it is down (live.js)
// ---------------------------------------------------------------------------------------

export var live = createLive({
  url: function () {
    return liveSocketUrl("/api/agent/ws");
  },
  onMessage: handleEvent,
  onOpen: function () {
    setConnection(true);
    state.subscribed = null;
    if (state.current) live.send({ type: "subscribe", ticket: state.current });
  },
  catchUp: function () {
    // The socket only pushes what happens from now on: catch up on what we missed.
    refreshQueue();
    if (state.current) loadTicket();
  },
  onClose: function () {
    state.subscribed = null;
    setConnection(false);
  },
  poll: function () {
    return Promise.all([refreshQueue(), loadTicket()]);
  },
  pollMs: POLL_MS,
});

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
