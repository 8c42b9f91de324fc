/*
 * Agent console: the queue and my tickets (the left-hand pane).
 */
import { api, clear, customerName, h, label, parseTime, showError, state, t, toast, ui } from "./core.js";
import { slaChip, tick } from "./sla.js";
import { openTicket } from "./ticket.js";
import { beep, unreadOf, updateTitle } from "./unread.js";

// ---------------------------------------------------------------------------------------
// Queue and my tickets
// ---------------------------------------------------------------------------------------

export function refreshQueue() {
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

export function flags(item, customer) {
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

export var rendered = {}; // part of the page -> signature of what it shows now

/**
 * Re-renders a part of the page only when what it shows has changed: live events come in
 * bursts, and a click on a button that is being replaced would be lost.
 */
export function renderIfChanged(part, signature, render) {
  var json = JSON.stringify(signature);
  if (rendered[part] === json) return;
  rendered[part] = json;
  render();
}

/** A ticket without the parts of its SLA clocks that change by the minute. */
export function stable(ticket) {
  var sla = {};
  Object.keys(ticket.sla || {}).forEach(function (name) {
    sla[name] = [ticket.sla[name].state, ticket.sla[name].due_at];
  });
  return Object.assign({}, ticket, { sla: sla });
}

export function renderQueue() {
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

export function renderMine() {
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
