/*
 * Agent console: ticket actions (claim, resolve, transfer, ...) and their dialogs.
 */
import { $, ACTIVE, api, clear, h, isSupervisor, label, showError, state, t, toast, ui } from "./core.js";
import { refreshQueue } from "./queue.js";
import { applyDetail, isMine, loadTicket } from "./ticket.js";

// ---------------------------------------------------------------------------------------
// Actions
// ---------------------------------------------------------------------------------------

function ticketPath(suffix) {
  return "/api/tickets/" + encodeURIComponent(state.current) + (suffix || "");
}

/** Runs a ticket action; the answer is the new ticket detail. */
export function act(method, suffix, body, options) {
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

export function renderActions() {
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

export function closeDialog(dialog) {
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

export function finishConfirm(ok) {
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

export function submitResolve(event) {
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

export function syncTransferMode() {
  var toTeam = $("transfer-to-team").checked;
  $("transfer-team").disabled = !toTeam;
  $("transfer-agent").disabled = toTeam;
}

export function submitTransfer(event) {
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
