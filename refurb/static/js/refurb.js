/*
 * Refurb — small front-end helpers, loaded with `defer` after htmx on every page.
 * Plain ES2017 (plus one dynamic import()), no build step: it must run as-is on
 * old Windows PCs and Android tablets.
 *
 *  - scan-first focus ([data-scan-autofocus])
 *  - success / error tones (Refurb.tone, HX-Trigger "refurb:tone", [data-tone])
 *  - mute toggle ([data-mute-toggle], localStorage "refurb-muted")
 *  - camera scanning ([data-camera-scan="<input id>"])
 *  - kiosk idle countdown ([data-idle-seconds][data-idle-url])
 *  - small page behaviours that templates must not write inline (the Content-Security-Policy
 *    allows no inline script, no on*= attribute and no hx-on): [data-autosubmit],
 *    [data-print], form[data-confirm], [data-reset-on-success], [data-all-pass]
 *  - kiosk keep-alive (<body data-keepalive-url>)
 */
(function () {
  'use strict';

  var Refurb = window.Refurb = window.Refurb || {};

  function fieldIsEditable(el) {
    return !!el && el.matches && (el.matches('input, textarea, select') || el.isContentEditable);
  }

  /* ------------------------------------------------------------------ */
  /* Scan-first focus                                                    */
  /* ------------------------------------------------------------------ */

  // A USB scanner is a keyboard: it types wherever the focus is. So the scan
  // field takes the focus back after every action, unless that would take it
  // away from someone filling in another field (or reading a dialog).
  function focusScan() {
    var scan = document.querySelector('[data-scan-autofocus]');
    if (!scan || scan.disabled || !scan.getClientRects().length) return; // hidden
    var active = document.activeElement;
    if (active === scan) return; // do not select() under the user's fingers
    if (document.querySelector('dialog[open]')) return;
    if (fieldIsEditable(active) && !(scan.form && active.form === scan.form)) return;
    scan.focus();
    // Select the previous code so the next scan replaces it instead of appending.
    if (typeof scan.select === 'function') scan.select();
  }
  Refurb.focusScan = focusScan;

  /* ------------------------------------------------------------------ */
  /* Tones                                                               */
  /* ------------------------------------------------------------------ */

  var MUTE_KEY = 'refurb-muted';
  var audioCtx = null;
  var lastTone = { kind: null, at: 0 };

  // localStorage throws in some privacy modes: never let that break scanning.
  function isMuted() {
    try { return window.localStorage.getItem(MUTE_KEY) === '1'; } catch (e) { return false; }
  }
  function setMuted(muted) {
    try {
      if (muted) window.localStorage.setItem(MUTE_KEY, '1');
      else window.localStorage.removeItem(MUTE_KEY);
    } catch (e) { /* ignore */ }
    updateMuteButtons();
  }
  Refurb.isMuted = isMuted;
  Refurb.setMuted = setMuted;

  function updateMuteButtons() {
    var muted = isMuted();
    document.querySelectorAll('[data-mute-toggle]').forEach(function (btn) {
      btn.setAttribute('aria-pressed', muted ? 'true' : 'false');
      btn.textContent = muted ? 'Son coupé' : 'Son activé';
    });
  }

  function audio() {
    var AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return null;
    if (!audioCtx) audioCtx = new AC();
    // Browsers start the context suspended until a user gesture; a key press
    // from the scanner counts, so resuming here usually succeeds.
    if (audioCtx.state === 'suspended') audioCtx.resume().catch(function () {});
    return audioCtx;
  }

  function beep(ac, freq, start, duration, type) {
    var osc = ac.createOscillator();
    var gain = ac.createGain();
    osc.type = type;
    osc.frequency.value = freq;
    // Short ramps avoid the "click" of a square cut.
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.25, start + 0.01);
    gain.gain.setValueAtTime(0.25, start + duration - 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + duration);
    osc.connect(gain);
    gain.connect(ac.destination);
    osc.start(start);
    osc.stop(start + duration + 0.02);
  }

  function tone(kind) {
    kind = kind === 'error' ? 'error' : 'ok';
    // The same response may carry both an HX-Trigger and a [data-tone]: beep once.
    var now = Date.now();
    if (lastTone.kind === kind && now - lastTone.at < 300) return;
    lastTone = { kind: kind, at: now };
    if (isMuted()) return;
    var ac;
    try { ac = audio(); } catch (e) { return; }
    if (!ac) return;
    var t = ac.currentTime + 0.02;
    if (kind === 'error') {
      beep(ac, 220, t, 0.15, 'square');
      beep(ac, 220, t + 0.23, 0.15, 'square');
    } else {
      beep(ac, 880, t, 0.12, 'sine');
    }
  }
  Refurb.tone = tone;

  // Server side: HX-Trigger: {"refurb:tone": {"kind": "ok"}} (or "refurb:tone": "ok",
  // which htmx turns into detail.value).
  document.addEventListener('refurb:tone', function (evt) {
    var d = evt.detail;
    var kind = typeof d === 'string' ? d : d && (d.kind || d.value);
    if (kind) tone(kind);
  });

  function playSwappedTones(root) {
    if (!root || !root.querySelectorAll) return;
    var els = Array.prototype.slice.call(root.querySelectorAll('[data-tone]'));
    if (root.matches && root.matches('[data-tone]')) els.unshift(root);
    els.forEach(function (el) {
      var kind = el.getAttribute('data-tone');
      el.removeAttribute('data-tone'); // once only, even if processed again
      tone(kind);
    });
  }

  /* ------------------------------------------------------------------ */
  /* Camera scanning                                                     */
  /* ------------------------------------------------------------------ */

  var FORMATS = ['code_128', 'qr_code', 'ean_13', 'code_39'];
  var MSG_AIM = 'Visez le code-barres…';
  var MSG_NO_CAMERA = "Caméra indisponible : autorisez l'accès à la caméra ou utilisez le lecteur de codes-barres.";
  var MSG_NO_DECODER = 'Lecture des codes-barres impossible sur cet appareil : utilisez le lecteur de codes-barres.';

  // getUserMedia only exists in secure contexts (HTTPS or localhost). CSS hides
  // [data-camera-scan] unless <html> has this class, so no-JS pages hide them too.
  var canCamera = !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  if (canCamera) document.documentElement.classList.add('can-camera');

  var detectorPromise = null;
  var scanSession = null; // { stream, timer, target, stopped }
  var dialog = null;

  // A scanned label QR may hold the device page URL (…/d/<tag>): keep the tag.
  function extractTag(raw) {
    var value = String(raw || '').trim();
    var m = /^https?:\/\/\S*\/d\/([^\/?#\s]+)\/?(?:[?#]\S*)?$/i.exec(value);
    if (m) {
      try { return decodeURIComponent(m[1]); } catch (e) { return m[1]; }
    }
    return value;
  }
  Refurb.extractTag = extractTag;

  function absoluteUrl(url) {
    // import() in a classic script resolves against the script URL, not the page.
    return new URL(url, document.baseURI).href;
  }

  async function loadPonyfill() {
    var body = document.body.dataset;
    if (!body.barcodeDetectorUrl) throw new Error('data-barcode-detector-url missing on <body>');
    var mod = await import(absoluteUrl(body.barcodeDetectorUrl));
    if (body.zxingWasmUrl) {
      var wasmUrl = absoluteUrl(body.zxingWasmUrl);
      // Serve the .wasm ourselves: the default is a CDN, and sites are often offline.
      mod.prepareZXingModule({
        overrides: {
          locateFile: function (path, prefix) {
            return path.slice(-5) === '.wasm' ? wasmUrl : prefix + path;
          }
        }
      });
    }
    return new mod.BarcodeDetector({ formats: FORMATS });
  }

  async function makeDetector() {
    // Native detector (Android Chrome, macOS) is faster; Chrome on Windows/Linux
    // and Firefox lack it, hence the zxing-wasm ponyfill.
    if ('BarcodeDetector' in window) {
      try {
        var supported = await window.BarcodeDetector.getSupportedFormats();
        if (supported.indexOf('code_128') >= 0 && supported.indexOf('qr_code') >= 0) {
          return new window.BarcodeDetector({
            formats: FORMATS.filter(function (f) { return supported.indexOf(f) >= 0; })
          });
        }
      } catch (e) { /* fall through to the ponyfill */ }
    }
    return loadPonyfill();
  }

  function getDetector() {
    if (!detectorPromise) {
      detectorPromise = makeDetector().catch(function (err) {
        detectorPromise = null; // allow a retry next time
        throw err;
      });
    }
    return detectorPromise;
  }
  Refurb.getBarcodeDetector = getDetector;

  function ensureDialog() {
    if (dialog) return dialog;
    dialog = document.createElement('dialog');
    dialog.className = 'camera-dialog';
    dialog.setAttribute('aria-labelledby', 'camera-dialog-title');
    dialog.innerHTML =
      '<article>' +
      '<h2 id="camera-dialog-title">Scanner avec la caméra</h2>' +
      '<video class="camera-video" playsinline muted autoplay></video>' +
      '<p class="camera-status" role="status" aria-live="polite"></p>' +
      '<footer><button type="button" class="secondary" data-camera-close>Fermer</button></footer>' +
      '</article>';
    dialog.querySelector('[data-camera-close]').addEventListener('click', closeScanner);
    // Escape closes a modal <dialog> natively: make sure the camera stops too.
    dialog.addEventListener('close', function () { stopCamera(); });
    document.body.appendChild(dialog);
    return dialog;
  }

  function setStatus(text) {
    ensureDialog().querySelector('.camera-status').textContent = text;
  }

  function stopCamera() {
    var s = scanSession;
    if (!s) return;
    scanSession = null;
    s.stopped = true;
    clearTimeout(s.timer);
    if (s.stream) s.stream.getTracks().forEach(function (t) { t.stop(); });
    if (dialog) dialog.querySelector('video').srcObject = null;
  }

  function closeScanner() {
    var target = scanSession && scanSession.target;
    stopCamera();
    if (dialog && dialog.open) {
      if (typeof dialog.close === 'function') dialog.close();
      else dialog.removeAttribute('open');
    }
    if (target) target.focus();
  }

  function submitScan(target, value) {
    target.value = value;
    target.dispatchEvent(new Event('input', { bubbles: true }));
    target.dispatchEvent(new Event('change', { bubbles: true }));
    var form = target.form;
    if (form) {
      if (typeof form.requestSubmit === 'function') {
        form.requestSubmit(); // runs validation and the submit event htmx listens to
      } else if (form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }))) {
        form.submit();
      }
    } else {
      // A lone input with hx-trigger="keyup[key=='Enter']": act like the scanner's Enter.
      target.dispatchEvent(new KeyboardEvent('keyup', { key: 'Enter', bubbles: true }));
    }
  }

  async function openScanner(targetId) {
    var target = document.getElementById(targetId);
    if (!target) return;
    stopCamera();
    var dlg = ensureDialog();
    var video = dlg.querySelector('video');
    if (typeof dlg.showModal === 'function') { if (!dlg.open) dlg.showModal(); }
    else dlg.setAttribute('open', '');
    setStatus(MSG_AIM);

    var session = { stream: null, timer: 0, target: target, stopped: false };
    scanSession = session;

    try {
      session.stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } }
      });
    } catch (e) {
      if (session.stopped) return;
      setStatus(MSG_NO_CAMERA);
      return;
    }
    if (session.stopped) { // closed while the permission prompt was up
      session.stream.getTracks().forEach(function (t) { t.stop(); });
      return;
    }
    video.srcObject = session.stream;
    try { await video.play(); } catch (e) { /* autoplay with muted usually works */ }

    var detector;
    try {
      detector = await getDetector();
    } catch (e) {
      if (!session.stopped) setStatus(MSG_NO_DECODER);
      if (window.console) console.error(e);
      return;
    }

    // Poll with setTimeout, not requestAnimationFrame: one detection at a time
    // keeps old PCs responsive.
    async function tick() {
      if (session.stopped) return;
      if (video.readyState >= 2) { // the ponyfill throws on a video with no frame yet
        try {
          var codes = await detector.detect(video);
          if (session.stopped) return;
          if (codes && codes.length) {
            var value = extractTag(codes[0].rawValue);
            closeScanner();
            submitScan(target, value);
            return;
          }
        } catch (e) { /* a bad frame: try the next one */ }
      }
      session.timer = setTimeout(tick, 120);
    }
    tick();
  }
  Refurb.openCameraScan = openScanner;

  document.addEventListener('click', function (evt) {
    var btn = evt.target.closest && evt.target.closest('[data-camera-scan]');
    if (!btn) return;
    evt.preventDefault(); // the button may sit inside the scan form
    if (!canCamera) return;
    openScanner(btn.getAttribute('data-camera-scan'));
  });

  // Release the camera when the page goes away (tablets keep the light on otherwise).
  window.addEventListener('pagehide', closeScanner);

  /* ------------------------------------------------------------------ */
  /* Kiosk idle countdown                                                */
  /* ------------------------------------------------------------------ */

  var lastActivity = Date.now();
  var idleEls = [];

  ['keydown', 'pointerdown', 'pointermove', 'touchstart', 'wheel', 'input'].forEach(function (type) {
    document.addEventListener(type, function () { lastActivity = Date.now(); }, { capture: true, passive: true });
  });

  function startIdle(el) {
    if (el._refurbIdle) return;
    var seconds = parseInt(el.getAttribute('data-idle-seconds'), 10);
    var url = el.getAttribute('data-idle-url');
    if (!(seconds > 0) || !url) return;
    el._refurbIdle = true;
    // The text goes in its own span so a [data-idle-form] inside is kept.
    var label = el.querySelector('[data-idle-text]');
    if (!label) {
      label = document.createElement('span');
      label.setAttribute('data-idle-text', '');
      el.insertBefore(label, el.firstChild);
    }
    // role=timer is not announced every second (an aria-live countdown would be noise).
    label.setAttribute('role', 'timer');
    lastActivity = Date.now();
    idleEls.push({ el: el, label: label, seconds: seconds, url: url, done: false });
  }

  function idleTick() {
    var now = Date.now();
    idleEls = idleEls.filter(function (t) { return !t.done && t.el.isConnected; });
    idleEls.forEach(function (t) {
      // Compute from timestamps: timers are throttled in background tabs.
      var left = Math.max(0, Math.ceil((lastActivity + t.seconds * 1000 - now) / 1000));
      var text = 'Déconnexion dans ' + left + ' s';
      if (t.label.textContent !== text) t.label.textContent = text;
      t.el.classList.toggle('idle--soon', left <= 10);
      if (left > 0) return;
      t.done = true;
      var form = t.el.querySelector('form[data-idle-form]');
      if (form) {
        if (!form.getAttribute('action')) form.setAttribute('action', t.url);
        form.submit(); // native POST (carries the CSRF field), bypasses htmx
      } else {
        window.location.assign(t.url);
      }
    });
  }
  setInterval(idleTick, 250);

  /* ------------------------------------------------------------------ */
  /* Page behaviours (instead of inline handlers)                        */
  /* ------------------------------------------------------------------ */

  function submitForm(form) {
    if (typeof form.requestSubmit === 'function') form.requestSubmit(); // htmx sees the submit event
    else if (form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }))) form.submit();
  }

  // <select data-autosubmit>: choosing an option sends its form (site switcher, filters).
  document.addEventListener('change', function (evt) {
    var el = evt.target;
    if (!el.matches || !el.matches('[data-autosubmit]') || !el.form) return;
    submitForm(el.form);
  });

  // <button data-all-pass="<value>">: every check of its form not answered yet set to that value ("Tout
  // OK" on the diagnosis; a check pre-filled from a hardware report keeps its answer), then the focus
  // on the first check, so that only the failures remain to change.
  document.addEventListener('click', function (evt) {
    var btn = evt.target.closest && evt.target.closest('[data-all-pass]');
    if (!btn || !btn.form) return;
    evt.preventDefault();
    var value = btn.getAttribute('data-all-pass');
    var selects = btn.form.querySelectorAll('.refurb-checks select');
    var filled = 0;
    selects.forEach(function (select) { if (!select.value) { select.value = value; filled += 1; } });
    var status = btn.form.querySelector('[data-all-pass-status]');
    if (status) status.textContent = filled + ' contrôle(s) mis à « OK » : changez ceux qui sont en panne.';
    if (selects.length) selects[0].focus();
  });

  // <button data-print>: print the page.
  document.addEventListener('click', function (evt) {
    var btn = evt.target.closest && evt.target.closest('[data-print]');
    if (!btn) return;
    evt.preventDefault();
    window.print();
  });

  // <form data-confirm="Question ?">: ask before sending (plain forms; htmx ones use hx-confirm).
  document.addEventListener('submit', function (evt) {
    var form = evt.target;
    var question = form.getAttribute && form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) {
      evt.preventDefault();
      evt.stopImmediatePropagation();
    }
  }, true);

  // <form data-reset-on-success hx-…>: empty the form after a successful htmx request.
  document.addEventListener('htmx:afterRequest', function (evt) {
    var el = evt.target.closest && evt.target.closest('[data-reset-on-success]');
    if (el && evt.detail && evt.detail.successful && typeof el.reset === 'function') el.reset();
  });

  // A kiosk screen keeps its (short-lived) session alive while it is shown; once the browser is
  // closed, the session ends after the kiosk idle limit (REFURB_KIOSK_IDLE_MINUTES).
  var keepaliveUrl = document.body && document.body.getAttribute('data-keepalive-url');
  if (keepaliveUrl && window.fetch) {
    setInterval(function () {
      window.fetch(keepaliveUrl, { credentials: 'same-origin', cache: 'no-store' }).catch(function () {});
    }, 60000);
  }

  /* ------------------------------------------------------------------ */
  /* Wiring                                                              */
  /* ------------------------------------------------------------------ */

  function init(root) {
    if (!root || !root.querySelectorAll) return;
    root.querySelectorAll('[data-all-pass][hidden]').forEach(function (btn) { btn.hidden = false; });
    if (root.matches && root.matches('[data-idle-seconds]')) startIdle(root);
    root.querySelectorAll('[data-idle-seconds]').forEach(startIdle);
    playSwappedTones(root);
    updateMuteButtons();
  }

  document.addEventListener('click', function (evt) {
    var btn = evt.target.closest && evt.target.closest('[data-mute-toggle]');
    if (!btn) return;
    evt.preventDefault();
    setMuted(!isMuted());
    if (!isMuted()) tone('ok'); // let the user hear that sound is back
  });

  // htmx:load fires for the initial page and for each piece of swapped-in content.
  document.addEventListener('htmx:load', function (evt) { init(evt.detail && evt.detail.elt); });

  // After a scan was sent, select it: the scanner's next code then replaces it
  // instead of being appended to it ("RF-1RF-2").
  document.addEventListener('htmx:afterRequest', function (evt) {
    var scan = document.querySelector('[data-scan-autofocus]');
    var elt = evt.detail && evt.detail.elt;
    if (!scan || !elt || document.activeElement !== scan) return;
    if (elt === scan || (scan.form && (elt === scan.form || elt.form === scan.form))) scan.select();
  });

  document.addEventListener('htmx:afterSettle', function (evt) {
    // New content asking for focus itself (htmx honours autofocus) wins.
    var elt = evt.detail && evt.detail.elt;
    if (elt && elt.querySelector && elt.querySelector('[autofocus]')) return;
    focusScan();
  });

  // Also work without htmx (e.g. a page that does not load it).
  init(document.body);
  idleTick();
  focusScan();
})();
