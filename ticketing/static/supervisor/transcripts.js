/*
 * Supervisor console: the transcripts tab: filters, the list and one transcript (its messages
 * and ticket timelines drawn by the shared ../transcript.js).
 */
import { createTranscript } from "../transcript.js";
import { $, api, clear, customerName, DASH, DECISION_BADGE, DIMENSIONS, FILTERS, fmtCount, fmtR, h, label, PER_PAGE, query, state, t, timeNode, timeShort, ui } from "./core.js";
import { openActionForm } from "./actions.js";
import { categoryLabel } from "./dashboard.js";
import { updateExportLinks } from "./period.js";

// ---------------------------------------------------------------------------------------
// Transcripts: filters, the list and one transcript
// ---------------------------------------------------------------------------------------

export function currentFilters() {
  var params = {};
  FILTERS.forEach(function (name) {
    var input = $("f-" + name);
    var value = input ? input.value.trim() : "";
    if (value) params[name] = value;
  });
  return params;
}

export function resetFilters() {
  FILTERS.forEach(function (name) {
    var input = $("f-" + name);
    if (input) input.value = "";
  });
  if (state.period) {
    $("f-from").value = state.period.from;
    $("f-to").value = state.period.to;
  }
}

export function loadPeople() {
  if (state.agents) return;
  state.agents = [];
  api("GET", "/api/agents")
    .then(function (data) {
      state.agents = data.agents || [];
      var select = $("f-agent");
      state.agents.forEach(function (a) {
        select.appendChild(h("option", { value: String(a.id), text: a.name + (a.role !== "agent" ? " (" + a.role + ")" : "") }));
      });
    })
    .catch(function () {
      state.agents = null;
    });
  api("GET", "/api/teams")
    .then(function (data) {
      state.teams = data.teams || [];
      var select = $("f-team");
      state.teams.forEach(function (team) {
        select.appendChild(h("option", { value: team.key, text: team.name || team.key }));
      });
    })
    .catch(function () {});
}

export function loadConversations() {
  var params = currentFilters();
  params.page = state.page;
  params.per_page = PER_PAGE;
  updateExportLinks();
  var seq = (state.seq.conversations = (state.seq.conversations || 0) + 1);
  ui.convCount.textContent = t("loading");
  ui.convCount.className = "conv-count";
  return api("GET", "/api/conversations" + query(params))
    .then(function (data) {
      if (seq !== state.seq.conversations) return;
      state.conversations = data;
      renderConversations(data);
    })
    .catch(function (error) {
      if (seq !== state.seq.conversations) return;
      ui.convCount.textContent = t("sup.loadFailed", { message: error.message });
      ui.convCount.className = "conv-count report-status--error";
    });
}

function renderConversations(data) {
  ui.convCount.textContent = t("sup.conversationsFound", { n: fmtCount(data.total) });
  ui.convCount.setAttribute("data-total", String(data.total));
  clear(ui.convRows);
  if (!data.conversations.length) {
    ui.convRows.appendChild(h("tr", {}, [h("td", { colspan: "5", class: "empty", text: t("sup.noConversations") })]));
  }
  data.conversations.forEach(function (c) {
    var outcome;
    if (c.contained) outcome = h("span", { class: "badge badge--ok", text: t("sup.contained") });
    else {
      var ticket = c.ticket || {};
      outcome = h("span", {}, [
        h("span", { class: "badge badge--warn", text: t("sup.escalated") }),
        " ",
        h("span", { class: "small", text: label("reason", c.handoff_reason) }),
        h("div", { class: "conv-ticket" }, [
          ticket.number ? h("span", { class: "muted small mono", text: ticket.number }) : null,
          ticket.priority ? h("span", { class: "prio prio--" + ticket.priority.toLowerCase(), text: ticket.priority }) : null,
          ticket.status ? h("span", { class: "status status--" + ticket.status, text: label("status", ticket.status) }) : null,
        ]),
        ticket.assignee ? h("div", { class: "muted small", text: t("assignedTo", { name: ticket.assignee }) }) : null,
      ]);
    }
    var row = h("tr", { class: "conv-row" + (c.session_id === state.openSession ? " is-active" : ""), "data-session": c.session_id }, [
      h("td", { class: "nowrap" }, [
        h("a", { href: "#transcript=" + encodeURIComponent(c.session_id), class: "conv-link" }, [timeNode(c.created_at)]),
        h("div", { class: "muted small", text: label("conv", c.status) }),
      ]),
      h("td", {}, [h("span", { text: customerName(c.customer) }), c.customer && c.customer.email && c.customer.name ? h("div", { class: "muted small", text: c.customer.email }) : null]),
      h("td", { class: "snippet" }, [
        h("span", { text: c.snippet || DASH }),
        " ",
        h("span", { class: "muted small", text: t("sup.messagesCount", { n: c.message_count }) }),
        c.had_fallback ? h("span", { class: "badge badge--bad", title: t("sup.hadFallbackTitle"), text: t("sup.hadFallback") }) : null,
      ]),
      h("td", {}, [outcome]),
      h("td", { class: "num" }, [c.csat != null ? h("span", { class: "csat csat--" + c.csat, text: String(c.csat) }) : DASH]),
    ]);
    row.addEventListener("click", function (event) {
      if (event.target.closest("a")) event.preventDefault();
      openConversation(c.session_id, true);
    });
    ui.convRows.appendChild(row);
  });
  ui.pageInfo.textContent = t("sup.pageOf", { page: data.page, pages: Math.max(1, data.pages) });
  ui.pagePrev.disabled = data.page <= 1;
  ui.pageNext.disabled = data.page >= data.pages;
}

export function openConversation(sessionId, setHash) {
  if (!sessionId) return;
  state.openSession = sessionId;
  if (setHash) history.replaceState(null, "", "#transcript=" + encodeURIComponent(sessionId));
  Array.prototype.forEach.call(ui.convRows.querySelectorAll(".conv-row"), function (row) {
    row.classList.toggle("is-active", row.getAttribute("data-session") === sessionId);
  });
  clear(ui.detail).appendChild(h("p", { class: "muted", text: t("loading") }));
  var seq = (state.seq.detail = (state.seq.detail || 0) + 1);
  api("GET", "/api/conversations/" + encodeURIComponent(sessionId))
    .then(function (data) {
      if (seq !== state.seq.detail) return;
      renderDetail(data);
      ui.detail.focus({ preventScroll: true });
    })
    .catch(function (error) {
      if (seq !== state.seq.detail) return;
      clear(ui.detail).appendChild(h("p", { class: "form-error", text: t("sup.loadFailed", { message: error.message }) }));
    });
}

// the shared transcript with the review marks: decision, FAQ topic, out-of-domain score,
// low confidence, the customer's feedback on answers
var view = createTranscript({
  t: t,
  label: label,
  timeNode: timeNode,
  messageTime: function (iso) {
    return timeNode(iso, timeShort(iso));
  },
  review: { badges: DECISION_BADGE, score: fmtR },
  events: {
    rating: function (event) {
      var d = event.data || {};
      return t("ev.rating") + (d.csat != null ? ": " + d.csat + "/5" : "");
    },
  },
});

export function fact(name, value) {
  if (value == null || value === "") return [];
  return [h("dt", { text: name }), h("dd", {}, [value])];
}

function ticketBlock(ticket) {
  var complaint = ticket.complaint;
  return h("section", { class: "detail-ticket" }, [
    h("div", { class: "panel-head" }, [
      h("h3", { class: "ticket-number mono", text: ticket.number }),
      h("span", { class: "prio prio--" + String(ticket.priority || "").toLowerCase(), text: ticket.priority || "" }),
      h("span", { class: "status status--" + ticket.status, text: label("status", ticket.status) }),
      ticket.breached ? h("span", { class: "flag flag--breached", text: t("breached") }) : null,
      ticket.escalated ? h("span", { class: "flag flag--escalated", text: t("escalated") }) : null,
    ]),
    h("dl", { class: "facts" }, [
      fact(t("kind"), label("kind", ticket.kind)),
      fact(t("reason"), label("reason", ticket.reason)),
      fact(t("category"), ticket.category ? categoryLabel(ticket.category) : null),
      fact(t("team"), ticket.team ? ticket.team.name || ticket.team.key : null),
      fact(t("assignee"), ticket.assignee ? ticket.assignee.name : t("unassigned")),
      fact(t("created"), timeNode(ticket.created_at)),
      fact(t("firstResponse"), ticket.first_response_at ? timeNode(ticket.first_response_at) : null),
      fact(t("resolvedAt"), ticket.resolved_at ? timeNode(ticket.resolved_at) : null),
      fact(t("subject"), ticket.subject),
      fact(t("summary"), ticket.summary),
    ]),
    complaint
      ? h("div", { class: "complaint" }, [
          h("h4", { text: t("complaintRecord") }),
          h("dl", { class: "facts" }, [
            fact(label("complaintField", "category"), categoryLabel(complaint.category)),
            fact(label("complaintField", "stage"), label("stage", complaint.stage)),
            fact(label("complaintField", "description"), complaint.description),
            fact(label("complaintField", "order_number"), complaint.order_number),
            fact(label("complaintField", "root_cause"), complaint.root_cause),
            fact(label("complaintField", "corrective_action"), complaint.corrective_action),
            fact(label("complaintField", "resolution"), complaint.resolution),
            fact(label("complaintField", "satisfaction"), complaint.satisfaction != null ? complaint.satisfaction + "/5" : null),
          ]),
        ])
      : null,
    h("h4", { text: t("sup.slaEvents") }),
    ticket.sla_events && ticket.sla_events.length ? view.timeline(ticket.sla_events, "timeline--sla") : h("p", { class: "muted small", text: t("sup.noSlaEvents") }),
    h("h4", { text: t("sup.notes") }),
    ticket.notes && ticket.notes.length
      ? h(
          "ol",
          { class: "notes" },
          ticket.notes.map(function (n) {
            return h("li", { class: "note" }, [
              h("div", { class: "msg-head" }, [h("span", { class: "msg-who", text: n.actor || "" }), timeNode(n.created_at)]),
              h("div", { class: "msg-text", text: (n.data && n.data.text) || "" }),
            ]);
          })
        )
      : h("p", { class: "muted small", text: t("sup.noNotes") }),
    view.timelineBox(ticket.timeline || []),
  ]);
}

function ratingBlock(rating) {
  if (!rating) return h("p", { class: "muted small", text: t("sup.noRating") });
  if (rating.skipped && rating.csat == null) return h("p", { class: "muted small", text: t("ratingSkipped") });
  return h("dl", { class: "facts" }, [
    fact(t("csat"), rating.csat != null ? h("span", {}, [h("span", { class: "stars", "aria-hidden": "true", text: "\u2605".repeat(rating.csat) + "\u2606".repeat(5 - rating.csat) }), " " + rating.csat + "/5"]) : null),
    fact(t("ratingResolved"), rating.resolved == null ? null : rating.resolved ? t("yes") : t("no")),
    DIMENSIONS.map(function (d) {
      return fact(label("ratingPart", d), rating[d] != null ? rating[d] + "/5" : null);
    }),
    fact(t("comment"), rating.comment),
    fact(t("sup.stage"), label("stageOf", rating.stage)),
    fact(t("agent"), rating.agent),
    fact(t("created"), timeNode(rating.created_at)),
  ]);
}

function renderDetail(data) {
  var c = data.conversation;
  var link = window.location.origin + "/supervisor#transcript=" + encodeURIComponent(c.session_id);
  var customer = c.customer || {};
  clear(ui.detail);
  ui.detail.appendChild(
    h("header", { class: "detail-head" }, [
      h("div", {}, [
        h("h2", {}, [t("transcript") + " ", h("span", { class: "mono", text: c.session_id })]),
        h("p", { class: "muted small" }, [
          customerName(customer),
          customer.email && customer.name ? " \u00b7 " + customer.email : "",
          " \u00b7 ",
          label("conv", c.status),
          " \u00b7 ",
          timeNode(c.created_at),
          c.locale ? " \u00b7 " + c.locale : "",
        ]),
      ]),
      h("div", { class: "detail-actions" }, [
        h("button", {
          type: "button",
          class: "btn btn--small btn--primary",
          id: "open-action-from-transcript",
          text: t("sup.openAction"),
          onclick: function () {
            openActionForm({ source: link, title: t("sup.actionFromTranscript", { id: c.session_id }) });
          },
        }),
        h("a", { class: "btn btn--small", href: link, text: t("sup.permalink") }),
      ]),
    ])
  );
  var messages = data.messages || [];
  ui.detail.appendChild(
    h("div", { class: "detail-grid" }, [
      h("section", { class: "detail-transcript", "aria-label": t("transcript") }, [
        h(
          "ol",
          { class: "transcript", id: "detail-transcript" },
          messages.map(function (m) {
            return view.messageNode(m, { customer: customerName(customer) });
          })
        ),
      ]),
      h("aside", { class: "detail-side" }, [
        (data.tickets || []).length
          ? data.tickets.map(ticketBlock)
          : h("p", { class: "muted small", text: t("sup.containedNoTicket") }),
        h("section", { class: "detail-rating" }, [h("h3", { text: t("rating") }), ratingBlock(data.rating)]),
      ]),
    ])
  );
}
