/*
 * Agent console: internal notes and the reply/notes tabs.
 */
import { api, appendRichText, h, showError, state, t, timeNode, ui } from "./core.js";

// ---------------------------------------------------------------------------------------
// Internal notes
// ---------------------------------------------------------------------------------------

export function addNote(note) {
  if (!note || state.noteIds.has(note.id)) return;
  state.noteIds.add(note.id);
  var data = note.data || {};
  ui.notesList.appendChild(
    h("li", { class: "note", "data-id": String(note.id) }, [
      h("div", { class: "msg-head" }, [h("span", { class: "msg-who", text: note.actor || t("agent") }), timeNode(note.created_at)]),
      appendRichText(h("div", { class: "msg-text" }), data.text || ""),
    ])
  );
  ui.notesEmpty.hidden = true;
  ui.tabNote.textContent = t("tabNotesCount", { n: state.noteIds.size });
}

export function submitNote() {
  var text = ui.noteInput.value.trim();
  var number = state.current;
  if (!text || !number) return;
  ui.noteInput.disabled = true;
  api("POST", "/api/tickets/" + encodeURIComponent(number) + "/notes", { text: text })
    .then(function (note) {
      if (number !== state.current) return;
      ui.noteInput.value = "";
      addNote(note);
    })
    .catch(showError)
    .finally(function () {
      ui.noteInput.disabled = false;
      ui.noteInput.focus();
    });
}

export function selectTab(which) {
  var reply = which === "reply";
  ui.tabReply.setAttribute("aria-selected", reply ? "true" : "false");
  ui.tabNote.setAttribute("aria-selected", reply ? "false" : "true");
  ui.tabReply.tabIndex = reply ? 0 : -1;
  ui.tabNote.tabIndex = reply ? -1 : 0;
  ui.panelReply.hidden = !reply;
  ui.panelNote.hidden = reply;
  (reply ? ui.replyInput : ui.noteInput).focus();
}
