/* PeerPath service worker: keeps a reader's module pages available when the connection drops.
   Hand-written (about 60 lines) rather than Workbox: one cache, network first, no build step.
   Served as /sw.js so its scope is the whole site. No third-party code, no other host. */
"use strict";
const CACHE = "peerpath-pages-v1";
const ASSETS = ["/static/css/site.css", "/static/js/offline.js", "/static/favicon.svg"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

// Pages worth keeping: the module list and module pages in a language, and the static files.
const KEEP = /^\/[a-z]{2,3}(-[A-Za-z]+)?\/(modules\/[^/]+\/)?$|^\/static\//;

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok && response.type === "basic" && !response.redirected) {
      await cache.put(request, response.clone());
    }
    return response;
  } catch (error) {
    const saved = await cache.match(request, { ignoreSearch: true });
    if (saved) return saved;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || !KEEP.test(url.pathname)) return;
  event.respondWith(networkFirst(event.request));
});

// After one visit: save every module page of the reader's language, found on the module list.
async function saveLanguage(lang) {
  const cache = await caches.open(CACHE);
  const index = `/${lang}/`;
  const response = await fetch(index, { credentials: "same-origin" });
  if (!response.ok || response.redirected) return;
  await cache.put(index, response.clone());
  const html = await response.text();
  const pattern = new RegExp(`href="(/${lang}/modules/[^/"]+/)"`, "g");
  const urls = [...new Set([...html.matchAll(pattern)].map((m) => m[1]))];
  for (const url of urls) {
    const page = await fetch(url, { credentials: "same-origin" });
    if (page.ok && !page.redirected) await cache.put(url, page);
  }
}

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "save-language" && /^[a-z]{2,3}(-[A-Za-z]+)?$/.test(data.lang || "")) {
    event.waitUntil(saveLanguage(data.lang).then(() => event.source && event.source.postMessage({ type: "saved" })));
  }
});
