#!/usr/bin/env python3
"""Seed corpora for the libFuzzer targets (tests/fuzz/, make fuzz), from the tests' golden
files and a few requests written here, into OUT/<target>/ (one input per file).

    scripts/fuzz_seeds.py OUT

filter:   every `filter:` of tests/golden/filter/*.txt
patch:    every `patch:` of tests/golden/patch/*.txt, as a PatchOp body
resource: every `resource:` of tests/golden/patch/*.txt, and a full user and group
http:     raw requests (GET, POST, PUT, PATCH, DELETE, lists with filters, /Bulk, chunked
          bodies, pipelining, Expect: 100-continue, discovery), "@TOKEN@" for the token
keys:     none (the key layouts are found from an empty corpus)
Inputs that crashed once are kept in tests/fuzz/corpus/<target>/ and added by scripts/fuzz.sh.
"""
import hashlib
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
    "userName": "ann@example.com", "externalId": "e-1", "active": True, "displayName": "Ann",
    "name": {"givenName": "Ann", "familyName": "Smith"},
    "emails": [{"value": "ann@example.com", "type": "work", "primary": True}],
    "phoneNumbers": [{"value": "+1 555 0100", "type": "work"}],
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D",
                                                                   "manager": {"value": "m-1"}},
}
GROUP = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Admins",
         "members": [{"value": "0190b8a0-0000-7000-8000-000000000001"}]}


def golden(kind, key):
    out = []
    folder = os.path.join(ROOT, "tests", "golden", kind)
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".txt"):
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            for line in f:
                if line.startswith(key + ":"):
                    value = line[len(key) + 1:].rstrip("\n")
                    out.append(value[1:] if value.startswith(" ") else value)
    return out


def http_requests():
    auth = "Authorization: Bearer @TOKEN@\r\n"
    host = "Host: 127.0.0.1\r\n"
    user = json.dumps(USER)
    patch = json.dumps({"schemas": [PATCH_OP], "Operations": [
        {"op": "Replace", "path": "active", "value": "False"}]})
    bulk = json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                       "Operations": [{"method": "POST", "path": "/Users", "bulkId": "b1",
                                       "data": USER}]})

    def req(method, target, body=None, extra=""):
        head = f"{method} {target} HTTP/1.1\r\n{host}{auth}{extra}"
        if body is None:
            return head + "\r\n"
        return (head + "Content-Type: application/scim+json\r\n"
                f"Content-Length: {len(body.encode())}\r\n\r\n{body}")

    chunked = (f"POST /scim/v2/Users HTTP/1.1\r\n{host}{auth}Transfer-Encoding: chunked\r\n"
               "Content-Type: application/scim+json\r\n\r\n"
               f"{len(user.encode()):x}\r\n{user}\r\n0\r\n\r\n")
    return [
        req("GET", "/scim/v2/Users"),
        req("GET", "/scim/v2/Users?filter=" + "userName%20eq%20%22ann%40example.com%22"),
        req("GET", "/scim/v2/Users?filter=name.familyName%20sw%20%22Sm%22%20and%20active%20eq%20true"
                   "&sortBy=userName&startIndex=1&count=10&attributes=userName"),
        req("POST", "/scim/v2/Users", user),
        req("POST", "/scim/v2/Groups", json.dumps(GROUP)),
        req("PUT", "/scim/v2/Users/0190b8a0-0000-7000-8000-000000000001", user),
        req("PATCH", "/scim/v2/Users/0190b8a0-0000-7000-8000-000000000001", patch),
        req("DELETE", "/scim/v2/Users/0190b8a0-0000-7000-8000-000000000001"),
        req("POST", "/scim/v2/Users/.search", json.dumps({"filter": "userName pr", "count": 5})),
        req("POST", "/scim/v2/Bulk", bulk),
        req("GET", "/scim/v2/ServiceProviderConfig") + req("GET", "/scim/v2/Schemas"),
        req("GET", "/scim/v2/ResourceTypes", extra="If-None-Match: W/\"1\"\r\n"),
        req("POST", "/scim/v2/Users", user, "Expect: 100-continue\r\n"),
        chunked,
        "GET /scim/v2/Users HTTP/1.0\r\n\r\n",
    ]


def write(out, target, inputs):
    folder = os.path.join(out, target)
    os.makedirs(folder, exist_ok=True)
    for text in inputs:
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        name = hashlib.sha1(data).hexdigest()
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)


def replica_inputs():
    """fuzz_replica's seeds (tests/fuzz/fuzz_replica.cc): the first byte picks the part."""
    import struct

    def u32(v):
        return struct.pack(">I", v)

    def u64(v):
        return struct.pack(">Q", v)

    def blob(b):
        return u32(len(b)) + b

    hello = (u32(2) + u64(7) + u64(1234) + u32(2) + u64(5) + u64(1) + u64(7) + u64(900) +
             blob(b"rocksdb-wal-2 rocksdb-7.8") + blob(b"n" * 16) + blob(b"m" * 32))
    welcome = u64(7) + u32(1) + u64(1300) + blob(b"m" * 32)
    terms = u64(5) + u64(1) + u64(7) + u64(900)  # (term, first sequence) pairs
    # A WriteBatch of one put into column family 2: sequence and count (little-endian, as
    # RocksDB writes them), then the record.
    batch = struct.pack("<QI", 0, 1) + bytes([5, 2, 3]) + b"key" + bytes([5]) + b"value"
    frames = (u64(41) + u32(len(batch)) + batch) * 2
    stream = bytes([1]) + u32(len(hello)) + hello + bytes([7]) + u32(8) + u64(99)
    sealed = bytes([5, 0, 4]) + b"ping" + bytes([6, 0, 16]) + u64(7) + u64(8)
    # A secretstream header (type 17, 24 bytes), then a sealed message (type 18) that
    # cannot authenticate.
    forged = bytes([17]) + u32(24) + b"h" * 24 + bytes([18]) + u32(40) + b"x" * 40
    closed = 0x80  # the first byte's top bit: the peer closes after its bytes
    return [bytes([0]) + hello, bytes([0]) + welcome, bytes([0]) + terms, bytes([1]) + frames,
            bytes([2]) + stream, bytes([2 | closed]) + stream, bytes([3]) + forged,
            bytes([3 | closed]) + forged, bytes([4]) + sealed]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: fuzz_seeds.py OUT")
    out = sys.argv[1]
    write(out, "fuzz_filter", golden("filter", "filter"))
    write(out, "fuzz_patch", ['{"schemas":["%s"],"Operations":%s}' % (PATCH_OP, p)
                              for p in golden("patch", "patch")])
    write(out, "fuzz_resource", golden("patch", "resource") + [json.dumps(USER), json.dumps(GROUP)])
    write(out, "fuzz_http", http_requests())
    write(out, "fuzz_keys", [])
    write(out, "fuzz_replica", replica_inputs())


if __name__ == "__main__":
    main()
