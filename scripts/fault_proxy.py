#!/usr/bin/env python3
"""A TCP proxy that can cut nodes off the network, for partition tests (loopback only).

    fault_proxy.py --cut-file FILE ROUTE...

ROUTE is LISTEN_PORT:TARGET_PORT:NODES: connections to 127.0.0.1:LISTEN_PORT are passed to
127.0.0.1:TARGET_PORT while no node of NODES (comma-separated ids) is listed in FILE
(whitespace-separated ids, read every 50 ms; a missing file cuts nothing). While a route
is cut it behaves like a network that drops every packet: nothing moves on its open
connections (neither side is read, so the senders' buffers fill and their writes stall),
and a new connection is accepted but reaches nothing. When the cut heals, the held bytes
flow again and held connections are made, as after a short outage. Runs until killed.
"""
import argparse
import asyncio
import sys


class Route:
    def __init__(self, spec):
        listen, target, nodes = spec.split(":")
        self.listen = int(listen)
        self.target = int(target)
        self.nodes = {n for n in nodes.split(",") if n}
        self.open = asyncio.Event()
        self.open.set()

    def update(self, cut):
        if self.nodes & cut:
            self.open.clear()
        else:
            self.open.set()

    async def pump(self, reader, writer):
        try:
            while True:
                await self.open.wait()
                data = await reader.read(65536)
                if not data:
                    break
                await self.open.wait()
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def serve(self, client_reader, client_writer):
        await self.open.wait()
        try:
            target_reader, target_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(self.pump(client_reader, target_writer),
                             self.pump(target_reader, client_writer))


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cut-file", required=True)
    parser.add_argument("routes", nargs="+")
    args = parser.parse_args()
    routes = [Route(spec) for spec in args.routes]
    for r in routes:
        await asyncio.start_server(r.serve, "127.0.0.1", r.listen)
    print("fault_proxy: %d routes" % len(routes), flush=True)
    while True:
        try:
            with open(args.cut_file) as f:
                cut = set(f.read().split())
        except OSError:
            cut = set()
        for r in routes:
            r.update(cut)
        await asyncio.sleep(0.05)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
