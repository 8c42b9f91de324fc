/*
 * Agent console: presence, sign-out, wiring and start-up (the page's entry module).
 */
import { $, api, clear, client, goToLogin, h, label, PRESENCE, refreshMe, SAFETY_REFRESH_MS, setConnection, showError, state, t, toast, ui } from "./core.js";
import { closeDialog, finishConfirm, submitResolve, submitTransfer, syncTransferMode } from "./actions.js";
import { addQuickButton, atKbQuery, closeSuggest, insertCanned, loadCanned, refreshComposer, renderSuggest, sendReply, sendTyping, updateSuggest } from "./compose.js";
import { live } from "./events.js";
import { selectTab, submitNote } from "./notes.js";
import { refreshQueue } from "./queue.js";
import { tick } from "./sla.js";
import { loadTicket, openTicket } from "./ticket.js";
import { loadUnread, markRead, unlockAudio } from "./unread.js";

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
  live.stop();
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
    setTimeout(function () {
      if (document.activeElement !== ui.replyInput) closeSuggest(); // unless the focus came back
    }, 150);
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
    if (event.key === "Escape" && !ui.suggest.hidden) {
      event.preventDefault(); // a "/kb" hint or "no results" line
      closeSuggest();
      return;
    }
    if (event.key === "Enter" && !event.shiftKey && !composing) {
      event.preventDefault();
      if (!atKbQuery()) sendReply(); // "/kb words" is a search, never a message
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
      if (!live.isLive()) live.reconnect();
    }
  });
  window.addEventListener("online", function () {
    if (!live.hasSocket()) live.reconnect();
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
      live.connect();
      refreshQueue();
      loadCanned(true);
      var number = window.location.hash.slice(1);
      if (number) openTicket(number);
      setInterval(tick, 1000);
      // A slow safety net while live: SLA states change on the hub with no event to us.
      setInterval(function () {
        if (!live.isLive()) return;
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
