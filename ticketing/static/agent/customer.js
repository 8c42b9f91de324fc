/*
 * Agent console: the customer panel (profile and history).
 */
import { clear, customerName, h, label, LOCALE, parseTime, state, t, timeFull, ui } from "./core.js";
import { field, flatten } from "./details.js";
import { flags } from "./queue.js";

// ---------------------------------------------------------------------------------------
// Customer panel
// ---------------------------------------------------------------------------------------

export function renderCustomer() {
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
        // a typed e-mail address is the customer's claim, not an identity
        field(
          t("email"),
          customer.email && customer.verified === false ? customer.email + " (" + t("unverified") + ")" : customer.email
        ),
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
