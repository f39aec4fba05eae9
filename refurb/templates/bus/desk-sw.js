/*
 * Refurb — the desk's service worker (scope: {{ scope }}). It keeps the desk's offline shell and its assets,
 * so that the desk opens and works without a connection (static/js/bus-offline.js does the rest).
 * Pages with people's data are never stored: offline, the desk is its shell ({{ shell }}), filled from the
 * small local copy in IndexedDB.
 */
'use strict';

var CACHE = 'refurb-desk-v1';
var SHELL = {{ shell|tojson }};
var ASSETS = {{ assets|tojson }};
var SCOPE = {{ scope|tojson }};

function keepShell() {
  // Only a real shell answer is kept (not the login page a lapsed session would be sent to).
  return fetch(SHELL, {credentials: 'same-origin', cache: 'no-store'}).then(function (response) {
    if (!response.ok || response.redirected) return false;
    return caches.open(CACHE).then(function (cache) { return cache.put(SHELL, response).then(function () { return true; }); });
  }).catch(function () { return false; });
}

function keepAssets() {
  return caches.open(CACHE).then(function (cache) {
    return Promise.all(ASSETS.map(function (url) {
      return fetch(url, {credentials: 'same-origin'}).then(function (response) {
        if (response.ok) return cache.put(url, response);
      }).catch(function () { /* kept from an earlier visit, if any */ });
    }));
  });
}

self.addEventListener('install', function (event) {
  event.waitUntil(Promise.all([keepAssets(), keepShell()]).then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf('refurb-desk-') === 0 && n !== CACHE; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener('message', function (event) {
  var data = event.data || {};
  var done;
  if (data.type === 'keep-shell') done = Promise.all([keepAssets(), keepShell()]);
  else if (data.type === 'forget') done = caches.delete(CACHE);  // logout: nothing of this user stays
  if (done) {
    event.waitUntil(done.then(function (ok) {
      if (event.source) event.source.postMessage({type: data.type + '-done', ok: ok !== false});
    }));
  }
});

self.addEventListener('fetch', function (event) {
  var request = event.request;
  if (request.method !== 'GET') return;  // changes go to the network, or to the queue (bus-offline.js)
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate' && url.pathname.indexOf(SCOPE) === 0) {
    // The network first (the live desk); without it, the shell.
    event.respondWith(fetch(request).catch(function () {
      return caches.match(SHELL).then(function (shell) {
        return shell || new Response('<!doctype html><html lang="fr"><meta charset="utf-8"><title>Hors connexion</title>' +
          '<h1>Hors connexion</h1><p>Le comptoir n\'a pas encore été ouvert sur cette tablette avec une connexion : ' +
          'ouvrez-le une fois en ligne pour qu\'il fonctionne ensuite sans connexion.</p></html>',
          {status: 503, headers: {'Content-Type': 'text/html; charset=utf-8'}});
      });
    }));
    return;
  }
  if (ASSETS.indexOf(url.pathname) !== -1) {
    // The assets: from the network when it answers (kept fresh), else the copy.
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(url.pathname, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(url.pathname).then(function (hit) { return hit || Response.error(); });
    }));
  }
});
