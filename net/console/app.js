// The scimd admin console (issue #22, docs/CONSOLE.md): one page over the admin API
// (/admin/v1/, docs/ADMIN.md) of the server that serves it. The admin token is kept in
// sessionStorage only (never in a URL, a cookie or a log) and sent as a bearer token with
// each call. Every text from the server is put in the page as text, never as markup.
'use strict';

const TOKEN_KEY = 'scimd-admin-token';
const API = '/admin/v1';
let timers = [];     // polls of the current view, stopped when it changes
let serverInfo = null;

// ---- small DOM helpers --------------------------------------------------------------
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
const main = () => document.getElementById('main');

function say(text, kind = 'ok') {
  const m = document.getElementById('message');
  m.textContent = text;
  m.className = kind;
  m.hidden = false;
  clearTimeout(say.timer);
  say.timer = setTimeout(() => { m.hidden = true; }, kind === 'error' ? 12000 : 5000);
}

// ---- the admin API --------------------------------------------------------------------
class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(method, path, body) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const init = { method, headers: { Authorization: 'Bearer ' + token }, cache: 'no-store' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(API + path, init);
  } catch (e) {
    throw new ApiError(0, 'the server cannot be reached');
  }
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
  if (res.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    route();
    throw new ApiError(401, 'the admin token was refused: sign in again');
  }
  if (!res.ok) {
    const msg = json && json.error && json.error.message ? json.error.message : res.statusText;
    throw new ApiError(res.status, msg || ('HTTP ' + res.status));
  }
  return json;
}

// Runs `work`, says what it did or why it failed; returns its result or null.
async function act(work, done) {
  try {
    const r = await work();
    if (done) say(done, 'ok');
    return r;
  } catch (e) {
    say(e.message, 'error');
    return null;
  }
}

function copyButton(value, label) {
  return h('button', {
    type: 'button', class: 'secondary', 'aria-label': 'Copy ' + label,
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(value);
        say(label + ' copied');
      } catch (e) {
        say('copy it by hand: the browser refused the clipboard', 'error');
      }
    },
  }, 'Copy');
}

function valueRow(label, value, id) {
  return [h('div', { class: 'field-label' }, label),
    h('div', { class: 'value' }, h('code', { id }, value), copyButton(value, label))];
}

const enc = encodeURIComponent;
const fmtTime = (s) => (s ? new Date(s).toLocaleString() : '—');
function fmtMicros(us) { return new Date(Math.floor(us / 1000)).toLocaleString(); }
function outcome(status) {
  return status >= 500 ? 'status-server' : status >= 400 ? 'status-client' : 'status-ok';
}

// ---- views --------------------------------------------------------------------------
function stopTimers() { timers.forEach(clearInterval); timers = []; }
function every(ms, fn) { timers.push(setInterval(fn, ms)); }

function signIn() {
  document.getElementById('nav').hidden = true;
  const input = h('input', { type: 'password', id: 'admin-token', autocomplete: 'off',
    required: true, minlength: 32 });
  const form = h('form', { class: 'signin', onsubmit: async (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    input.value = '';
    try {
      await api('GET', '/tenants');
      say('signed in');
      location.hash = '#/';
      route();
    } catch (e) {
      say(e.message, 'error');
    }
  } },
  h('section', {}, h('h1', {}, 'Sign in'),
    h('p', { class: 'hint' }, 'The admin token of this scimd (SCIMD_ADMIN_TOKEN or its ' +
      '--admin-token-file). It stays in this browser tab only.'),
    h('label', {}, 'Admin token', input),
    h('p', {}, h('button', { type: 'submit', id: 'sign-in' }, 'Sign in'))));
  main().replaceChildren(form);
  input.focus();
}

async function tenantsView() {
  const body = h('tbody', { id: 'tenant-rows' });
  const name = h('input', { id: 'new-tenant', required: true, pattern: '[A-Za-z0-9._\\-]+',
    placeholder: 'acme.qa' });
  main().replaceChildren(
    h('h1', {}, 'Tenants'),
    h('section', {}, h('h2', {}, 'New tenant'),
      h('form', { class: 'inline', onsubmit: async (ev) => {
        ev.preventDefault();
        const t = await act(() => api('POST', '/tenants', { name: name.value.trim() }),
          'tenant ' + name.value.trim() + ' created');
        if (t) location.hash = '#/t/' + enc(t.name);
      } }, h('label', {}, 'Name', name), h('button', { type: 'submit', id: 'create-tenant' },
        'Create'))),
    h('section', {}, h('h2', {}, 'All tenants'),
      h('div', { class: 'scroll' }, h('table', {},
        h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', { class: 'num' }, 'Users'),
          h('th', { class: 'num' }, 'Groups'), h('th', { class: 'num' }, 'Requests, last hour'),
          h('th', { class: 'num' }, 'Errors, last hour'), h('th', { class: 'wide' }, 'Created'))),
        body))));
  const load = async () => {
    const r = await act(() => api('GET', '/tenants?details=1'));
    if (!r) return;
    body.replaceChildren(...r.tenants.map((t) => {
      const rate = t.lastHour.requests ? (100 * t.lastHour.errors / t.lastHour.requests) : 0;
      return h('tr', {},
        h('td', {}, h('a', { href: '#/t/' + enc(t.name) }, t.name)),
        h('td', { class: 'num' }, t.users), h('td', { class: 'num' }, t.groups),
        h('td', { class: 'num' }, t.lastHour.requests),
        h('td', { class: 'num' }, t.lastHour.errors + (t.lastHour.requests ? ` (${rate.toFixed(1)}%)` : '')),
        h('td', { class: 'wide' }, fmtTime(t.created)));
    }));
    if (!r.tenants.length) body.append(h('tr', {}, h('td', { colspan: 6 }, 'No tenant yet.')));
  };
  await load();
  every(10000, load);
  name.focus();
}

// The token just issued, shown once: its text lives only in this element until dismissed.
function showSecretOnce(where, issued, label) {
  const box = h('div', { class: 'secret', id: 'new-secret', role: 'alert' },
    h('p', {}, h('strong', {}, label + ': copy it now. It is shown only this once.')),
    ...valueRow('Secret Token', issued.token, 'secret-token'),
    h('button', { type: 'button', id: 'secret-done', onclick: () => box.remove() },
      'Done, I have copied it'));
  where.replaceChildren(box);
  box.querySelector('button').focus();
}

function tokenState(t) {
  if (t.state === 'expired') return h('span', { class: 'state-expired' }, 'expired');
  if (t.state && t.state.startsWith('expires')) return h('span', { class: 'state-expiring' }, t.state);
  return t.state || 'valid';
}

async function tenantView(name) {
  const T = '/tenants/' + enc(name);
  let info;
  try {
    info = await api('GET', T);
    if (!serverInfo) serverInfo = await api('GET', '/server');
  } catch (e) {
    main().replaceChildren(h('h1', {}, name), h('p', {}, e.message),
      h('p', {}, h('a', { href: '#/' }, 'Back to the tenants')));
    return;
  }
  const base = serverInfo.scimUrl;
  const settings = info.settings || {};
  const secretSlot = h('div', { id: 'secret-slot' });

  // Connect: what Entra asks for, labelled as Entra labels it.
  const hosts = (settings.host || '').split(',').map((s) => s.trim()).filter(Boolean);
  const connect = h('section', { id: 'connect' }, h('h2', {}, 'Connect an identity provider'),
    h('p', { class: 'hint' }, 'Microsoft Entra ID: Provisioning, Admin Credentials. Okta: ' +
      'SCIM connector base URL and an HTTP header (Bearer) token.'),
    ...valueRow('Tenant URL', base + '/scim/v2', 'tenant-url'),
    h('details', {}, h('summary', {}, 'Other base URLs'),
      ...valueRow('By path (any host)', base + '/t/' + name + '/scim/v2', 'path-url'),
      ...valueRow('Without the version', base + '/scim', 'short-url'),
      ...hosts.flatMap((host) => valueRow('By host ' + host,
        base.replace(/^(https?:\/\/)[^/:]+/, '$1' + host) + '/scim/v2', 'host-url-' + host))),
    h('div', { class: 'field-label' }, 'Secret Token'),
    h('p', { class: 'hint' }, 'Generate one for this connection; it is shown once.'),
    h('button', { type: 'button', id: 'generate-secret', onclick: async () => {
      const issued = await act(() => api('POST', T + '/tokens',
        { description: 'identity provider connection' }), 'token created');
      if (issued) { showSecretOnce(secretSlot, issued, 'New Secret Token'); loadTokens(); }
    } }, 'Generate a Secret Token'),
    secretSlot);

  // Tokens.
  const tokenRows = h('tbody', { id: 'token-rows' });
  const desc = h('input', { id: 'token-description', placeholder: 'Entra production' });
  const scope = h('select', { id: 'token-scope' }, h('option', { value: 'scim' }, 'scim (read and write)'),
    h('option', { value: 'scim:read' }, 'scim:read (read only)'));
  const expires = h('input', { id: 'token-expires', placeholder: '90d, or empty: never', size: 14 });
  const loadTokens = async () => {
    const r = await act(() => api('GET', T + '/tokens'));
    if (!r) return;
    tokenRows.replaceChildren(...r.tokens.map((t) => h('tr', { 'data-token': t.id },
      h('td', {}, h('code', {}, t.id)), h('td', {}, t.description || '—'), h('td', {}, t.scope),
      h('td', { class: 'wide' }, fmtTime(t.created)), h('td', { class: 'wide' }, fmtTime(t.lastUsed)),
      h('td', {}, fmtTime(t.expires)), h('td', {}, tokenState(t)),
      h('td', {}, h('div', { class: 'row' },
        h('button', { type: 'button', class: 'secondary', 'data-action': 'rotate',
          'aria-label': 'Rotate token ' + t.id, onclick: async () => {
            const grace = prompt('Grace period for the old token (e.g. 30d, 1h, 0s):', '7d');
            if (grace === null) return;
            const r2 = await act(() => api('POST', T + '/tokens/rotate', { tokenId: t.id, grace }),
              'token ' + t.id + ' rotated; the old one works until ' + 'its new expiry');
            if (r2) { showSecretOnce(tokenSecret, r2, 'Rotated: new Secret Token'); loadTokens(); }
          } }, 'Rotate'),
        h('button', { type: 'button', class: 'danger', 'data-action': 'revoke',
          'aria-label': 'Revoke token ' + t.id, onclick: async () => {
            if (!confirm('Revoke token ' + t.id + '? Requests with it get 401 at once.')) return;
            if (await act(() => api('DELETE', T + '/tokens/' + enc(t.id)), 'token ' + t.id + ' revoked')) {
              loadTokens();
            }
          } }, 'Revoke'))))));
    if (!r.tokens.length) tokenRows.append(h('tr', {}, h('td', { colspan: 8 }, 'No token: nobody can connect.')));
  };
  const tokenSecret = h('div', { id: 'token-secret-slot' });
  const tokens = h('section', { id: 'tokens' }, h('h2', {}, 'Tokens'),
    h('form', { class: 'inline', onsubmit: async (ev) => {
      ev.preventDefault();
      const body = { description: desc.value.trim(), scope: scope.value };
      if (expires.value.trim()) body.expires = expires.value.trim();
      const issued = await act(() => api('POST', T + '/tokens', body), 'token created');
      if (issued) { desc.value = ''; showSecretOnce(tokenSecret, issued, 'New token'); loadTokens(); }
    } }, h('label', {}, 'Description', desc), h('label', {}, 'Scope', scope),
    h('label', {}, 'Expires after', expires), h('button', { type: 'submit', id: 'create-token' }, 'Create token')),
    tokenSecret,
    h('div', { class: 'scroll' }, h('table', {}, h('thead', {}, h('tr', {},
      h('th', {}, 'Id'), h('th', {}, 'Description'), h('th', {}, 'Scope'), h('th', { class: 'wide' }, 'Created'),
      h('th', { class: 'wide' }, 'Last used'), h('th', {}, 'Expires'), h('th', {}, 'State'), h('th', {}, ''))),
    tokenRows)));

  // Settings.
  const field = (key, label, input) => {
    input.id = 'setting-' + key;
    input.dataset.key = key;
    if (settings[key] !== undefined) input.value = settings[key];
    return h('label', {}, label, input);
  };
  const options = (...vals) => h('select', {}, ...vals.map((v) => h('option', { value: v }, v || '(none)')));
  const settingInputs = [
    field('profile', 'Client profile', options('', 'entra', 'okta', 'strict')),
    field('delete-policy', 'Delete policy', options('hard', 'soft')),
    field('required', 'Required attributes', h('input', { placeholder: 'userName,emails' })),
    field('rate-limit', 'Rate limit (requests/s, 0: none)', h('input', { size: 6, placeholder: '0' })),
    field('host', 'Host names', h('input', { placeholder: 'acme.scim.example.com' })),
  ];
  const indexRows = h('tbody', { id: 'index-rows' });
  const loadIndexes = async () => {
    const r = await act(() => api('GET', T + '/indexes'));
    if (!r) return;
    indexRows.replaceChildren(...r.indexes.map((ix) => h('tr', {},
      h('td', {}, ix.resource), h('td', {}, ix.attribute), h('td', {}, ix.state),
      h('td', {}, ix.state === 'built-in' ? '' : h('button', { type: 'button', class: 'secondary',
        'aria-label': 'Remove the index of ' + ix.attribute, onclick: async () => {
          const ep = ix.resource === 'Group' ? 'Groups' : 'Users';
          if (await act(() => api('DELETE', T + '/indexes/' + ep + '/' + enc(ix.attribute)), 'index removed')) loadIndexes();
        } }, 'Remove')))));
  };
  const ixResource = h('select', { id: 'index-resource' }, h('option', {}, 'Users'), h('option', {}, 'Groups'));
  const ixAttr = h('input', { id: 'index-attribute', placeholder: 'title', required: true });
  const settingsSection = h('section', { id: 'settings' }, h('h2', {}, 'Settings'),
    h('form', { class: 'inline', onsubmit: async (ev) => {
      ev.preventDefault();
      const changes = {};
      for (const l of settingInputs) {
        const input = l.querySelector('[data-key]');
        const now = input.value.trim();
        if (now !== (settings[input.dataset.key] || '')) changes[input.dataset.key] = now;
      }
      if (!Object.keys(changes).length) { say('nothing changed'); return; }
      const t = await act(() => api('PATCH', T + '/settings', changes), 'settings saved');
      if (t) Object.assign(settings, t.settings);
    } }, ...settingInputs, h('button', { type: 'submit', id: 'save-settings' }, 'Save settings')),
    h('h2', {}, 'Indexed attributes'),
    h('form', { class: 'inline', onsubmit: async (ev) => {
      ev.preventDefault();
      if (await act(() => api('POST', T + '/indexes', { resource: ixResource.value, attribute: ixAttr.value.trim() }),
        'index of ' + ixAttr.value.trim() + ' building')) { ixAttr.value = ''; loadIndexes(); }
    } }, h('label', {}, 'Resource', ixResource), h('label', {}, 'Attribute', ixAttr),
    h('button', { type: 'submit' }, 'Add index')),
    h('div', { class: 'scroll' }, h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Resource'),
      h('th', {}, 'Attribute'), h('th', {}, 'State'), h('th', {}, ''))), indexRows)));

  // Activity: newest first, filtered, updated live.
  const actRows = h('tbody', { id: 'activity-rows' });
  const fOutcome = h('select', { id: 'activity-outcome' }, h('option', { value: '' }, 'all'),
    h('option', { value: 'failed' }, 'failed only'));
  const fResource = h('select', { id: 'activity-resource' }, h('option', { value: '' }, 'all'),
    h('option', {}, 'User'), h('option', {}, 'Group'));
  const fSince = h('select', { id: 'activity-since' }, h('option', { value: '1h' }, 'last hour'),
    h('option', { value: '24h' }, 'last 24 hours'), h('option', { value: '' }, 'all'));
  const live = h('input', { type: 'checkbox', id: 'activity-live', checked: true });
  const loadActivity = async () => {
    let q = '?limit=100';
    if (fOutcome.value) q += '&failed=1';
    if (fSince.value) q += '&since=' + fSince.value;
    const r = await act(() => api('GET', T + '/activity' + q));
    if (!r) return;
    const shown = r.entries.filter((e) => !fResource.value || e.type === fResource.value);
    actRows.replaceChildren(...shown.map((e) => h('tr', { class: outcome(e.status) },
      h('td', {}, fmtMicros(e.time)), h('td', {}, e.method || ''), h('td', {}, e.path || ''),
      h('td', { class: 'num' }, e.status),
      h('td', {}, [e.scimType, e.detail].filter(Boolean).join(': ') ||
        (e.changed ? e.changed.join(', ') : '')),
      h('td', { class: 'wide' }, e.client || ''), h('td', { class: 'wide' }, e.token || ''))));
    if (!shown.length) actRows.append(h('tr', {}, h('td', { colspan: 7 }, 'Nothing in this window.')));
  };
  [fOutcome, fResource, fSince].forEach((s) => s.addEventListener('change', loadActivity));
  const activity = h('section', { id: 'activity' }, h('h2', {}, 'Provisioning activity'),
    h('div', { class: 'row' }, h('label', {}, 'Outcome', fOutcome), h('label', {}, 'Resource', fResource),
      h('label', {}, 'Time', fSince), h('label', {}, 'Live', live),
      h('button', { type: 'button', class: 'secondary', onclick: loadActivity }, 'Refresh')),
    h('p', { class: 'hint' }, 'Writes and failed requests, newest first (successful reads are not logged).'),
    h('div', { class: 'scroll' }, h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Time'),
      h('th', {}, 'Method'), h('th', {}, 'Path'), h('th', { class: 'num' }, 'Status'), h('th', {}, 'Detail'),
      h('th', { class: 'wide' }, 'Client'), h('th', { class: 'wide' }, 'Token'))), actRows)));

  // Requests per minute by outcome, last 24 hours.
  const chartBox = h('div', { class: 'chart', id: 'chart' });
  const loadChart = async () => {
    const r = await act(() => api('GET', T + '/history'));
    if (r) drawChart(chartBox, r.minutes, serverInfo.now);
  };
  const chart = h('section', {}, h('h2', {}, 'Requests per minute, last 24 hours'), chartBox,
    h('div', { class: 'legend' }, h('span', {}, h('span', { class: 'swatch sw-ok' }), 'succeeded'),
      h('span', {}, h('span', { class: 'swatch sw-client' }), 'client errors (4xx)'),
      h('span', {}, h('span', { class: 'swatch sw-server' }), 'server errors (5xx)')));

  // Copy to a QA tenant; delete.
  const qa = h('input', { id: 'qa-name', placeholder: name + '.qa', required: true });
  const confirmName = h('input', { id: 'delete-confirm', autocomplete: 'off', placeholder: name });
  const danger = h('section', { id: 'manage' }, h('h2', {}, 'Copy and delete'),
    h('form', { class: 'inline', onsubmit: async (ev) => {
      ev.preventDefault();
      const to = qa.value.trim();
      const done = await act(async () => {
        await api('POST', '/tenants', { name: to });
        return api('POST', '/tenants/' + enc(to) + '/copy-config', { from: name });
      }, 'tenant ' + to + ' created with the configuration of ' + name);
      if (done) location.hash = '#/t/' + enc(to);
    } }, h('label', {}, 'New tenant with this configuration (settings and indexes)', qa),
    h('button', { type: 'submit', class: 'secondary' }, 'Create the copy')),
    h('form', { class: 'inline', onsubmit: async (ev) => {
      ev.preventDefault();
      if (confirmName.value !== name) { say('type the tenant\'s name to delete it', 'error'); return; }
      if (await act(() => api('DELETE', T), 'tenant ' + name + ' deleted')) location.hash = '#/';
    } }, h('label', {}, 'Type "' + name + '" to delete it with all its data', confirmName),
    h('button', { type: 'submit', class: 'danger', id: 'delete-tenant' }, 'Delete tenant')));

  main().replaceChildren(h('h1', {}, name), h('p', { class: 'hint' },
    `${info.users} users, ${info.groups} groups, ${info.tokens} tokens · created ${fmtTime(info.created)}`),
  connect, tokens, activity, chart, settingsSection, danger);
  await Promise.all([loadTokens(), loadIndexes(), loadActivity(), loadChart()]);
  every(3000, () => { if (live.checked) loadActivity(); });
  every(60000, loadChart);
}

function drawChart(box, minutes, nowSeconds) {
  const W = 1440, H = 160;
  const end = Math.floor(nowSeconds / 60);
  const start = end - 1440;
  const max = Math.max(1, ...minutes.map((m) => m.ok + m.clientErrors + m.serverErrors));
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  const total = minutes.reduce((a, m) => a + m.ok + m.clientErrors + m.serverErrors, 0);
  svg.setAttribute('aria-label', `${total} requests in the last 24 hours, at most ${max} in a minute`);
  for (const m of minutes) {
    const x = m.minute - start;
    if (x < 0 || x > W) continue;
    let y = H;
    for (const [n, cls] of [[m.ok, 'bar-ok'], [m.clientErrors, 'bar-client'], [m.serverErrors, 'bar-server']]) {
      if (!n) continue;
      const hgt = (n / max) * (H - 10);
      const r = document.createElementNS(NS, 'rect');
      r.setAttribute('x', x); r.setAttribute('width', 1.5);
      r.setAttribute('y', y - hgt); r.setAttribute('height', hgt);
      r.setAttribute('class', cls);
      svg.append(r);
      y -= hgt;
    }
  }
  box.replaceChildren(svg, h('div', { class: 'hint' }, `peak ${max} a minute; ${total} in all`));
}

// ---- routing ------------------------------------------------------------------------
async function route() {
  stopTimers();
  if (!sessionStorage.getItem(TOKEN_KEY)) { signIn(); return; }
  document.getElementById('nav').hidden = false;
  const hash = location.hash || '#/';
  const m = hash.match(/^#\/t\/(.+)$/);
  if (m) await tenantView(decodeURIComponent(m[1]));
  else await tenantsView();
}

window.addEventListener('hashchange', route);
window.addEventListener('DOMContentLoaded', () => {
  document.getElementById('sign-out').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    serverInfo = null;
    location.hash = '#/';
    say('signed out');
    route();
  });
  route();
});
