#!/usr/bin/env python3
"""Writers for the replica group tests (scripts/replica_failover.sh): N clients create
users and add and remove them as members of their own group through one SCIM URL, and log
every acknowledged write (2xx) with its time to OUT/acked-<client>.jsonl; a write that got
no answer or a non-2xx one is logged as unsure (it may or may not have happened).

  replica_load.py load --url URL --token-file F --clients 8 --seconds S --out DIR
  replica_load.py verify --url URL --token-file F --out DIR [--before UNIX_TIME]

verify checks, through URL, that every acknowledged user exists and (without --before,
once the writers have stopped) that every membership whose last change was acknowledged
(with no unsure change of it after) is as acknowledged.
Exit 0 when all is found; prints counts as `RESULT verify ...`."""
import argparse, glob, http.client, json, os, random, sys, threading, time, urllib.parse

SCHEMA_PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


class Client:
    def __init__(self, url, token):
        u = urllib.parse.urlparse(url)
        self.host, self.port, self.base = u.hostname, u.port, u.path.rstrip("/")
        self.token = token
        self.conn = None

    def call(self, method, path, body=None, timeout=10):
        headers = {"Authorization": "Bearer " + self.token, "Content-Type": "application/scim+json"}
        data = json.dumps(body) if body is not None else None
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
            self.conn.request(method, self.base + path, body=data, headers=headers)
            r = self.conn.getresponse()
            text = r.read()
            if r.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            return r.status, (json.loads(text) if text else None)
        except Exception as e:  # no answer: the write is unsure
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            return 0, str(e)


def writer(args, token, i, stop, out):
    c = Client(args.url, token)
    log = open(os.path.join(out, "acked-%d.jsonl" % i), "a", buffering=1)

    def note(kind, acked, **fields):
        fields.update(kind=kind, acked=acked, t=time.time(), t0=t0, client=i)
        log.write(json.dumps(fields) + "\n")

    group = None
    t0 = time.time()
    while group is None and not stop.is_set():
        st, body = c.call("POST", "/Groups", {"displayName": "replica-g%d" % i})
        if st == 201:
            group = body["id"]
            note("group", True, id=group, name="replica-g%d" % i)
        elif st == 409:
            st, body = c.call("GET", '/Groups?filter=displayName%20eq%20%22replica-g' + str(i) + '%22')
            if st == 200 and body.get("Resources"):
                group = body["Resources"][0]["id"]
        else:
            time.sleep(0.2)
    members = []
    n = 0
    while not stop.is_set():
        n += 1
        t0 = time.time()
        name = "r-%d-%d-%d" % (i, int(time.time() * 1000), n)
        st, body = c.call("POST", "/Users", {"userName": name, "active": True})
        if 200 <= st < 300:
            note("user", True, id=body["id"], userName=name)
            uid = body["id"]
        else:
            note("user", False, userName=name, status=st)
            time.sleep(0.05 if st else 0.2)
            continue
        if n % 2 == 0:
            t0 = time.time()
            op = {"op": "add", "path": "members", "value": [{"value": uid}]}
            st, _ = c.call("PATCH", "/Groups/" + group, {"schemas": [SCHEMA_PATCH], "Operations": [op]})
            note("member", 200 <= st < 300, group=group, member=uid, present=True, status=st)
            if 200 <= st < 300:
                members.append(uid)
        if n % 7 == 0 and members:
            t0 = time.time()
            uid = members.pop(random.randrange(len(members)))
            op = {"op": "remove", "path": 'members[value eq "%s"]' % uid}
            st, _ = c.call("PATCH", "/Groups/" + group, {"schemas": [SCHEMA_PATCH], "Operations": [op]})
            note("member", 200 <= st < 300, group=group, member=uid, present=False, status=st)


def load(args):
    token = open(args.token_file).read().strip()
    os.makedirs(args.out, exist_ok=True)
    stop = threading.Event()
    threads = [threading.Thread(target=writer, args=(args, token, i, stop, args.out)) for i in range(args.clients)]
    for t in threads:
        t.start()
    deadline = time.time() + args.seconds
    while time.time() < deadline and not os.path.exists(os.path.join(args.out, "stop")):
        time.sleep(0.2)
    stop.set()
    for t in threads:
        t.join()


def records(out, before):
    for path in glob.glob(os.path.join(out, "acked-*.jsonl")):
        for line in open(path):
            try:
                r = json.loads(line)
            except ValueError:
                continue  # a line being written
            if before is None or r["t"] <= before:
                yield r


def verify(args):
    token = open(args.token_file).read().strip()
    c = Client(args.url, token)
    users, memberships, unsure_users = [], {}, 0
    # While the writers go on (--before), memberships may change between reading the log
    # and reading the group: only users (never deleted) are checked then; memberships once
    # the writers have stopped.
    for r in sorted(records(args.out, args.before), key=lambda r: r["t"]):
        if r["kind"] == "user":
            if r["acked"]:
                users.append(r)
            else:
                unsure_users += 1
        elif r["kind"] == "member":
            if args.before is not None:
                continue
            key = (r["group"], r["member"])
            if r["acked"]:
                memberships[key] = r["present"]
            else:
                memberships[key] = None  # an unsure change after: not checked
    # Every user the server holds, page by page (ids only grow: pages do not shift).
    held, start = {}, 1
    while True:
        for attempt in range(30):
            st, body = c.call("GET", "/Users?attributes=userName&count=1000&startIndex=%d" % start,
                              timeout=60)
            if st == 200:
                break
            time.sleep(0.5)
        if st != 200:
            print("cannot list the users: %s" % st, file=sys.stderr)
            return 1
        page = body.get("Resources", [])
        for r in page:
            held[r["id"]] = r.get("userName")
        if not page:
            break
        start += len(page)
    missing = 0
    for u in users:
        if held.get(u["id"]) != u["userName"]:
            missing += 1
            if missing <= 20:
                print("MISSING user %s (%s)" % (u["userName"], u["id"]), file=sys.stderr)
    groups = {}
    wrong = checked = 0
    for (group, member), present in memberships.items():
        if present is None:
            continue
        if group not in groups:
            for attempt in range(30):
                st, body = c.call("GET", "/Groups/" + group + "?attributes=members")
                if st == 200:
                    break
                time.sleep(0.5)
            groups[group] = {m["value"] for m in (body or {}).get("members", [])} if st == 200 else None
        checked += 1
        if groups[group] is None or (member in groups[group]) != present:
            wrong += 1
            if wrong <= 20:
                print("WRONG membership %s in %s: want %s" % (member, group, present), file=sys.stderr)
    print("RESULT verify users_acked=%d users_missing=%d users_unsure=%d memberships_checked=%d "
          "memberships_wrong=%d" % (len(users), missing, unsure_users, checked, wrong))
    return 0 if missing == 0 and wrong == 0 else 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["load", "verify"])
    p.add_argument("--url", required=True)
    p.add_argument("--token-file", required=True)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--out", required=True)
    p.add_argument("--before", type=float)
    args = p.parse_args()
    if args.mode == "load":
        load(args)
        return 0
    return verify(args)


if __name__ == "__main__":
    sys.exit(main())
