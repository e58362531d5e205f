// The hostile clients of scripts/hostile.sh (issue #20). One attack per run, bounded in
// time (SECONDS) and in connections; prints one line:
//   ATTACK name=N seconds=S connections=C closed_by_server=K answers=<status:count,...>
//          errors=E bytes_sent=B
//
//   node hostile_client.js ATTACK HOST PORT SECONDS [COUNT]
// ATTACK:
//   slow-head    COUNT (2000) connections each send one byte of a request head a second
//   slow-body    COUNT (500) connections send a head (Content-Length 100000), then a
//                byte of body a second
//   idle         COUNT (10000) connections each make one authenticated GET, read the
//                answer, then stay open and silent (keep-alive)
//   huge-head    4 connections send heads of 1 MiB, again and again
//   huge-body    4 connections announce 1 GiB bodies, and send chunked bodies past 8 MiB
//   pipeline     4 connections write GETs back to back without reading the answers
//   deep-json    4 connections POST bodies of 100,000 nested arrays
//   huge-filter  4 connections send filters of 10,000 terms and of 100,000 parentheses,
//                in the query string and in .search bodies
// The bearer token comes from SCIMD_TOKEN, never from the command line. HOSTILE_SOURCE,
// when set, is the local address the attacker connects from (e.g. 127.0.0.2: another
// client than the normal one on 127.0.0.1, as an attacker is). HOSTILE_TLS=1 speaks TLS
// (the server's certificate is not checked: a test on loopback).
'use strict';

const net = require('net');
const tls = require('tls');

const [attack, host, portArg, secondsArg, countArg] = process.argv.slice(2);
const port = Number(portArg);
const seconds = Number(secondsArg);
const token = process.env.SCIMD_TOKEN || '';
if (!attack || !host || !port || !seconds) {
  console.error('usage: node hostile_client.js ATTACK HOST PORT SECONDS [COUNT]');
  process.exit(2);
}
const deadline = Date.now() + seconds * 1000;
const stats = {connections: 0, closed: 0, errors: 0, sent: 0, answers: new Map()};
const sockets = new Set();
const localAddress = process.env.HOSTILE_SOURCE || undefined;
const useTls = process.env.HOSTILE_TLS === '1';

function open(onConnect, onData) {
  const s = useTls ? tls.connect({host, port, localAddress, rejectUnauthorized: false})
                   : net.connect({host, port, localAddress});
  stats.connections++;
  sockets.add(s);
  let buffered = '';
  s.on(useTls ? 'secureConnect' : 'connect', () => onConnect(s));
  s.on('data', (d) => {
    buffered += d.toString('latin1');
    // Count every status line seen (pipelined answers included).
    const re = /HTTP\/1\.1 (\d{3}) /g;
    let m;
    while ((m = re.exec(buffered)) !== null) {
      stats.answers.set(m[1], (stats.answers.get(m[1]) || 0) + 1);
    }
    buffered = buffered.slice(-16);
    if (onData) onData(s, d);
  });
  s.on('error', () => { stats.errors++; });
  s.on('close', () => {
    sockets.delete(s);
    if (Date.now() < deadline) stats.closed++;
  });
  return s;
}

function write(s, data) {
  if (s.destroyed) return false;
  stats.sent += Buffer.byteLength(data);
  return s.write(data);
}

const auth = `Authorization: Bearer ${token}\r\n`;
const get = (path) => `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${auth}\r\n`;

// Keeps `n` connections of `start` open until the deadline, opening a new one when the
// server closes one (for the repeated attacks).
function keep(n, start) {
  const again = () => { if (Date.now() < deadline) start().on('close', again); };
  for (let i = 0; i < n; i++) again();
}

function trickle(s, text) {
  let i = 0;
  const t = setInterval(() => {
    if (s.destroyed || i >= text.length || Date.now() >= deadline) return clearInterval(t);
    write(s, text[i++]);
  }, 1000);
}

const attacks = {
  'slow-head': (n = 2000) => {
    const head = get('/scim/v2/Users').repeat(1);
    for (let i = 0; i < n; i++) open((s) => trickle(s, head));
  },
  'slow-body': (n = 500) => {
    for (let i = 0; i < n; i++) {
      open((s) => {
        write(s, `POST /scim/v2/Users HTTP/1.1\r\nHost: ${host}\r\n${auth}` +
                 'Content-Type: application/scim+json\r\nContent-Length: 100000\r\n\r\n');
        trickle(s, '{"userName":"' + 'x'.repeat(99000));
      });
    }
  },
  'idle': (n = 10000) => {
    let i = 0;
    const more = () => {
      // A few hundred at a time: the accept queue is not what is measured.
      for (let k = 0; k < 200 && i < n; k++, i++) open((s) => write(s, get('/scim/v2/ServiceProviderConfig')));
      if (i < n) setTimeout(more, 20);
    };
    more();
  },
  'huge-head': () => keep(4, () => open((s) => {
    write(s, `GET /scim/v2/Users HTTP/1.1\r\nHost: ${host}\r\n`);
    const line = 'X-Filler: ' + 'a'.repeat(1000) + '\r\n';
    for (let k = 0; k < 1024; k++) if (!write(s, line)) break;
  })),
  'huge-body': () => keep(4, () => open((s) => {
    if (Math.random() < 0.5) {
      write(s, `POST /scim/v2/Users HTTP/1.1\r\nHost: ${host}\r\n${auth}` +
               'Content-Type: application/scim+json\r\nContent-Length: 1073741824\r\n\r\n{');
    } else {
      write(s, `POST /scim/v2/Users HTTP/1.1\r\nHost: ${host}\r\n${auth}` +
               'Content-Type: application/scim+json\r\nTransfer-Encoding: chunked\r\n\r\n');
      const chunk = (1 << 20).toString(16) + '\r\n' + 'a'.repeat(1 << 20) + '\r\n';
      for (let k = 0; k < 10; k++) if (!write(s, chunk)) break;
    }
  })),
  'pipeline': () => keep(4, () => open((s) => {
    s.pause();  // never read: the server must stop reading, not queue without end
    const burst = get('/scim/v2/ServiceProviderConfig').repeat(1000);
    const pump = () => {
      while (Date.now() < deadline && write(s, burst)) {}
    };
    s.on('drain', pump);
    pump();
  })),
  'deep-json': () => {
    const body = '['.repeat(100000) + ']'.repeat(100000);
    const req = `POST /scim/v2/Users HTTP/1.1\r\nHost: ${host}\r\n${auth}` +
                `Content-Type: application/scim+json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    keep(4, () => open((s) => write(s, req), (s) => write(s, req)));
  },
  'huge-filter': () => {
    const terms = [];
    for (let k = 0; k < 10000; k++) terms.push(`userName eq "u${k}"`);
    const wide = terms.join(' or ');
    const deep = '('.repeat(100000) + 'userName pr' + ')'.repeat(100000);
    // In the query string (past the head's size limit) and in a .search body (to the
    // filter parser's own limits).
    const search = (f) => {
      const body = JSON.stringify({filter: f});
      return `POST /scim/v2/Users/.search HTTP/1.1\r\nHost: ${host}\r\n${auth}` +
             `Content-Type: application/scim+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    };
    const reqs = [get('/scim/v2/Users?filter=' + encodeURIComponent(wide)),
                  get('/scim/v2/Users?filter=' + encodeURIComponent(deep)), search(wide), search(deep)];
    let k = 0;
    keep(4, () => open((s) => write(s, reqs[k++ % 4]), (s) => write(s, reqs[k++ % 4])));
  },
};

if (!attacks[attack]) {
  console.error(`unknown attack ${attack}`);
  process.exit(2);
}
attacks[attack](countArg ? Number(countArg) : undefined);
setTimeout(() => {
  const answers = [...stats.answers].map(([k, v]) => `${k}:${v}`).join(',') || '-';
  console.log(`ATTACK name=${attack} seconds=${seconds} connections=${stats.connections} ` +
              `closed_by_server=${stats.closed} answers=${answers} errors=${stats.errors} ` +
              `bytes_sent=${stats.sent} open_at_end=${sockets.size}`);
  for (const s of sockets) s.destroy();
  process.exit(0);
}, seconds * 1000);
