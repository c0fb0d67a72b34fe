// The door screen: keyboard-wedge scanners, the camera, manual check-in, self check-in codes,
// and a queue that keeps scans while the network is down.
(function () {
  "use strict";

  var root = document.getElementById("checkin");
  if (!root) return;
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var data = root.dataset;
  var resultBox = document.getElementById("result");
  var queueBox = document.getElementById("queue");
  var scanForm = document.getElementById("scan-form");
  var scanInput = document.getElementById("scan-input");
  var queueKey = "checkin-queue-" + data.session;
  var recent = {};
  var audio = null;

  // ---- feedback: colour, words, sound ----
  function tone(frequencies) {
    try {
      if (!audio) {
        var Context = window.AudioContext || window.webkitAudioContext;
        if (!Context) return;
        audio = new Context();
      }
      var start = audio.currentTime;
      frequencies.forEach(function (frequency, index) {
        var oscillator = audio.createOscillator();
        var gain = audio.createGain();
        oscillator.frequency.value = frequency;
        oscillator.type = frequency < 300 ? "square" : "sine";
        gain.gain.setValueAtTime(0.25, start + index * 0.18);
        gain.gain.exponentialRampToValueAtTime(0.001, start + index * 0.18 + 0.16);
        oscillator.connect(gain);
        gain.connect(audio.destination);
        oscillator.start(start + index * 0.18);
        oscillator.stop(start + index * 0.18 + 0.17);
      });
    } catch (error) {
      // Sound is a courtesy; the colour and the words carry the result.
    }
  }

  var SOUNDS = { present: [880, 1320], late: [660, 660], already: [520], error: [180, 180] };

  function show(kind, message) {
    resultBox.className = "scan-result scan-" + kind;
    resultBox.textContent = message;
    tone(SOUNDS[kind] || SOUNDS.error);
    if (navigator.vibrate) navigator.vibrate(kind === "error" ? [80, 60, 80] : 60);
  }

  function showOutcome(body) {
    if (!body) return;
    if (body.result === "present" || body.result === "late" || body.result === "already") {
      show(body.result, body.message);
    } else if (body.result === "error") {
      show("error", body.message);
    }
  }

  // ---- talking to the server ----
  function post(url, payload, contentType) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Content-Type": contentType || "application/json",
                 "Accept": "application/json" },
      body: contentType ? payload : JSON.stringify(payload)
    }).then(function (response) {
      if (response.status >= 500) throw new Error("server " + response.status);
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) {
        // A log-in page or a stale form token, not an answer: sending again cannot help.
        var stale = new Error("stale page");
        stale.stale = true;
        throw stale;
      }
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    });
  }

  function failed(error, scan) {
    if (error && error.stale) {
      show("error", data.msgStale);
      return;
    }
    if (scan) enqueue(scan);
    show("error", data.msgOffline);
  }

  // ---- offline queue ----
  function readQueue() {
    try { return JSON.parse(localStorage.getItem(queueKey) || "[]"); } catch (e) { return []; }
  }
  function writeQueue(items) {
    localStorage.setItem(queueKey, JSON.stringify(items));
    if (items.length) {
      queueBox.hidden = false;
      queueBox.textContent = data.msgQueued.replace("{n}", items.length);
    } else {
      queueBox.hidden = true;
    }
  }
  function enqueue(scan) {
    var items = readQueue();
    items.push(scan);
    writeQueue(items);
  }
  var flushing = false;
  function flushQueue() {
    var items = readQueue();
    if (flushing || !items.length) return;
    flushing = true;
    var item = items[0];
    post(data.scanUrl, item).then(function (reply) {
      writeQueue(readQueue().slice(1));
      showOutcome(reply.body);
      flushing = false;
      refreshState();
      flushQueue();
    }).catch(function (error) {
      flushing = false;
      if (error && error.stale) show("error", data.msgStale);
    });
  }

  function sendScan(token, method) {
    token = (token || "").trim();
    if (!token) return;
    // The camera sees one pass in many frames: it answers once a pass every few seconds. A
    // scan made on purpose (the scanner, a typed code) is always answered, "already" included.
    if (method === "camera") {
      var now = Date.now();
      if (recent[token] && now - recent[token] < 4000) return;
      recent[token] = now;
    }
    var scan = { token: token, method: method, scanned_at: new Date().toISOString() };
    post(data.scanUrl, scan).then(function (reply) {
      showOutcome(reply.body);
      refreshState();
    }).catch(function (error) { failed(error, scan); });
  }

  // ---- keyboard-wedge scanner: types the code and Enter into the focused field ----
  scanForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var token = scanInput.value;
    scanInput.value = "";
    sendScan(token, "scanner");
    scanInput.focus();
  });
  // A scanner types into whatever has the focus: the search box, or the name button just
  // tapped, whose Enter would press it again. What it types is a pass (YDP1 and 26 letters
  // and digits) and then Enter, so an Enter anywhere else that ends such a run of keys is a
  // scan: the field that caught the pass gets its text back, the Enter presses nothing, and
  // the scan goes through. Only the shape counts, not the speed: a slow Bluetooth scanner or
  // a busy tablet scans too, and nobody types a pass by hand but to check it in.
  var PASS_AT_END = /YDP1[A-Z2-7]{26}$/i;
  var typed = "";
  document.addEventListener("keydown", function (event) {
    if (event.target === scanInput || event.ctrlKey || event.altKey || event.metaKey) return;
    // A scanner presses Shift for each capital letter, as a keyboard would.
    if (event.key === "Shift" || event.key === "CapsLock") return;
    if (event.key === "Enter") {
      var found = PASS_AT_END.exec(typed);
      typed = "";
      if (!found) return;
      var token = found[0].toUpperCase();
      event.preventDefault();
      event.stopPropagation();
      var field = event.target;
      if (typeof field.value === "string" && field.tagName !== "BUTTON" &&
          field.value.slice(-token.length).toUpperCase() === token) {
        field.value = field.value.slice(0, -token.length);
        field.dispatchEvent(new Event("input", { bubbles: true }));
      }
      sendScan(token, "scanner");
      scanInput.focus();
      return;
    }
    // Any other key that is not a character (Backspace, an arrow, Tab) is a person at work.
    typed = event.key.length === 1 ? (typed + event.key).slice(-64) : "";
  }, true);

  // Keep the scanner field ready unless the person is using another control.
  document.addEventListener("click", function (event) {
    var tag = event.target.tagName;
    if (["INPUT", "SELECT", "TEXTAREA", "BUTTON", "SUMMARY", "A", "LABEL"].indexOf(tag) === -1) {
      scanInput.focus();
    }
  });

  // ---- live counts and roster ----
  var STATUS_WORDS = null;
  function refreshState() {
    fetch(data.stateUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (!state) return;
        document.getElementById("count-present").textContent = state.counts.present;
        document.getElementById("count-late").textContent = state.counts.late;
        document.getElementById("count-expected").textContent = state.counts.expected;
        state.roster.forEach(function (line) {
          var row = document.querySelector('.roster-line[data-enrollment="' + line.enrollment_id + '"]');
          if (!row || !line.status) return;
          var cell = row.querySelector('[data-role="status"]');
          if (!STATUS_WORDS) STATUS_WORDS = JSON.parse(root.getAttribute("data-status-words") || "{}");
          cell.className = "roster-status status-" + line.status;
          cell.textContent = (STATUS_WORDS[line.status] || line.status) +
            (line.checked_in_at ? " " + line.checked_in_at : "");
        });
      }).catch(function () {});
  }
  setInterval(refreshState, 5000);

  // ---- manual: search by name or last four digits, tap to check in ----
  var search = document.getElementById("roster-search");
  search.addEventListener("input", function () {
    var query = search.value.trim();
    document.querySelectorAll(".roster-line").forEach(function (row) {
      var match = !query || row.dataset.name.indexOf(query) !== -1 || row.dataset.phone.indexOf(query) !== -1;
      row.hidden = !match;
    });
  });
  document.querySelectorAll(".js-manual").forEach(function (button) {
    button.addEventListener("click", function () {
      post(data.manualUrl, { enrollment_id: parseInt(button.dataset.enrollment, 10) })
        .then(function (reply) { showOutcome(reply.body); refreshState(); })
        .catch(function (error) { failed(error, null); });
    });
  });

  // ---- camera ----
  var video = document.getElementById("camera");
  var canvas = document.getElementById("frame");
  var startButton = document.getElementById("camera-start");
  var stopButton = document.getElementById("camera-stop");
  var cameraStatus = document.getElementById("camera-status");
  var stream = null;
  var detector = null;
  var busy = false;
  var timer = null;
  var lastFrameError = 0;

  function stopCamera() {
    if (timer) clearInterval(timer);
    timer = null;
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.hidden = true;
    stopButton.hidden = true;
    startButton.hidden = false;
    cameraStatus.textContent = "";
  }

  function scanFrame() {
    if (busy || !stream || video.readyState < 2) return;
    busy = true;
    if (detector) {
      detector.detect(video).then(function (codes) {
        busy = false;
        if (codes.length) sendScan(codes[0].rawValue, "camera");
      }).catch(function () { busy = false; });
      return;
    }
    var width = Math.min(video.videoWidth, 800);
    var height = Math.round(video.videoHeight * width / video.videoWidth);
    canvas.width = width;
    canvas.height = height;
    canvas.getContext("2d").drawImage(video, 0, 0, width, height);
    canvas.toBlob(function (blob) {
      if (!blob) { busy = false; return; }
      post(data.frameUrl, blob, "image/jpeg").then(function (reply) {
        busy = false;
        var body = reply.body;
        if (!body || body.result === "no_code") return;
        var now = Date.now();
        if (body.token && recent[body.token] && now - recent[body.token] < 4000) return;
        if (body.token) recent[body.token] = now;
        showOutcome(body);
        refreshState();
      }).catch(function (error) {
        busy = false;
        // Without a BarcodeDetector the frames are read by the server: nothing to keep.
        var now = Date.now();
        if (now - lastFrameError > 5000) { lastFrameError = now; failed(error, null); }
      });
    }, "image/jpeg", 0.8);
  }

  function startCamera() {
    tone([]);
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      cameraStatus.textContent = data.msgCameraError;
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        video.hidden = false;
        startButton.hidden = true;
        stopButton.hidden = false;
        cameraStatus.textContent = data.msgCameraOn;
        return video.play();
      })
      .then(function () {
        if ("BarcodeDetector" in window && window.BarcodeDetector.getSupportedFormats) {
          return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
            if (formats.indexOf("qr_code") !== -1) detector = new window.BarcodeDetector({ formats: ["qr_code"] });
          });
        }
      })
      .then(function () { timer = setInterval(scanFrame, detector ? 200 : 450); })
      .catch(function () { stopCamera(); cameraStatus.textContent = data.msgCameraError; });
  }

  startButton.addEventListener("click", startCamera);
  stopButton.addEventListener("click", stopCamera);

  // ---- self check-in code ----
  var toggle = document.getElementById("self-toggle");
  var panel = document.getElementById("self-panel");
  var codeBox = document.getElementById("self-code");
  var qr = document.getElementById("self-qr");
  var countdown = document.getElementById("self-countdown");
  var codeTimer = null;
  var remaining = 0;
  function loadCode() {
    fetch(data.codeUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (body) {
        codeBox.textContent = body.code;
        qr.src = data.codeSvgUrl + "?c=" + body.code;
        remaining = body.expires_in;
        // Without a public address there is no QR to scan; the number still works typed.
        var selfError = document.getElementById("self-error");
        if (selfError && body.error) {
          selfError.textContent = body.error.message;
          selfError.hidden = false;
        }
      }).catch(function () {});
  }
  toggle.addEventListener("click", function () {
    var open = panel.hidden;
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      loadCode();
      codeTimer = setInterval(function () {
        remaining -= 1;
        countdown.textContent = remaining > 0 ? remaining + "s" : "";
        if (remaining <= 0) loadCode();
      }, 1000);
    } else if (codeTimer) {
      clearInterval(codeTimer);
    }
  });

  window.addEventListener("online", flushQueue);
  setInterval(flushQueue, 10000);
  writeQueue(readQueue());
  flushQueue();
  // A field the page asks for (the reason for a refused walk-in) keeps the focus it was given.
  var asked = document.querySelector("[autofocus]:not(#scan-input)");
  if (asked) {
    asked.focus();
    asked.scrollIntoView({ block: "center" });
  } else {
    scanInput.focus();
  }
})();
