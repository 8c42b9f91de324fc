/*
 * Live updates from the hub, shared by the agent console, the supervisor console and the chat
 * widget: one WebSocket that reconnects with exponential back-off, polling while it is down,
 * and a catch-up fetch each time it opens (a socket only pushes what happens from then on).
 *
 * A native ES module with no imports and no globals. The consoles import it from /static/; the
 * widget, embedded on other sites, loads it with import() from the hub that served it (the hub
 * serves it with a CORS header for that, ticketing/web/pages.py).
 *
 *   createLive(options) -> {connect, reconnect, disconnect, stop, send, startPolling,
 *                           isLive, hasSocket}
 *   fetchAfter(getPage, after, pageSize)  the missed-message fetch of a paged ?after=ID list
 */

export var BACKOFF_MIN_MS = 1000;
export var BACKOFF_MAX_MS = 30000;

/** The wait before reconnect attempt `attempts` (0, 1, ...): doubling, capped, +/- 25 % jitter. */
export function backoffDelay(attempts) {
  var delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * Math.pow(2, attempts));
  // The jitter keeps many clients from reconnecting in lock-step after a hub restart.
  return delay * (0.75 + Math.random() * 0.5);
}

/**
 * One live connection. options:
 *   url()             the WebSocket URL, or null while there is nothing to connect to
 *   hello()           optional: the first frame to send once open (credentials that must not
 *                     be in the URL); the socket counts as live when the server's first frame
 *                     arrives (it answers once it listens), not when it opens
 *   onMessage(data)   every JSON object the socket pushes
 *   onOpen()          the socket is up (before catchUp)
 *   onClose()         the socket went down (polling and the reconnect are already scheduled)
 *   catchUp()         what to fetch on every open: what happened while we were not listening
 *   poll()            one polling round while the socket is down (a promise: the next round is
 *                     scheduled pollMs after it settles)
 *   pollMs            the polling interval
 *   pollWhenHidden    false: skip the rounds while the page is in a background tab
 *
 * connect() opens the socket unless one exists; reconnect() does so at once, forgetting the
 * back-off; disconnect() closes it and cancels every timer (connect() may follow, for a new
 * session); stop() does the same for good (signing out); send(message) sends JSON while live.
 */
export function createLive(options) {
  var ws = null;
  var live = false;
  var attempts = 0;
  var retryTimer = null;
  var pollTimer = null;
  var polling = false; // a poll round is running
  var generation = 0; // bumped by disconnect(): late results of an older connection are dropped
  var stopped = false;

  function connect() {
    clearTimeout(retryTimer);
    retryTimer = null;
    if (ws || stopped) return;
    var url = options.url();
    if (!url) return;
    var socket;
    try {
      socket = new WebSocket(url);
    } catch (e) {
      startPolling();
      scheduleReconnect();
      return;
    }
    ws = socket;
    var welcomed = !options.hello; // with hello(): live from the server's first frame on
    function opened() {
      live = true;
      attempts = 0;
      stopPolling();
      if (options.onOpen) options.onOpen();
      if (options.catchUp) options.catchUp();
    }
    socket.onopen = function () {
      if (socket !== ws) return socket.close(); // replaced meanwhile
      if (options.hello) socket.send(JSON.stringify(options.hello()));
      else opened();
    };
    socket.onmessage = function (event) {
      if (socket !== ws) return;
      if (!welcomed) {
        welcomed = true;
        opened();
      }
      var data;
      try {
        data = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (data && typeof data === "object") options.onMessage(data);
    };
    socket.onclose = function () {
      if (socket !== ws) return;
      ws = null;
      live = false;
      if (options.onClose) options.onClose();
      startPolling();
      scheduleReconnect();
    };
    socket.onerror = function () {}; // always followed by close, which does the work
  }

  function scheduleReconnect() {
    if (retryTimer || stopped) return;
    retryTimer = setTimeout(connect, backoffDelay(attempts));
    attempts++;
  }

  /** Reconnects now (the page became visible, the network came back): no back-off wait. */
  function reconnect() {
    attempts = 0;
    connect();
  }

  function startPolling() {
    if (pollTimer || polling || stopped || !options.poll) return;
    pollTimer = setTimeout(round, options.pollMs);
  }

  function stopPolling() {
    clearTimeout(pollTimer);
    pollTimer = null;
  }

  function round() {
    pollTimer = null;
    if (live || stopped) return;
    if (options.pollWhenHidden === false && document.hidden) {
      startPolling();
      return;
    }
    var mine = generation;
    polling = true;
    Promise.resolve()
      .then(options.poll)
      .catch(function () {
        /* the round reports its own errors; the next one tries again */
      })
      .then(function () {
        if (mine !== generation) return; // disconnected meanwhile: that loop is over
        polling = false;
        if (!live) startPolling();
      });
  }

  function closeSocket() {
    clearTimeout(retryTimer);
    retryTimer = null;
    stopPolling();
    polling = false;
    generation++;
    if (ws) {
      var socket = ws;
      ws = null;
      socket.onclose = null;
      socket.close();
    }
    live = false;
    attempts = 0;
  }

  function send(message) {
    if (!ws || !live) return false;
    try {
      ws.send(JSON.stringify(message));
      return true;
    } catch (e) {
      return false; // closing; the reconnect catches up
    }
  }

  return {
    connect: connect,
    reconnect: reconnect,
    disconnect: closeSocket,
    stop: function () {
      stopped = true;
      closeSocket();
    },
    send: send,
    startPolling: startPolling,
    isLive: function () {
      return live;
    },
    hasSocket: function () {
      return !!ws;
    },
  };
}

/**
 * The missed-message fetch of a paged list: getPage(after) shows the messages after id `after`
 * (oldest first, at most pageSize) and resolves to them, or to null to stop (the session was
 * replaced meanwhile); asks again after the last one until a page is not full.
 */
export async function fetchAfter(getPage, after, pageSize) {
  for (;;) {
    var messages = await getPage(after);
    if (!messages || messages.length < pageSize) return;
    after = messages[messages.length - 1].id;
  }
}
