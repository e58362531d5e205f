#!/usr/bin/env python3
"""Checks the include graph of the project's modules.

A node is one concept: a .h/.cc pair of one directory (core/filter_plan.h and
core/filter_plan.cc are the node core/filter_plan). An edge A -> B means a file of A
includes B's header. The check fails when
  - the nodes of core/ form a cycle (a loop makes two concepts one in all but name), or
  - a module breaks the dependency rule net -> core <- storage (core includes nothing of
    net/ or storage/; storage nothing of net/; net nothing of storage/).
Only tools/, tests/ and bench/ may wire the modules together.

  scripts/check_includes.py [--dot]   (--dot prints core's graph for Graphviz)
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
FORBIDDEN = {"core": {"net", "storage"}, "storage": {"net"}, "net": {"storage"}}


def nodes_and_edges():
    edges = {}
    for module in ("core", "net", "storage"):
        for name in sorted(os.listdir(os.path.join(ROOT, module))):
            stem, ext = os.path.splitext(name)
            if ext not in (".h", ".cc"):
                continue
            node = f"{module}/{stem}"
            with open(os.path.join(ROOT, module, name), encoding="utf-8") as f:
                text = f.read()
            out = edges.setdefault(node, set())
            for inc in INCLUDE.findall(text):
                target = os.path.splitext(inc)[0]
                if target != node and target.split("/")[0] in ("core", "net", "storage"):
                    out.add(target)
    return edges


def find_cycle(edges, keep):
    """A cycle among nodes accepted by `keep`, as a list, or None (iterative DFS)."""
    color = {}
    for root in sorted(n for n in edges if keep(n)):
        if color.get(root):
            continue
        stack = [(root, iter(sorted(t for t in edges.get(root, ()) if keep(t))))]
        path = [root]
        color[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                color[node] = 2
                stack.pop()
                path.pop()
                continue
            if color.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if not color.get(nxt):
                color[nxt] = 1
                path.append(nxt)
                stack.append((nxt, iter(sorted(t for t in edges.get(nxt, ()) if keep(t)))))
    return None


def main():
    edges = nodes_and_edges()
    if "--dot" in sys.argv:
        print("digraph core {")
        for a in sorted(edges):
            if a.startswith("core/"):
                for b in sorted(edges[a]):
                    print(f'  "{a[5:]}" -> "{b[5:]}";')
        print("}")
        return 0
    failed = False
    for node, targets in sorted(edges.items()):
        module = node.split("/")[0]
        for t in sorted(targets):
            if t.split("/")[0] in FORBIDDEN.get(module, ()):
                print(f"check_includes: {node} includes {t}: breaks net -> core <- storage")
                failed = True
    cycle = find_cycle(edges, lambda n: n.startswith("core/"))
    if cycle:
        print("check_includes: include loop in core: " + " -> ".join(cycle))
        failed = True
    if not failed:
        print(f"check_includes: {sum(1 for n in edges if n.startswith('core/'))} core nodes, no loop")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
