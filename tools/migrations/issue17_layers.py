#!/usr/bin/env python3
"""Layer moves of issue 17, re-runnable on any tree of SSSonector (idempotent).

  python3 tools/migrations/issue17_layers.py moves     git mv the files of MOVES and fix every relative import of them
  python3 tools/migrations/issue17_layers.py barrels   replace every import of a src/*/mod.ts by imports of the files
                               it re-exports, then git rm the mod.ts files

Run from the repository root; then deno fmt && deno check --frozen src/ tests/ build.ts tools/.
"""
import os
import re
import subprocess
import sys

MOVES = [
    ("src/runtime/error_message.ts", "src/base/error_message.ts"),
    ("src/runtime/file_errors.ts", "src/base/file_errors.ts"),
    ("src/version.ts", "src/base/version.ts"),
    ("src/tun/packet_filter.ts", "src/ip/packet_filter.ts"),
    ("src/transport/material.ts", "src/pki/material.ts"),
    ("src/runtime/reload.ts", "src/reload.ts"),
    ("src/pki/_x509.ts", "src/pki/x509.ts"),
    ("src/pki/_checks.ts", "src/pki/checks.ts"),
]

# Text (comments, test names, docs) that names a moved file by path.
TEXT_MOVES = [
    ("src/tun/packet_filter.ts", "src/ip/packet_filter.ts"),
    ("src/version.ts", "src/base/version.ts"),
    ("src/runtime/reload.ts", "src/reload.ts"),
    ("(see runtime/reload.ts)", "(see reload.ts)"),
]

IMPORT = re.compile(
    r"""(?P<head>(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+|^\s*export\s+(?:type\s+)?(?:\*|\{[^}]*\})\s*from\s*))(?P<q>["'])(?P<spec>\.{1,2}/[^"']+)(?P=q)""",
    re.M,
)


def files():
    for top in ["src", "tests", "tools", "build.ts"]:
        if os.path.isfile(top):
            yield top
            continue
        for root, dirs, names in os.walk(top):
            dirs[:] = [d for d in dirs if d not in (".tools", ".build", "results")]
            for name in names:
                if name.endswith((".ts", ".js")):
                    yield os.path.join(root, name)


def rel(from_file, target):
    spec = os.path.relpath(target, os.path.dirname(from_file))
    return spec if spec.startswith(".") else "./" + spec


def moves():
    moved = {}
    moved_now = set()
    for old, new in MOVES:
        if os.path.exists(old):
            moved_now.add(os.path.normpath(new))
            os.makedirs(os.path.dirname(new), exist_ok=True)
            subprocess.run(["git", "mv", old, new], check=True)
        moved[os.path.normpath(old)] = os.path.normpath(new)
    back = {new: old for old, new in moved.items()}
    for path in files():
        text = open(path).read()
        # Where this file lived before the moves, to resolve its own relative imports.
        before = back[os.path.normpath(path)] if os.path.normpath(path) in moved_now else path

        def fix(match):
            target = os.path.normpath(os.path.join(os.path.dirname(before), match["spec"]))
            target = moved.get(target, target)
            if not os.path.exists(target) and target not in moved.values():
                return match[0]
            return f'{match["head"]}{match["q"]}{rel(path, target)}{match["q"]}'

        new_text = IMPORT.sub(fix, text)
        for old, new in TEXT_MOVES:
            new_text = re.sub(r"(?<![\w])" + re.escape(old), new, new_text)
        if new_text != text:
            open(path, "w").write(new_text)
    for doc in ["native/filter.h", "docs/design/native-shim.md", "build.ts"]:
        if os.path.exists(doc):
            text = open(doc).read()
            new_text = text
            for old, new in TEXT_MOVES:
                new_text = re.sub(r"(?<![\w])" + re.escape(old), new, new_text)
            if new_text != text:
                open(doc, "w").write(new_text)


EXPORT_FROM = re.compile(r"export\s+(type\s+)?(\{[^}]*\}|\*)\s*from\s*[\"']([^\"']+)[\"'];", re.S)
DECLARED = re.compile(
    r"^export\s+(?:declare\s+)?(?:abstract\s+)?(type|interface|const|let|function|class|enum|async\s+function)\s+(\w+)",
    re.M,
)


def barrel_map(mod):
    """name -> (module specifier relative to the barrel's folder, is_type)"""
    names = {}
    folder = os.path.dirname(mod)
    for type_kw, body, spec in EXPORT_FROM.findall(open(mod).read()):
        if body == "*":
            target = os.path.normpath(os.path.join(folder, spec))
            for kind, name in DECLARED.findall(open(target).read()):
                names[name] = (spec, bool(type_kw) or kind in ("type", "interface"))
            continue
        for item in body.strip("{} \n").split(","):
            item = item.strip()
            if not item:
                continue
            is_type = bool(type_kw) or item.startswith("type ")
            name = item.removeprefix("type ").strip()
            names[name] = (spec, is_type)
    return names


IMPORT_MOD = re.compile(
    r"""^import\s+(type\s+)?\{([^}]*)\}\s*from\s*(["'])([^"']*/mod\.ts)\3;\n""", re.M
)


def barrels():
    mods = [os.path.join("src", d, "mod.ts") for d in sorted(os.listdir("src"))]
    mods = [m for m in mods if os.path.exists(m)]
    maps = {os.path.normpath(m): barrel_map(m) for m in mods}
    for path in files():
        if os.path.normpath(path) in maps:
            continue
        text = open(path).read()

        def expand(match):
            all_type, body, q, spec = match.groups()
            mod = os.path.normpath(os.path.join(os.path.dirname(path), spec))
            if mod not in maps:
                return match[0]
            by_target = {}
            for item in body.split(","):
                item = item.strip()
                if not item:
                    continue
                is_type = bool(all_type) or item.startswith("type ")
                bare = item.removeprefix("type ").strip()
                name = bare.split(" as ")[0].strip()
                source, exported_type = maps[mod][name]
                if source.startswith("."):
                    target = rel(path, os.path.normpath(os.path.join(os.path.dirname(mod), source)))
                else:
                    target = source
                by_target.setdefault(target, []).append((bare, is_type))
            lines = []
            for target, items in by_target.items():
                if all(t for _, t in items):
                    names = ", ".join(n for n, _ in items)
                    lines.append(f"import type {{ {names} }} from {q}{target}{q};\n")
                else:
                    names = ", ".join(("type " if t else "") + n for n, t in items)
                    lines.append(f"import {{ {names} }} from {q}{target}{q};\n")
            return "".join(lines)

        new_text = IMPORT_MOD.sub(expand, text)
        if new_text != text:
            open(path, "w").write(new_text)
    for mod in mods:
        subprocess.run(["git", "rm", "-q", "-f", mod], check=True)


if __name__ == "__main__":
    {"moves": moves, "barrels": barrels}[sys.argv[1]]()
