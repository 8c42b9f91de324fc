/*
 * Supervisor console: the transcripts tab: filters, the list and one transcript.
 */
import { $, api, clear, customerName, DASH, DECISION_BADGE, DIMENSIONS, FILTERS, fmtCount, fmtR, h, isNumber, label, PER_PAGE, query, state, t, timeNode, timeShort, ui } from "./core.js";
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

function senderName(m, customer) {
  if (m.sender === "customer") return customerName(customer);
  if (m.sender === "bot") return t("bot");
  if (m.sender === "agent") return m.author || t("agent");
  return t("system");
}

function nluLine(m) {
  var parts = [];
  if (m.intent) {
    var conf = isNumber(m.confidence) ? m.confidence : null;
    parts.push(
      h("span", { class: "nlu-intent" + (m.intent === "nlu_fallback" || (conf != null && conf < 0.6) ? " nlu-low" : ""), title: t("intent") }, [
        m.intent,
        conf != null ? h("span", { class: "nlu-confidence", text: " " + conf.toFixed(2) }) : null,
      ])
    );
  } else if (m.payload == null) {
    parts.push(h("span", { class: "nlu-none", text: t("sup.noIntent") }));
  }
  (m.entities || []).forEach(function (entity) {
    if (!entity || typeof entity !== "object") return;
    var value = entity.value;
    if (value != null && typeof value === "object") value = JSON.stringify(value);
    parts.push(h("span", { class: "nlu-entity", title: t("entity"), text: (entity.entity || "?") + "=" + value }));
  });
  if (m.emotion) parts.push(h("span", { class: "nlu-emotion", title: t("emotion"), text: label("emotion", m.emotion) }));
  if (m.faq_topic) {
    var faqText = isNumber(m.faq_confidence) ? t("sup.faqTopicConf", { topic: m.faq_topic, c: m.faq_confidence.toFixed(2) }) : t("sup.faqTopicOnly", { topic: m.faq_topic });
    parts.push(h("span", { class: "nlu-faq" + (isNumber(m.faq_confidence) && m.faq_confidence < 0.6 ? " nlu-low" : ""), title: t("sup.faqTopicTitle"), text: faqText }));
  }
  if (isNumber(m.ood_score) || m.ood_reason) {
    var oodParts = [];
    if (isNumber(m.ood_score)) oodParts.push(t("sup.oodScore", { score: fmtR(m.ood_score) }));
    if (m.ood_reason) oodParts.push(label("oodReason", m.ood_reason));
    parts.push(h("span", { class: "nlu-ood" + (m.ood_reason ? " nlu-low" : ""), "data-reason": m.ood_reason || "", title: t("sup.oodTitle"), text: oodParts.join(" \u00b7 ") }));
  }
  if (m.payload && m.payload !== m.text) parts.push(h("span", { class: "nlu-payload", title: t("buttonPayload"), text: m.payload }));
  if (m.decision) parts.unshift(h("span", { class: "badge nlu-decision " + (DECISION_BADGE[m.decision] || ""), "data-decision": m.decision, title: t("sup.decisionTitle"), text: label("decision", m.decision) }));
  return parts.length ? h("div", { class: "nlu" }, parts) : null;
}

/** "Was this helpful?" under an answer the customer could rate: 👍, 👎 or not rated. */
function feedbackLine(m) {
  if (!m.rateable) return null;
  var value = m.helpful === true ? "helpful" : m.helpful === false ? "unhelpful" : "unrated";
  var cls = m.helpful === true ? "badge badge--ok" : m.helpful === false ? "badge badge--bad" : "nlu-none";
  return h("div", { class: "nlu msg-feedback", "data-helpful": value }, [h("span", { class: cls, title: t("sup.feedbackTitle"), text: t("sup.feedback." + value) })]);
}

function messageNode(m, customer) {
  return h("li", { class: "msg msg--" + m.sender, "data-id": String(m.id), "data-sender": m.sender }, [
    h("div", { class: "msg-head" }, [h("span", { class: "msg-who", text: senderName(m, customer) }), timeNode(m.created_at, timeShort(m.created_at))]),
    h("div", { class: "msg-text", text: m.text || "" }),
    m.buttons && m.buttons.length
      ? h(
          "div",
          { class: "chips", "aria-label": t("buttonsShown") },
          m.buttons.map(function (b) {
            return h("span", { class: "chip", title: b.payload || "", text: b.title || b.payload || "" });
          })
        )
      : null,
    m.sender === "customer" ? nluLine(m) : null,
    m.sender === "bot" ? feedbackLine(m) : null,
  ]);
}

export function fact(name, value) {
  if (value == null || value === "") return [];
  return [h("dt", { text: name }), h("dd", {}, [value])];
}

function eventSummary(event) {
  var d = event.data || {};
  var clocks = function () {
    return (d.clocks || [])
      .map(function (c) {
        return label("clock", c);
      })
      .join(", ");
  };
  switch (event.kind) {
    case "created":
      return t("ev.created", { reason: label("reason", d.reason), priority: d.priority || "" });
    case "assigned":
      return t("ev.assigned", { name: d.assignee || "", how: label("how", d.how) });
    case "status_changed":
      return t("ev.status", { old: label("status", d.old), new: label("status", d.new) }) + (d.resolution ? " \u2014 " + d.resolution : "");
    case "priority_changed":
      return t("ev.priority", { old: d.old || "", new: d.new || "" });
    case "classified":
      return t("ev.classified", { field: label("fieldName", d.field), value: Array.isArray(d.new) ? d.new.join(", ") : d.new == null ? DASH : String(d.new) });
    case "transferred":
    case "escalated":
      return t("ev." + event.kind) + (d.to_agent ? " \u2192 " + d.to_agent : "");
    case "note":
      return t("ev.note") + ": " + (d.text || "");
    case "message":
      return d.first_response ? t("ev.firstResponse") : t("ev.message");
    case "sla_warning":
    case "sla_breached":
      return t("ev." + event.kind, { clocks: clocks() });
    case "complaint_updated":
      return t("ev.complaint", {
        fields: (d.fields || [])
          .map(function (f) {
            return label("complaintField", f);
          })
          .join(", "),
      });
    case "rating":
      return t("ev.rating") + (d.csat != null ? ": " + d.csat + "/5" : "");
    default:
      return label("ev", event.kind);
  }
}

function eventList(events, cls) {
  return h(
    "ol",
    { class: "timeline " + (cls || "") },
    events.map(function (event) {
      return h("li", { class: "tl tl--" + event.kind }, [
        timeNode(event.created_at),
        h("span", { class: "tl-body" }, [h("span", { class: "tl-text", text: eventSummary(event) }), event.actor ? h("span", { class: "tl-actor", text: event.actor }) : null]),
      ]);
    })
  );
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
    ticket.sla_events && ticket.sla_events.length ? eventList(ticket.sla_events, "timeline--sla") : h("p", { class: "muted small", text: t("sup.noSlaEvents") }),
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
    h("details", { class: "timeline-box", open: true }, [h("summary", { text: t("timelineCount", { n: (ticket.timeline || []).length }) }), eventList(ticket.timeline || [])]),
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
            return messageNode(m, customer);
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
