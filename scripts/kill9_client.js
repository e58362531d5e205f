// The clients of scripts/kill9.sh (issue #20): writers that journal what scimd
// acknowledged, and the check that all of it is still there after a kill -9.
//
//   node kill9_client.js work URL DIR CLIENTS ROUND
//       CLIENTS writers, each with its own group: create users (POST /Users), add one of
//       its users to its group or remove one (PATCH /Groups/{id}), one request at a time,
//       until the server goes away (connection refused or reset) or 120 s pass. Each
//       writer appends to DIR/CLIENT.log, synchronously, what it is about to do and what
//       was acknowledged (a 2xx answer): "user ID NAME", "group ID", "op N add|remove ID"
//       before the PATCH and "ack N" after it. Any answer other than 2xx is an error.
//   node kill9_client.js verify URL DIR CLIENTS
//       Every acknowledged user is listed with its userName and found by `userName eq`
//       (a sample of 50); every group holds exactly the members its acknowledged PATCHes
//       left, except an edge whose last PATCH was in flight at the kill (either is right).
//       Prints "VERIFY acked_users=N found_users=N edges_checked=N missing=N unexpected=N
//       errors=N" and exits 1 if anything is missing, unexpected or an error.
// The bearer token comes from the environment (SCIMD_TOKEN), never from the command line.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');

const [mode, baseUrl, dir, clientsArg, roundArg] = process.argv.slice(2);
const token = process.env.SCIMD_TOKEN;
if (!['work', 'verify'].includes(mode) || !baseUrl || !dir || !clientsArg || !token) {
  console.error('usage: node kill9_client.js work|verify URL DIR CLIENTS [ROUND] (SCIMD_TOKEN set)');
  process.exit(2);
}
const clients = Number(clientsArg);
const round = Number(roundArg || 0);
const url = new URL(baseUrl);
const agent = new http.Agent({keepAlive: true, maxSockets: clients + 2});
const kPatch = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const kWorkSeconds = 120;

// One request; resolves {status, body} or rejects with the socket error.
function request(method, p, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request({
      host: url.hostname, port: url.port, method, path: '/scim/v2' + p, agent,
      headers: Object.assign({authorization: 'Bearer ' + token, accept: 'application/scim+json'},
                             data ? {'content-type': 'application/scim+json',
                                     'content-length': data.length} : {}),
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json = null;
        try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
        resolve({status: res.statusCode, body: json, text});
      });
      res.on('error', reject);
    });
    req.setTimeout(30000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

// A client's journal read back: its users, its group and the state of each edge.
function readJournal(file) {
  const j = {users: new Map(), group: null, ops: new Map(), edges: new Map(), lines: 0};
  if (!fs.existsSync(file)) return j;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    j.lines++;
    const f = line.split(' ');
    if (f[0] === 'user') j.users.set(f[1], f[2]);
    else if (f[0] === 'group') j.group = f[1];
    else if (f[0] === 'op') {
      j.ops.set(f[1], {kind: f[2], id: f[3]});
      // In flight until acknowledged: either outcome is right.
      const e = j.edges.get(f[3]) || {present: false};
      e.pending = true;
      j.edges.set(f[3], e);
    } else if (f[0] === 'ack') {
      const op = j.ops.get(f[1]);
      j.edges.set(op.id, {present: op.kind === 'add', pending: false});
    }
  }
  return j;
}

function gone(err) {
  return ['ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(err.code) ||
         /socket hang up|timeout/.test(String(err.message));
}

async function worker(c) {
  const file = path.join(dir, `${c}.log`);
  const j = readJournal(file);
  const journal = (line) => fs.appendFileSync(file, line + '\n');
  const members = new Set([...j.edges].filter(([, e]) => e.present && !e.pending).map(([id]) => id));
  const users = [...j.users.keys()];
  let seq = j.lines;  // op numbers unique within the journal
  let n = 0, errors = 0;
  const deadline = Date.now() + kWorkSeconds * 1000;
  try {
    while (Date.now() < deadline) {
      if (!j.group) {
        const r = await request('POST', '/Groups', {displayName: `kill9 group ${c} r${round}`});
        if (r.status !== 201) throw Object.assign(new Error(`POST /Groups: ${r.status} ${r.text}`), {scim: true});
        j.group = r.body.id;
        journal(`group ${j.group}`);
        continue;
      }
      const dice = Math.random();
      if (dice < 0.6 || users.length === 0) {
        const name = `k9-c${c}-r${round}-${n++}@kill9.example`;
        const r = await request('POST', '/Users', {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: name, active: true,
          externalId: `k9x-${c}-${round}-${n}`, name: {givenName: 'Kill', familyName: `Nine${c}`},
          emails: [{value: name, type: 'work', primary: true}]});
        if (r.status !== 201) throw Object.assign(new Error(`POST /Users: ${r.status} ${r.text}`), {scim: true});
        journal(`user ${r.body.id} ${name}`);
        users.push(r.body.id);
        continue;
      }
      const add = dice < 0.85 || members.size === 0;
      const pool = add ? users.filter((u) => !members.has(u)) : [...members];
      if (pool.length === 0) continue;
      const id = pool[Math.floor(Math.random() * pool.length)];
      const op = ++seq;
      journal(`op ${op} ${add ? 'add' : 'remove'} ${id}`);
      const body = {schemas: [kPatch], Operations: [add
        ? {op: 'add', path: 'members', value: [{value: id}]}
        : {op: 'remove', path: `members[value eq "${id}"]`}]};
      const r = await request('PATCH', `/Groups/${j.group}`, body);
      if (r.status !== 200 && r.status !== 204) {
        throw Object.assign(new Error(`PATCH /Groups: ${r.status} ${r.text}`), {scim: true});
      }
      journal(`ack ${op}`);
      if (add) members.add(id); else members.delete(id);
    }
  } catch (err) {
    if (err.scim || !gone(err)) {
      console.error(`kill9_client ${c}: ${err.message}`);
      errors++;
    }
  }
  return errors;
}

async function listAll() {
  const found = new Map();
  for (let start = 1; ; start += 1000) {
    const r = await request('GET', `/Users?attributes=userName&count=1000&startIndex=${start}`);
    if (r.status !== 200) throw new Error(`GET /Users: ${r.status} ${r.text}`);
    for (const u of r.body.Resources || []) found.set(u.id, u.userName);
    if (start + 1000 > r.body.totalResults) return found;
  }
}

async function verify() {
  let acked = 0, foundUsers = 0, edgesChecked = 0, missing = 0, unexpected = 0, errors = 0;
  const listed = await listAll();
  const sample = [];
  for (let c = 0; c < clients; c++) {
    const j = readJournal(path.join(dir, `${c}.log`));
    for (const [id, name] of j.users) {
      acked++;
      if (listed.get(id) === name) foundUsers++;
      else { missing++; console.error(`missing user ${id} ${name} (listed as ${listed.get(id)})`); }
      if (Math.random() < 0.05 && sample.length < 50) sample.push([id, name]);
    }
    if (!j.group) continue;
    const r = await request('GET', `/Groups/${j.group}?attributes=members`);
    if (r.status !== 200) {
      missing++;
      console.error(`missing group ${j.group}: ${r.status}`);
      continue;
    }
    const held = new Set((r.body.members || []).map((m) => m.value));
    for (const [id, e] of j.edges) {
      if (e.pending) continue;
      edgesChecked++;
      if (e.present && !held.has(id)) { missing++; console.error(`group ${j.group}: member ${id} missing`); }
      if (!e.present && held.has(id)) { unexpected++; console.error(`group ${j.group}: ${id} should be gone`); }
    }
    for (const id of held) {
      if (!j.edges.has(id)) { unexpected++; console.error(`group ${j.group}: ${id} never added`); }
    }
  }
  for (const [id, name] of sample) {
    const r = await request('GET', `/Users?filter=${encodeURIComponent(`userName eq "${name}"`)}`);
    if (r.status !== 200 || r.body.totalResults !== 1 || r.body.Resources[0].id !== id) {
      errors++;
      console.error(`userName eq "${name}": ${r.status} ${r.text.slice(0, 200)}`);
    }
  }
  console.log(`VERIFY acked_users=${acked} found_users=${foundUsers} edges_checked=${edgesChecked} ` +
              `missing=${missing} unexpected=${unexpected} errors=${errors}`);
  return missing + unexpected + errors === 0;
}

(async () => {
  if (mode === 'work') {
    const errors = (await Promise.all([...Array(clients).keys()].map(worker))).reduce((a, b) => a + b, 0);
    agent.destroy();
    process.exit(errors === 0 ? 0 : 1);
  }
  const ok = await verify().catch((e) => { console.error(`verify: ${e.message}`); return false; });
  agent.destroy();
  process.exit(ok ? 0 : 1);
})();
