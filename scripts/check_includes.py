#!/usr/bin/env python3
"""Checks the include graph of the project's modules.

A node is one concept: a .h/.cc pair of one directory (core/filter/filter_plan.h and
core/filter/filter_plan.cc are the node core/filter/filter_plan). An edge A -> B means a
file of A includes B's header. The check fails when
  - the nodes of core/ form a cycle (a loop makes two concepts one in all but name);
  - a part of core includes a part above it; the parts, ground first, are
      base < resource < filter < tenancy < usecase < scim
    (resource never includes filter, filter never a use case, tenancy never a use case;
    core/CMakeLists.txt links them in this order);
  - a module breaks the dependency rule net -> core <- storage: core includes nothing of
    net/ or storage/, storage nothing of net/ and of core only core/base (the Store
    interface and its types), net nothing of storage/.
Only tools/, tests/ and bench/ may wire the modules together.

  scripts/check_includes.py [--dot]   (--dot prints core's graph for Graphviz)
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
PARTS = ["base", "resource", "filter", "tenancy", "usecase", "scim"]
MODULES = ("core", "net", "storage")


def module_of(node):
    return node.split("/")[0]


def part_of(node):
    """The part of a core node ("core/filter/sort" -> "filter"), or None."""
    bits = node.split("/")
    return bits[1] if bits[0] == "core" and len(bits) == 3 else None


def nodes_and_edges():
    edges = {}
    for module in MODULES:
        for dirpath, _, names in sorted(os.walk(os.path.join(ROOT, module))):
            for name in sorted(names):
                stem, ext = os.path.splitext(name)
                if ext not in (".h", ".cc"):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, stem), ROOT)
                with open(os.path.join(dirpath, name), encoding="utf-8") as f:
                    text = f.read()
                out = edges.setdefault(rel, set())
                for inc in INCLUDE.findall(text):
                    target = os.path.splitext(inc)[0]
                    if target != rel and module_of(target) in MODULES:
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


def rule_break(node, target):
    """Why the edge node -> target is not allowed, or None."""
    src, dst = module_of(node), module_of(target)
    if src == "core" and dst != "core":
        return "core includes nothing of net/ or storage/"
    if src == "storage" and (dst == "net" or (dst == "core" and part_of(target) != "base")):
        return "storage includes of core only core/base"
    if src == "net" and dst == "storage":
        return "net includes nothing of storage/"
    if src == "core" and dst == "core":
        a, b = part_of(node), part_of(target)
        if a not in PARTS or b not in PARTS:
            return "every file of core belongs to one of " + ", ".join(PARTS)
        if PARTS.index(b) > PARTS.index(a):
            return f"core/{a} includes core/{b}, a part above it ({' < '.join(PARTS)})"
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
        for t in sorted(targets):
            why = rule_break(node, t)
            if why:
                print(f"check_includes: {node} includes {t}: {why}")
                failed = True
    cycle = find_cycle(edges, lambda n: n.startswith("core/"))
    if cycle:
        print("check_includes: include loop in core: " + " -> ".join(cycle))
        failed = True
    if not failed:
        n = sum(1 for n in edges if n.startswith("core/"))
        print(f"check_includes: {n} core nodes in {len(PARTS)} parts, no loop, no rule broken")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
