#!/usr/bin/env python3
"""The layering check: a unit of lib/ uses only its own layer and the
layers below it, by its #includes and by the symbols its object file
needs; lib/host and lib/lambda, libraries of their own, include only
public headers. Usage: check_layers.py LIB_SOURCE_DIR STATIC_LIBRARY LAYER...

The layers, lowest first, come from lib/meson.build's layer_order."""
import os
import re
import subprocess
import sys

LAYERS = []
PUBLIC = {'baton.h', 'baton_version.h'}


def layer_of_path(rel):
    top = rel.split('/', 1)[0]
    return LAYERS.index(top) if top in LAYERS else None


# Libraries built on libbaton's public API only (the durable host, the
# Lambda invoker): they include public headers and their own files.
SECOND_LIBRARIES = ('host', 'lambda')
PUBLIC_SECOND = {'baton_host.h', 'baton_lambda.h'}


def check_host(libdir, rel, path):
    """A second library includes the public headers and its own files,
    nothing of libbaton's layers."""
    problems = []
    own = set(os.listdir(os.path.join(libdir, rel.split('/', 1)[0])))
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
            if m and m.group(1) not in PUBLIC | PUBLIC_SECOND | own:
                problems.append(f'{rel}:{n}: includes "{m.group(1)}", '
                                'which is not public')
    return problems


def check_includes(libdir):
    problems = []
    for root, _, files in os.walk(libdir):
        for name in sorted(files):
            if not name.endswith(('.c', '.h', '.def')):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, libdir)
            if rel.split('/', 1)[0] in SECOND_LIBRARIES:
                problems += check_host(libdir, rel, path)
                continue
            mine = layer_of_path(rel)
            if mine is None:
                problems.append(f'{rel}: not inside a layer folder')
                continue
            with open(path, encoding='utf-8') as f:
                for n, line in enumerate(f, 1):
                    m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                    if not m or m.group(1) in PUBLIC:
                        continue
                    inc = m.group(1)
                    theirs = layer_of_path(inc)
                    if theirs is None:
                        problems.append(f'{rel}:{n}: includes "{inc}", '
                                        'which names no layer')
                    elif theirs > mine:
                        problems.append(
                            f'{rel}:{n}: {LAYERS[mine]} includes "{inc}" '
                            f'of the higher layer {LAYERS[theirs]}')
    return problems


def nm_lines(nm, lib, *flags):
    out = subprocess.run([nm, '-A', *flags, lib], check=True,
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        # "lib.a:member.o:                 U symbol" or with an address
        parts = line.split(':')
        if len(parts) < 3:
            continue
        member = parts[-2]
        fields = parts[-1].split()
        if len(fields) >= 2:
            yield member, fields[-2], fields[-1]


def layer_of_member(member):
    # Meson names objects after their source path: kernel_txn.c.o
    for i, name in enumerate(LAYERS):
        if member.startswith(name + '_'):
            return i
    return None


def check_symbols(lib, nm):
    problems = []
    defined = {}
    for member, kind, sym in nm_lines(nm, lib, '--defined-only'):
        if kind.upper() in 'TDBRVWG' and kind.isupper():
            layer = layer_of_member(member)
            if layer is None:
                problems.append(f'{member}: object of no layer')
            else:
                defined[sym] = (layer, member)
    if not defined:
        problems.append(f'{lib}: no symbols found (is it the static '
                        'library?)')
    for member, kind, sym in nm_lines(nm, lib, '--undefined-only'):
        mine = layer_of_member(member)
        if mine is None or sym not in defined:
            continue
        theirs, where = defined[sym]
        if theirs > mine:
            problems.append(f'{member}: {LAYERS[mine]} uses {sym} from '
                            f'{where}, of the higher layer '
                            f'{LAYERS[theirs]}')
    return problems


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    libdir, lib = sys.argv[1], sys.argv[2]
    LAYERS.extend(sys.argv[3:])
    nm = os.environ.get('NM', 'nm')
    problems = check_includes(libdir) + check_symbols(lib, nm)
    for p in problems:
        print(p)
    if problems:
        print(f'{len(problems)} layering problem(s)')
        return 1
    print('layers: every unit uses only its own layer and those below')
    return 0


if __name__ == '__main__':
    sys.exit(main())
