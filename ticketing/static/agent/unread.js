/*
 * Agent console: unread counts per ticket, the title badge and the sound.
 */
import { load, save, state, t } from "./core.js";
import { renderMine } from "./queue.js";

// ---------------------------------------------------------------------------------------
// Unread counts, title badge and sound
// ---------------------------------------------------------------------------------------

function storageKey(name) {
  return "hd-agent-" + name + ":" + (state.me ? state.me.id : "0");
}

export function loadUnread() {
  state.unread = load(storageKey("unread")) || {};
  state.seen = load(storageKey("seen")) || {};
}

export function saveUnread() {
  save(storageKey("unread"), state.unread);
  save(storageKey("seen"), state.seen);
}

/** Unread customer messages of one of my tickets. */
export function unreadOf(item) {
  var count = state.unread[item.number] || 0;
  var last = item.last_customer_message && item.last_customer_message.id;
  if (!count && last && state.seen[item.number] != null && last > state.seen[item.number]) count = 1;
  return count;
}

export function markRead() {
  if (!state.current || document.hidden) return;
  var last = 0;
  state.messages.forEach(function (m) {
    if (m.sender === "customer" && m.id > last) last = m.id;
  });
  var changed = state.unread[state.current] || state.seen[state.current] !== last;
  delete state.unread[state.current];
  if (last) state.seen[state.current] = last;
  if (changed) {
    saveUnread();
    renderMine();
  }
}

export function updateTitle() {
  var unread = state.mine.reduce(function (sum, item) {
    return sum + unreadOf(item);
  }, 0);
  var count = unread + state.queue.length;
  document.title = (count ? "(" + count + ") " : "") + t("pageTitle");
}

export function unlockAudio() {
  var Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return;
  if (!state.audio) {
    try {
      state.audio = new Context();
    } catch (e) {
      return;
    }
  }
  if (state.audio.state === "suspended") state.audio.resume().catch(function () {});
}

/** A short two-tone beep (only after the first user interaction: autoplay rules). */
export function beep() {
  var ctx = state.audio;
  document.body.setAttribute("data-beeps", String(Number(document.body.getAttribute("data-beeps") || 0) + 1));
  if (!ctx || ctx.state !== "running") return;
  var now = ctx.currentTime;
  [880, 1175].forEach(function (freq, i) {
    var osc = ctx.createOscillator();
    var gain = ctx.createGain();
    osc.type = "sine";
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, now + i * 0.12);
    gain.gain.exponentialRampToValueAtTime(0.15, now + i * 0.12 + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.12 + 0.11);
    osc.connect(gain).connect(ctx.destination);
    osc.start(now + i * 0.12);
    osc.stop(now + i * 0.12 + 0.12);
  });
}
