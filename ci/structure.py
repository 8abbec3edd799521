#!/usr/bin/env python3
"""Checks that a generated app's dependencies point one way (ci/combos.sh runs it on each
combination; `python3 ci/structure.py APP_DIR` alone prints what it finds):

- the engines (the packages under crates/) depend on no package of the workspace, and none of
  their files names `AppState`;
- in src/, `AppState` is named only by the composition root (app.rs, cli.rs, routes.rs), the
  handlers and extractors (routes/, page.rs), and the registrations that hand the app's state to
  an engine with the code run for it (admin.rs and admin/, tasks.rs and tasks/);
- the modules of src/ form no cycle once the handlers' imports of the app's state are set aside.

A module is a file of src/; an import is a `crate::…` path in a `use` tree or in the code (tests
and comments left out), read as the longest module path it starts with.
"""

import json
import os
import re
import subprocess
import sys

STATE_NAMERS = ("app", "cli", "routes", "page", "admin", "tasks")


def modules(src):
    found = {}
    for folder, _, files in os.walk(src):
        for name in files:
            if name.endswith(".rs"):
                path = os.path.relpath(os.path.join(folder, name), src)[:-3]
                module = path.replace(os.sep, "::")
                if module not in ("lib", "main"):
                    found[module] = os.path.join(folder, name)
    return found


def code_of(path):
    text = open(path, encoding="utf-8").read()
    cut = text.find("#[cfg(test)]")
    if cut >= 0:
        text = text[:cut]
    return re.sub(r"//[^\n]*", "", text)


def split_top(tree):
    items, depth, current = [], 0, ""
    for ch in tree:
        depth += ch == "{"
        depth -= ch == "}"
        if ch == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += ch
    items.append(current)
    return [item.strip() for item in items if item.strip()]


def expand(prefix, tree):
    tree = tree.strip()
    if tree.startswith("{"):
        return [path for item in split_top(tree[1:-1]) for path in expand(prefix, item)]
    nested = re.match(r"([\w:]*?)::(\{.*\})$", tree, re.S)
    if nested:
        return expand(prefix + nested.group(1) + "::", nested.group(2))
    tree = re.sub(r"\s+as\s+\w+$", "", tree)
    return [(prefix + tree).replace("::self", "")]


def imports(code):
    paths = []
    for use in re.finditer(r"\buse\s+crate::(\{.*?\}|[^;]*);", code, re.S):
        paths += expand("", use.group(1))
    paths += re.findall(r"(?<![\w:])crate::([A-Za-z_][\w:]*)", code)
    return paths


def owner(path, known):
    parts = path.split("::")
    for n in range(len(parts), 0, -1):
        candidate = "::".join(parts[:n])
        if candidate in known:
            return candidate
    return None


def cycles(edges):
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in edges:
        if v not in index:
            visit(v)
    return found


def main(app):
    problems = []

    metadata = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--no-deps", "--format-version", "1"],
            cwd=app, check=True, capture_output=True, text=True,
        ).stdout
    )
    engines_dir = os.path.realpath(os.path.join(app, "crates")) + os.sep
    engines = [p for p in metadata["packages"] if os.path.realpath(p["manifest_path"]).startswith(engines_dir)]
    for engine in engines:
        inward = [d["name"] for d in engine["dependencies"] if d.get("path")]
        print(f"engine {engine['name']}: depends on {inward or 'no package of the workspace'}")
        if inward:
            problems.append(f"the engine {engine['name']} depends on {', '.join(inward)}")
        folder = os.path.dirname(engine["manifest_path"])
        for root, _, files in os.walk(folder):
            for name in files:
                if name.endswith(".rs") and "AppState" in open(os.path.join(root, name), encoding="utf-8").read():
                    problems.append(f"{os.path.relpath(os.path.join(root, name), app)} (an engine) names AppState")

    src = os.path.join(app, "src")
    known = modules(src)
    edges = {module: set() for module in known}
    for module, path in known.items():
        code = code_of(path)
        top = module.split("::")[0]
        if re.search(r"\bAppState\b", code) and top not in STATE_NAMERS:
            problems.append(f"src/{path[len(src) + 1:]} names AppState: take the state it needs instead")
        for imported in imports(code):
            target = owner(imported, known)
            if target is None or target == module or module.startswith(target + "::"):
                continue
            # A handler reaching the app's state is the one dependency on it that is expected.
            if target == "app" and top in STATE_NAMERS:
                continue
            edges[module].add(target)
    found = cycles(edges)
    print(f"src/: {len(known)} modules, {sum(map(len, edges.values()))} imports besides the handlers' "
          f"of the app's state, {len(found)} cycles")
    for component in found:
        links = [f"{a} -> {b}" for a in component for b in sorted(edges[a]) if b in component]
        problems.append(f"a cycle of {len(component)} modules: {'; '.join(links)}")

    for problem in problems:
        print(f"FAIL: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: ci/structure.py APP_DIR")
    sys.exit(main(sys.argv[1]))
