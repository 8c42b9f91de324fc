/*
 * Agent console: the open ticket (loading it, its header, who may write).
 */
import { ACTIVE, api, clear, customerName, isSupervisor, label, showError, state, t, ui } from "./core.js";
import { renderActions } from "./actions.js";
import { closeSuggest, refreshComposer, renderQuickButtons } from "./compose.js";
import { renderCustomer } from "./customer.js";
import { renderDetails } from "./details.js";
import { live } from "./events.js";
import { addNote } from "./notes.js";
import { rendered, renderIfChanged, renderMine, renderQueue, stable } from "./queue.js";
import { addMessages, hideTyping } from "./transcript.js";
import { markRead } from "./unread.js";

// ---------------------------------------------------------------------------------------
// The open ticket
// ---------------------------------------------------------------------------------------

export function openTicket(number) {
  number = String(number || "").toUpperCase();
  if (!/^T-\d+$/.test(number)) return;
  if (number === state.current) {
    loadTicket();
    return;
  }
  if (state.current) live.send({ type: "unsubscribe", ticket: state.current });
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
  live.send({ type: "subscribe", ticket: number });
  renderQueue();
  renderMine();
  loadTicket();
}

export function loadTicket() {
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
export function reloadSoon() {
  clearTimeout(state.reloadTimer);
  state.reloadTimer = setTimeout(loadTicket, 150);
}

export function applyDetail(data) {
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

export function canWrite() {
  var detail = state.detail;
  if (!detail || !detail.conversation) return false;
  var ticket = detail.ticket;
  if (ACTIVE.indexOf(ticket.status) < 0) return false;
  return isMine(ticket) || isSupervisor();
}

export function isMine(ticket) {
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
