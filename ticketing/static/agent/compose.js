/*
 * Agent console: the reply composer: canned responses ("/shortcut"), help-centre links
 * ("/kb words": GET /api/kb/search, the chosen section inserted as "Title › Heading: URL"),
 * quick buttons, the typing signal.
 */
import { ACTIVE, api, CANNED_STALE_MS, clear, h, KB_MIN_CHARS, KB_SEARCH_MS, label, MAX_BUTTONS, MAX_LENGTH, showError, state, t, toast, TYPING_EVERY_MS, ui } from "./core.js";
import { live } from "./events.js";
import { canWrite } from "./ticket.js";
import { addMessages, scrollToBottom } from "./transcript.js";

// ---------------------------------------------------------------------------------------
// Composer: reply, canned responses, quick buttons, typing signal
// ---------------------------------------------------------------------------------------

export function refreshComposer() {
  var writable = canWrite();
  var detail = state.detail;
  ui.replyInput.disabled = !writable;
  var value = ui.replyInput.value;
  var length = Array.from(value).length;
  ui.replySend.disabled = !writable || !value.trim() || length > MAX_LENGTH;
  ui.quickToggle.disabled = !writable;
  if (!writable) closeQuickEditor();
  ui.counter.hidden = length < MAX_LENGTH - 200;
  ui.counter.textContent = t("counter", { n: length, max: MAX_LENGTH });
  ui.counter.classList.toggle("is-over", length > MAX_LENGTH);
  var hint = "";
  if (detail && !writable) {
    var ticket = detail.ticket;
    if (!detail.conversation) hint = t("hintNoConversation");
    else if (ACTIVE.indexOf(ticket.status) < 0) hint = t("hintClosed", { status: label("status", ticket.status) });
    else if (!ticket.assignee) hint = t("hintClaim");
    else hint = t("hintOtherAgent", { name: ticket.assignee.name || "" });
  }
  ui.replyHint.textContent = hint;
  ui.replyHint.hidden = !hint;
  ui.noteInput.disabled = !detail;
}

export function sendReply() {
  var text = ui.replyInput.value.trim();
  var number = state.current;
  if (!text || !canWrite() || Array.from(text).length > MAX_LENGTH) return;
  var body = { text: text };
  if (state.quickButtons.length) body.buttons = state.quickButtons.slice();
  ui.replySend.disabled = true;
  ui.replyInput.disabled = true;
  api("POST", "/api/tickets/" + encodeURIComponent(number) + "/messages", body)
    .then(function (data) {
      if (number !== state.current) return;
      ui.replyInput.value = "";
      state.quickButtons = [];
      renderQuickButtons();
      closeQuickEditor();
      var message = Object.assign({}, data.message, { author: state.me.name });
      addMessages([message]);
      scrollToBottom();
    })
    .catch(function (error) {
      showError(error);
    })
    .finally(function () {
      refreshComposer();
      if (number === state.current) ui.replyInput.focus();
    });
}

export function sendTyping() {
  var now = Date.now();
  if (!live.isLive() || state.subscribed !== state.current || now - state.lastTypingSent < TYPING_EVERY_MS) return;
  state.lastTypingSent = now;
  live.send({ type: "typing", ticket: state.current });
}

export function loadCanned(force) {
  if (!force && Date.now() - state.cannedAt < CANNED_STALE_MS) return Promise.resolve(state.canned);
  state.cannedAt = Date.now();
  return api("GET", "/api/canned-responses").then(
    function (data) {
      state.canned = (data && data.canned_responses) || [];
      return state.canned;
    },
    function () {
      return state.canned;
    }
  );
}

/** The "/word" right before the caret, if any. */
function shortcutAtCaret() {
  var input = ui.replyInput;
  var caret = input.selectionStart;
  if (caret == null || caret !== input.selectionEnd) return null;
  var match = /(^|\s)\/([\w-]*)$/.exec(input.value.slice(0, caret));
  if (!match) return null;
  return { query: match[2].toLowerCase(), start: caret - match[2].length - 1, end: caret };
}

export function updateSuggest() {
  var kbQuery = kbAtCaret();
  if (kbQuery) return updateKb(kbQuery);
  var found = shortcutAtCaret();
  if (!found) return closeSuggest();
  var matches = state.canned
    .filter(function (c) {
      return c.shortcut.indexOf(found.query) === 0;
    })
    .concat(
      state.canned.filter(function (c) {
        return c.shortcut.indexOf(found.query) > 0 || (found.query && c.title.toLowerCase().indexOf(found.query) >= 0 && c.shortcut.indexOf(found.query) < 0);
      })
    )
    .slice(0, 8);
  if (Date.now() - state.cannedAt >= CANNED_STALE_MS) {
    loadCanned(false).then(function () {
      if (shortcutAtCaret()) updateSuggest();
    });
  }
  if (!matches.length) return closeSuggest();
  var index = state.suggest && state.suggest.kind === "canned" ? Math.min(state.suggest.index, matches.length - 1) : 0;
  state.suggest = { kind: "canned", items: matches, index: index, start: found.start, end: found.end };
  renderSuggest();
}

export function renderSuggest() {
  var s = state.suggest;
  clear(ui.suggest);
  ui.suggest.setAttribute("aria-label", t(s.kind === "kb" ? "kbLabel" : "cannedLabel"));
  if (s.kind === "kb") return renderKbSuggest(s);
  s.items.forEach(function (c, i) {
    ui.suggest.appendChild(
      h(
        "li",
        {
          role: "option",
          id: "canned-option-" + i,
          class: "suggest-item" + (i === s.index ? " is-selected" : ""),
          "aria-selected": i === s.index ? "true" : "false",
          onmousedown: function (event) {
            event.preventDefault(); // keep the focus in the textarea
            s.index = i;
            insertCanned();
          },
        },
        [
          h("span", { class: "suggest-shortcut", text: "/" + c.shortcut }),
          h("span", { class: "suggest-title", text: c.title }),
          h("span", { class: "suggest-text", text: c.text }),
        ]
      )
    );
  });
  ui.suggest.hidden = false;
  ui.replyInput.setAttribute("aria-expanded", "true");
  ui.replyInput.setAttribute("aria-activedescendant", "canned-option-" + s.index);
}

export function closeSuggest() {
  state.suggest = null;
  clearTimeout(kb.timer);
  kb.seq++; // a search still on its way opens nothing
  ui.suggest.hidden = true;
  clear(ui.suggest);
  ui.replyInput.setAttribute("aria-expanded", "false");
  ui.replyInput.removeAttribute("aria-activedescendant");
}

/** Inserts the chosen suggestion: a canned response's text, or a help-centre link. */
export function insertCanned() {
  var s = state.suggest;
  if (!s) return;
  var chosen = s.items[s.index];
  var text = s.kind === "kb" ? kbLink(chosen) : chosen.text;
  var input = ui.replyInput;
  var value = input.value;
  input.value = value.slice(0, s.start) + text + value.slice(s.end);
  var caret = s.start + text.length;
  input.setSelectionRange(caret, caret);
  closeSuggest();
  refreshComposer();
  input.focus();
}

// ---------------------------------------------------------------------------------------
// "/kb words": the help centre's best sections, inserted as links
// ---------------------------------------------------------------------------------------

var kb = { timer: null, seq: 0, query: null, results: null };

/** The "/kb words" right before the caret (on its line), if any. */
function kbAtCaret() {
  var input = ui.replyInput;
  var caret = input.selectionStart;
  if (caret == null || caret !== input.selectionEnd) return null;
  var match = /(^|\s)\/kb[ \t]+([^\n]*)$/i.exec(input.value.slice(0, caret));
  if (!match) return null;
  return { query: match[2].trim().slice(0, 200), start: caret - match[0].length + match[1].length, end: caret };
}

/** True while the caret ends a "/kb ..." search: Enter chooses a result, never sends it. */
export function atKbQuery() {
  return !!kbAtCaret();
}

/** "Returns and refunds › How long do I have?: https://hub.example/help/returns#how-long" */
export function kbLink(result) {
  var url = new URL(result.url, window.location.origin).href;
  return (result.heading ? result.title + " \u203a " + result.heading : result.title) + ": " + url;
}

function kbStatus(text) {
  state.suggest = null;
  clear(ui.suggest);
  ui.suggest.setAttribute("aria-label", t("kbLabel"));
  ui.suggest.appendChild(h("li", { role: "option", "aria-disabled": "true", class: "suggest-status", text: text }));
  ui.suggest.hidden = false;
  ui.replyInput.setAttribute("aria-expanded", "true");
  ui.replyInput.removeAttribute("aria-activedescendant");
}

function updateKb(found) {
  clearTimeout(kb.timer);
  if (Array.from(found.query).length < KB_MIN_CHARS) {
    kb.seq++;
    return kbStatus(t("kbHint"));
  }
  if (found.query === kb.query && kb.results) return showKbResults(found, kb.results);
  if (!state.suggest || state.suggest.kind !== "kb") kbStatus(t("kbSearching"));
  kb.timer = setTimeout(function () {
    searchKb(found.query);
  }, KB_SEARCH_MS);
}

function searchKb(query) {
  var seq = ++kb.seq;
  api("GET", "/api/kb/search?q=" + encodeURIComponent(query))
    .then(function (data) {
      if (seq !== kb.seq) return;
      kb.query = query;
      kb.results = (data && data.results) || [];
      var found = kbAtCaret();
      if (found && found.query === query && document.activeElement === ui.replyInput) showKbResults(found, kb.results);
    })
    .catch(function (error) {
      if (seq === kb.seq && kbAtCaret()) kbStatus(t("kbSearchFailed", { message: error.message }));
    });
}

function showKbResults(found, results) {
  if (!results.length) return kbStatus(t("kbNoResults", { query: found.query }));
  var index = state.suggest && state.suggest.kind === "kb" ? Math.min(state.suggest.index, results.length - 1) : 0;
  state.suggest = { kind: "kb", items: results, index: index, start: found.start, end: found.end };
  renderSuggest();
}

function renderKbSuggest(s) {
  s.items.forEach(function (result, i) {
    ui.suggest.appendChild(
      h(
        "li",
        {
          role: "option",
          id: "kb-option-" + i,
          class: "suggest-item suggest-item--kb" + (i === s.index ? " is-selected" : ""),
          "aria-selected": i === s.index ? "true" : "false",
          "data-url": result.url,
          onmousedown: function (event) {
            event.preventDefault(); // keep the focus in the textarea
            s.index = i;
            insertCanned();
          },
        },
        [
          h("span", { class: "suggest-title", text: result.title }),
          h("span", { class: "suggest-heading", text: result.heading ? "\u203a " + result.heading : "" }),
          h("span", { class: "suggest-text", text: result.quote || "" }),
        ]
      )
    );
  });
  ui.suggest.hidden = false;
  ui.replyInput.setAttribute("aria-expanded", "true");
  ui.replyInput.setAttribute("aria-activedescendant", "kb-option-" + s.index);
}

export function renderQuickButtons() {
  clear(ui.quickList);
  ui.quickList.hidden = !state.quickButtons.length;
  state.quickButtons.forEach(function (button, i) {
    ui.quickList.appendChild(
      h("li", { class: "chip chip--edit" }, [
        h("span", { title: button.payload, text: button.title }),
        h("button", {
          type: "button",
          class: "chip-remove",
          "aria-label": t("removeButton", { title: button.title }),
          text: "\u00d7",
          onclick: function () {
            state.quickButtons.splice(i, 1);
            renderQuickButtons();
          },
        }),
      ])
    );
  });
}

function closeQuickEditor() {
  ui.quickEditor.hidden = true;
  ui.quickToggle.setAttribute("aria-expanded", "false");
}

export function addQuickButton() {
  var title = ui.quickTitle.value.trim();
  var payload = ui.quickPayload.value.trim();
  if (!title) {
    ui.quickTitle.focus();
    return;
  }
  if (state.quickButtons.length >= MAX_BUTTONS) {
    toast(t("tooManyButtons", { n: MAX_BUTTONS }), "error");
    return;
  }
  state.quickButtons.push({ title: title, payload: payload || title });
  ui.quickTitle.value = "";
  ui.quickPayload.value = "";
  renderQuickButtons();
  ui.quickTitle.focus();
}
