/* The waiting-room call screen: server-sent events bring each call; on each new one a chime,
   and the call spoken when the site has switched that on. When events do not arrive (no
   EventSource, the server restarting, the network down), the calls are fetched every few
   seconds until events work again; the page never navigates away, so it recovers by itself. */
(function () {
  "use strict";
  var body = document.body;
  var calls = document.getElementById("display-calls");
  var status = document.getElementById("display-status");
  var clock = document.getElementById("display-clock");
  if (!calls || !body.dataset.events) { return; }
  var version = body.dataset.version;
  var every = (parseInt(body.dataset.fallbackSeconds, 10) || 3) * 1000;
  var source = null, polling = null, audio = null;

  function tick() {
    var t = new Date();
    var hm = ("0" + t.getHours()).slice(-2) + ":" + ("0" + t.getMinutes()).slice(-2);
    if (clock && clock.textContent !== hm) { clock.textContent = hm; clock.setAttribute("datetime", hm); }
  }

  function say(text) {
    status.hidden = !text;
    status.textContent = text || "";
  }

  function chime() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) { return; }
      audio = audio || new Ctx();
      if (audio.state === "suspended") { audio.resume(); }
      [[659.25, 0], [523.25, 0.45]].forEach(function (note) {
        var osc = audio.createOscillator(), gain = audio.createGain(), at = audio.currentTime + note[1];
        osc.frequency.value = note[0];
        gain.gain.setValueAtTime(0.0001, at);
        gain.gain.exponentialRampToValueAtTime(0.4, at + 0.03);
        gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.8);
        osc.connect(gain).connect(audio.destination);
        osc.start(at);
        osc.stop(at + 0.85);
      });
    } catch (e) { /* no sound on this screen: the calls still show */ }
  }

  function speak(text) {
    if (!text || !window.speechSynthesis || !window.SpeechSynthesisUtterance) { return; }
    var words = new SpeechSynthesisUtterance(text);
    words.lang = "en-GB";
    words.rate = 0.9;
    window.setTimeout(function () { window.speechSynthesis.speak(words); }, 1200);  // after the chime
  }

  function show(board) {
    if (!board || board.version === version) { return; }
    var newCall = board.spoken && board.spoken !== (calls.dataset.spoken || "");
    version = board.version;
    body.dataset.version = version;
    calls.innerHTML = board.html;
    calls.dataset.spoken = board.spoken;
    body.dataset.speak = board.speak ? "yes" : "no";
    if (newCall) {
      chime();
      if (board.speak) { speak(board.spoken); }
    }
  }

  function fetchCalls() {
    var request = new XMLHttpRequest();
    request.open("GET", body.dataset.calls);
    request.timeout = every;
    request.onload = function () {
      if (request.status === 200) {
        say("");
        try { show(JSON.parse(request.responseText)); } catch (e) { /* next time */ }
      } else if (request.status === 403) {
        say("This screen is not set up any more: ask an admin for its link.");
      }
    };
    request.onerror = request.ontimeout = function () { say("Reconnecting…"); };
    request.send();
  }

  function startPolling() {
    if (!polling) { polling = window.setInterval(fetchCalls, every); fetchCalls(); }
  }

  function stopPolling() {
    if (polling) { window.clearInterval(polling); polling = null; }
  }

  function listen() {
    if (!window.EventSource) { startPolling(); return; }
    source = new EventSource(body.dataset.events);
    source.addEventListener("calls", function (event) {
      stopPolling();
      say("");
      try { show(JSON.parse(event.data)); } catch (e) { /* the next event or fetch */ }
    });
    source.onopen = function () { stopPolling(); say(""); };
    source.onerror = function () {
      // The browser retries by itself after a dropped connection; after a refusal or an
      // error page it gives up (CLOSED): fetch meanwhile, and open a new stream later.
      startPolling();
      if (source.readyState === EventSource.CLOSED) {
        window.setTimeout(listen, every);
      }
    };
  }

  tick();
  window.setInterval(tick, 1000);
  listen();
  // Browsers keep sound off until someone presses a key or touches the screen (a TV browser in
  // kiosk mode can be started with sound allowed: README).
  ["keydown", "click", "touchstart"].forEach(function (kind) {
    document.addEventListener(kind, function () { chime(); }, { once: true });
  });
}());
