/*
 * Refurb — the desk without a connection (the bus numérique). Loaded by templates/bus/_offline.html on
 * the desk and on its offline shell. Plain ES2017, no build step.
 *
 *  - registers the desk's service worker (/comptoir-sw.js), which keeps the shell and the assets;
 *  - when the link drops (or on the shell), the desk's scan field is handled here: lend (card, devices,
 *    Prêter), take back (device, condition), receive a donated device, "seen here"; each operation is
 *    queued in IndexedDB with an op_id, the time it happened and the user who made it;
 *  - what can be checked offline is checked against the local copy (the site's devices and states, the
 *    site's cards with a first name and initial), refreshed at each sync and cleared at logout;
 *  - when the link returns, the queue is sent in order (POST /api/v1/sync, the page's session and CSRF
 *    token); a lapsed session asks to log in again first; another user's queue is never sent.
 */
(function () {
  'use strict';

  var root = document.querySelector('[data-bus-offline]');
  if (!root || !window.indexedDB) return;

  var USER = root.getAttribute('data-user');
  var SITE = root.getAttribute('data-site');
  var SITE_NAME = root.getAttribute('data-site-name');
  var SHELL = root.hasAttribute('data-shell');
  var FORMAT = 1;
  var COPY_MAX_AGE = 5 * 60 * 1000;
  var RESULTS_SHOWN = 12 * 3600 * 1000;
  var CARD = /^U\d{8}$/;
  var TAG = /^[A-Z]{1,6}-\d{6,}$/;

  var el = function (name) { return root.querySelector('[data-bus-' + name + ']'); };
  var banner = el('banner'), panel = el('panel'), message = el('message');
  var state = {
    client: null, copy: null, ops: [], overlay: {}, borrower: null, basket: [], returning: null,
    offline: SHELL || navigator.onLine === false, syncing: false, needLogin: false, othersWaiting: [],
    results: [], error: ''
  };

  /* ---------------- IndexedDB: the queue ("ops") and small facts ("meta") ---------------- */

  var dbPromise = new Promise(function (resolve, reject) {
    var request = indexedDB.open('refurb-bus', 1);
    request.onupgradeneeded = function () {
      var db = request.result;
      if (!db.objectStoreNames.contains('ops')) db.createObjectStore('ops', {keyPath: 'seq', autoIncrement: true});
      if (!db.objectStoreNames.contains('meta')) db.createObjectStore('meta', {keyPath: 'key'});
    };
    request.onsuccess = function () { resolve(request.result); };
    request.onerror = function () { reject(request.error); };
  });

  function run(store, mode, work) {
    return dbPromise.then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(store, mode);
        var result = work(tx.objectStore(store));
        tx.oncomplete = function () { resolve(result && 'result' in result ? result.result : result); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }
  function getMeta(key) { return run('meta', 'readonly', function (s) { return s.get(key); }).then(function (r) { return r ? r.value : null; }); }
  function setMeta(key, value) { return run('meta', 'readwrite', function (s) { s.put({key: key, value: value}); }); }
  function delMeta(key) { return run('meta', 'readwrite', function (s) { s.delete(key); }); }
  function loadOps() { return run('ops', 'readonly', function (s) { return s.getAll(); }); }
  function addOp(record) { return run('ops', 'readwrite', function (s) { s.add(record); }); }
  function dropOps(seqs) { return run('ops', 'readwrite', function (s) { seqs.forEach(function (q) { s.delete(q); }); }); }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + '-' + Math.random().toString(36).slice(2, 12);
  }

  /* ---------------- what the tablet knows ---------------- */

  function mine(record) { return record.user === USER; }

  function device(tag) {
    var copy = state.copy;
    var found = null;
    if (copy) {
      for (var i = 0; i < copy.devices.length; i++) if (copy.devices[i].asset_tag === tag) { found = copy.devices[i]; break; }
    }
    if (state.overlay[tag]) return {asset_tag: tag, state: state.overlay[tag], title: found ? found.title : '', known: !!found};
    return found ? {asset_tag: tag, state: found.state, title: found.title, known: true} : null;
  }
  function stateLabel(code) { return (state.copy && state.copy.states && state.copy.states[code]) || code; }
  function borrowerName(card) {
    var list = (state.copy && state.copy.borrowers) || [];
    for (var i = 0; i < list.length; i++) if (list[i].card === card) return list[i].name;
    return null;
  }
  function rebuildOverlay() {
    // What the queued operations of this user changed, on top of the copy.
    state.overlay = {};
    state.ops.filter(mine).forEach(function (r) {
      var op = r.op;
      if (op.kind === 'check_out') state.overlay[op.asset_tag] = 'on_loan';
      if (op.kind === 'return') state.overlay[op.asset_tag] = op.condition === 'complete' ? 'loan_pool' : 'repairing';
    });
  }

  /* ---------------- the offline desk ---------------- */

  function say(text, kind) {
    message.textContent = text;
    message.className = 'flash flash--' + (kind || 'success');
    if (window.Refurb && Refurb.tone) Refurb.tone(kind === 'error' ? 'error' : 'ok');
    if (window.Refurb && Refurb.focusScan) Refurb.focusScan();  // the scanner types into the scan field again
  }

  function queue(op) {
    op.op_id = newId();
    op.at = new Date().toISOString();
    var record = {op: op, user: USER, client: state.client, site: SITE, queuedAt: op.at};
    return addOp(record).then(refresh);
  }

  function handleCode(raw) {
    var code = (raw || '').trim().toUpperCase();
    if (!code) { say('Scannez une carte ou un appareil.', 'info'); return; }
    if (CARD.test(code)) {
      var name = borrowerName(code);
      state.borrower = {card: code, name: name};
      state.returning = null;
      say(name ? 'Usager : ' + name + ' (carte ' + code + ').'
               : 'Carte ' + code + ' absente de la copie locale : le prêt sera vérifié à la synchronisation.',
          name ? 'success' : 'info');
      render();
      return;
    }
    if (!TAG.test(code)) {
      say('« ' + code + ' » n\'est ni une carte (U…) ni une étiquette d\'appareil : hors connexion, seuls les scans ' +
          'de cartes et d\'étiquettes sont acceptés.', 'error');
      return;
    }
    var known = device(code);
    if (el('seen-mode').checked) {
      queue({kind: 'seen', asset_tag: code, site: SITE, seen_offline: known ? {state: known.state} : {}});
      say(code + ' : vu ici (compté à la synchronisation).');
      return;
    }
    if (known && known.state === 'on_loan') {
      state.returning = code;
      say('Retour de ' + code + (known.title ? ' (' + known.title + ')' : '') + ' : vérifiez son état.', 'info');
      render();
      el('return').querySelector('input[name=condition]').focus();
      return;
    }
    if (known && known.state !== 'loan_pool') {
      say(code + ' n\'est pas dans le parc de prêt (état : ' + stateLabel(known.state) + ') : il ne peut pas être prêté.', 'error');
      return;
    }
    if (state.basket.indexOf(code) !== -1) { say(code + ' est déjà dans le panier (scanné deux fois).', 'error'); return; }
    state.basket.push(code);
    state.returning = null;
    say(code + ' ajouté au panier' + (known ? '' : ' (absent de la copie locale : vérifié à la synchronisation)') + '.' +
        (state.borrower ? '' : ' Scannez maintenant la carte de l\'usager.'), known ? 'success' : 'info');
    render();
  }

  function lend() {
    if (!state.borrower) { say('Scannez d\'abord la carte de l\'usager.', 'error'); return; }
    if (!state.basket.length) { say('Le panier est vide : scannez les appareils à prêter.', 'error'); return; }
    var who = state.borrower, tags = state.basket.slice(), rules = el('rules').checked;
    var chain = Promise.resolve();
    tags.forEach(function (tag) {
      var op = {kind: 'check_out', asset_tag: tag, borrower_card: who.card, site: SITE,
                seen_offline: {state: (device(tag) || {}).state || 'inconnu', borrower: who.name || 'inconnu'}};
      if (rules) op.rules_accepted = true;
      chain = chain.then(function () { return queue(op); });
    });
    chain.then(function () {
      state.basket = [];
      state.borrower = null;
      el('rules').checked = false;
      say('Prêté hors connexion à ' + (who.name || who.card) + ' : ' + tags.join(', ') +
          '. Le prêt est daté de maintenant et sera envoyé dès que la connexion revient.');
      render();
    });
  }

  function takeBack(event) {
    event.preventDefault();
    var form = el('return');
    var condition = form.querySelector('input[name=condition]:checked').value;
    var note = form.elements.note.value.trim();
    if (condition !== 'complete' && !note) { say('Décrivez le dommage ou l\'accessoire manquant (note obligatoire).', 'error'); form.elements.note.focus(); return; }
    var tag = state.returning;
    var op = {kind: 'return', asset_tag: tag, condition: condition, site: SITE, seen_offline: {state: 'on_loan'}};
    if (note) op.note = note;
    queue(op).then(function () {
      state.returning = null;
      form.reset();
      say('Retour de ' + tag + ' enregistré hors connexion : il sera envoyé dès que la connexion revient.');
      render();
    });
  }

  function receive(event) {
    event.preventDefault();
    var form = event.target, op = {kind: 'receive', site: SITE};
    ['category', 'brand', 'model', 'serial_number'].forEach(function (name) {
      var value = form.elements[name].value.trim();
      if (value) op[name] = value;
    });
    queue(op).then(function () {
      form.reset();
      say('Don enregistré hors connexion : l\'appareil recevra son étiquette à la synchronisation.');
    });
  }

  /* ---------------- showing it ---------------- */

  var KIND_LABELS = {check_out: 'Prêt', 'return': 'Retour', receive: 'Don reçu', seen: 'Vu ici'};
  var STATUS_LABELS = {applied: 'Enregistré', duplicate: 'Déjà reçu', conflict: 'À régulariser', rejected: 'Refusé'};

  function plural(n, word) { return n + ' ' + word + (n > 1 ? 's' : ''); }
  function time(iso) { var d = new Date(iso); return d.toLocaleString('fr-FR', {day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit'}); }
  function item(text) { var li = document.createElement('li'); li.textContent = text; return li; }

  function render() {
    var waiting = state.ops.filter(mine).length;
    var others = state.ops.length - waiting;
    var lines = [], kind = 'offline';
    banner.textContent = '';
    if (state.offline) lines.push('Hors connexion — ' + plural(waiting, 'opération') + ' en attente');
    else if (state.syncing) lines.push('Envoi de ' + plural(waiting, 'opération') + ' en attente…');
    if (state.needLogin) {
      kind = 'error';
      lines.push('Votre session a expiré : reconnectez-vous pour envoyer ' + plural(waiting, 'opération') + ' en attente.');
    }
    if (state.error) { kind = 'error'; lines.push(state.error); }
    if (others) lines.push(plural(others, 'opération') + ' d\'un autre utilisateur attendent sur cette tablette : ' +
                           'elles ne partent qu\'avec son compte, quand il ou elle se reconnectera ici.');
    if (!state.offline && !state.needLogin && !state.error && waiting && !state.syncing) lines.push(plural(waiting, 'opération') + ' en attente d\'envoi.');
    lines.forEach(function (line, i) {
      if (i) banner.appendChild(document.createElement('br'));
      banner.appendChild(document.createTextNode(line));
    });
    if (state.needLogin) {
      var a = document.createElement('a');
      a.href = root.getAttribute('data-login-url');
      a.textContent = 'Se reconnecter';
      banner.appendChild(a);
    }
    banner.hidden = !lines.length;
    banner.className = 'bus-banner' + (kind === 'error' ? ' bus-banner--error' : state.offline ? '' : ' bus-banner--online');

    panel.hidden = !state.offline;
    var live = document.getElementById('desk-body');
    if (live) live.hidden = state.offline;
    el('borrower').textContent = state.borrower ? (state.borrower.name || 'carte non vérifiée') + ' — ' + state.borrower.card
                                                 : 'aucune carte scannée';
    var basket = el('basket');
    basket.textContent = '';
    state.basket.forEach(function (tag) { var d = device(tag); basket.appendChild(item(tag + (d && d.title ? ' — ' + d.title : ''))); });
    el('basket-box').hidden = !state.basket.length;
    el('return').hidden = !state.returning;
    el('return-tag').textContent = state.returning || '';
    var list = el('queue');
    list.textContent = '';
    state.ops.filter(mine).forEach(function (r) {
      var op = r.op;
      list.appendChild(item(time(op.at) + ' — ' + KIND_LABELS[op.kind] + ' ' + (op.asset_tag || op.category || '') +
                            (op.borrower_card ? ' → ' + op.borrower_card : '') + (op.condition ? ' (' + op.condition + ')' : '')));
    });
    var results = el('results'), rlist = el('results-list');
    rlist.textContent = '';
    state.results.forEach(function (r) { rlist.appendChild(item(STATUS_LABELS[r.status] + ' — ' + r.message)); });
    results.hidden = !state.results.length;
  }

  function refresh() {
    return loadOps().then(function (ops) {
      state.ops = ops;
      rebuildOverlay();
      render();
    });
  }

  /* ---------------- sync ---------------- */

  function json(response) { return response.json().catch(function () { return {}; }); }

  function sync() {
    if (state.syncing) return Promise.resolve();
    state.syncing = true;
    state.error = '';
    render();
    return fetch(root.getAttribute('data-copy-url'), {credentials: 'same-origin', cache: 'no-store',
                                                       headers: {Accept: 'application/json'}})
      .then(function (response) {
        if (response.status === 401) { state.needLogin = true; state.offline = false; return null; }
        if (!response.ok) return json(response).then(function (body) { throw new Error((body.error && body.error.message) || ('Erreur ' + response.status)); });
        state.needLogin = false;
        state.offline = false;
        return response.json();
      })
      .then(function (copy) {
        if (!copy) return null;
        var token = copy.csrf_token;
        delete copy.csrf_token;
        return loadOps().then(function (ops) {
          var sender = copy.user;
          var outgoing = ops.filter(function (r) { return r.user === sender; });
          var chain = Promise.resolve(), results = [];
          var size = copy.max_operations || 500;
          for (var i = 0; i < outgoing.length; i += size) {
            (function (batch) {
              chain = chain.then(function () { return send(batch, sender, token, results); });
            })(outgoing.slice(i, i + size));
          }
          return chain.then(function () {
            if (results.length) { state.results = results; setMeta('results', {at: Date.now(), list: results}); }
            if (sender === USER) {
              state.copy = copy;
              return setMeta('copy', {user: USER, site: SITE, data: copy}).then(function () {
                root.setAttribute('data-bus-copy', copy.generated_at);  // when the local copy was last refreshed
              });
            }
          });
        });
      })
      .then(function () {
        if (navigator.serviceWorker && navigator.serviceWorker.controller) navigator.serviceWorker.controller.postMessage({type: 'keep-shell'});
      })
      .catch(function (err) {
        if (err instanceof TypeError) state.offline = true;  // the network, not an answer
        else state.error = 'Envoi interrompu : ' + err.message + ' Les opérations restent en attente sur cette tablette.';
      })
      .then(function () {
        state.syncing = false;
        return refresh();
      })
      .then(function () {
        if (SHELL && !state.offline && !state.needLogin && !state.error && !state.ops.filter(mine).length) {
          window.location.replace(root.getAttribute('data-desk-url'));  // back to the live desk
        }
      });
  }

  function send(batch, sender, token, results) {
    var body = {format: FORMAT, client: state.client, user: sender, operations: batch.map(function (r) { return r.op; })};
    return fetch(root.getAttribute('data-sync-url'), {
      method: 'POST', credentials: 'same-origin', cache: 'no-store',
      headers: {'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': token},
      body: JSON.stringify(body)
    }).then(function (response) {
      if (response.status === 401) { state.needLogin = true; throw new Error('session expirée.'); }
      if (!response.ok) return json(response).then(function (b) { throw new Error((b.error && b.error.message) || ('Erreur ' + response.status + '.')); });
      return response.json().then(function (answer) {
        var answered = {};
        answer.results.forEach(function (r) { if (r.op_id) answered[r.op_id] = true; results.push(r); });
        // Every answer is final (applied, duplicate, kept to settle, or refused with its reason): off the queue.
        return dropOps(batch.filter(function (r) { return answered[r.op.op_id]; }).map(function (r) { return r.seq; }));
      });
    });
  }

  /* ---------------- wiring ---------------- */

  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (form.id === 'desk-scan' && state.offline) {
      event.preventDefault();
      event.stopPropagation();
      var input = form.querySelector('[name=code]');
      handleCode(input.value);
      input.value = '';
      input.focus();
    } else if (form.matches && form.matches('form[action$="/logout"]') && !form.hasAttribute('data-bus-cleared')) {
      // Logout clears the local copy (cards and names) and the stored shell; the queue stays, tied to its user.
      event.preventDefault();
      Promise.all([delMeta('copy'), delMeta('results')]).then(function () {
        if (navigator.serviceWorker && navigator.serviceWorker.controller) navigator.serviceWorker.controller.postMessage({type: 'forget'});
      }).catch(function () {}).then(function () {
        form.setAttribute('data-bus-cleared', '');
        form.submit();
      });
    }
  }, true);

  document.body.addEventListener('htmx:sendError', function (event) {
    // The link dropped while the desk looked online: the scan that failed is taken offline.
    state.offline = true;
    render();
    var form = event.detail && event.detail.elt && event.detail.elt.closest && event.detail.elt.closest('#desk-scan');
    if (form) handleCode(form.querySelector('[name=code]').value);
  });
  el('lend').addEventListener('click', lend);
  el('clear').addEventListener('click', function () { state.basket = []; state.borrower = null; say('Comptoir libéré : au suivant.', 'info'); render(); });
  el('return').addEventListener('submit', takeBack);
  root.querySelector('[data-bus-receive]').addEventListener('submit', receive);
  window.addEventListener('offline', function () { state.offline = true; render(); });
  window.addEventListener('online', function () { sync(); });

  function registerWorker() {
    if (!navigator.serviceWorker) return Promise.resolve();
    return navigator.serviceWorker.register(root.getAttribute('data-sw-url'), {scope: root.getAttribute('data-sw-scope')})
      .then(function () { return navigator.serviceWorker.ready; })
      .catch(function () { /* no worker (e.g. plain http on a LAN name): the queue still works in this tab */ });
  }

  Promise.all([getMeta('client'), getMeta('copy'), getMeta('results')]).then(function (found) {
    state.client = found[0];
    if (!state.client) { state.client = 'web-' + newId(); setMeta('client', state.client); }
    var copy = found[1];
    if (copy && copy.user === USER && copy.site === SITE) {
      state.copy = copy.data;
      root.setAttribute('data-bus-copy', copy.data.generated_at);
    }
    else if (copy) delMeta('copy');  // another user's (or another site's) copy is never shown
    var last = found[2];  // the last sync's answers, shown for the day they were given
    state.results = last && last.list && Date.now() - last.at < RESULTS_SHOWN ? last.list : [];
    return refresh();
  }).then(function () {
    return registerWorker();
  }).then(function () {
    document.documentElement.setAttribute('data-bus-ready', '1');
    // Online: send what waits, and refresh the local copy when it is missing or older than a few minutes.
    var age = state.copy ? Date.now() - Date.parse(state.copy.generated_at) : Infinity;
    if (navigator.onLine !== false && (SHELL || state.ops.length || !(age < COPY_MAX_AGE))) return sync();
  });
})();
