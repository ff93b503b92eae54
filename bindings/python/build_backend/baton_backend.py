"""PEP 517 build backend of the `baton` package.

Every hook is setuptools' (`setuptools.build_meta`) whenever setuptools can
build a wheel in the running environment. setuptools older than 70.1 needs
the separate `wheel` package for that, which a fresh `python3 -m venv` does
not have (Debian 12: pip and setuptools only; Python 3.12 and later: not
even setuptools). `pip install --no-index --no-build-isolation` must work
there too, offline, so in that case the wheel, which holds nothing but the
pure-Python package, is written here with the standard library: the same
files and metadata setuptools would produce.
"""

import ast
import base64
import hashlib
import importlib.util
import os
import re
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "baton"


def _setuptools_can_build_wheels():
    if importlib.util.find_spec("setuptools") is None:
        return False
    if importlib.util.find_spec("wheel") is not None:
        return True
    try:
        return importlib.util.find_spec("setuptools.command.bdist_wheel") \
            is not None
    except ImportError:
        return False


_DELEGATE = _setuptools_can_build_wheels()
if _DELEGATE:
    from setuptools import build_meta as _st


# ---------------------------------------------------------------- metadata

def _project_table():
    """The [project] table of pyproject.toml: tomllib when the interpreter
    has it (3.11+), else the few flat `key = "value"` lines it holds."""
    path = os.path.join(ROOT, "pyproject.toml")
    try:
        import tomllib
    except ImportError:
        tomllib = None
    if tomllib is not None:
        with open(path, "rb") as f:
            return tomllib.load(f).get("project", {})
    table, section = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("["):
                section = line
                continue
            m = re.match(r'^([A-Za-z-]+)\s*=\s*"([^"]*)"', line)
            if section == "[project]" and m:
                table[m.group(1)] = m.group(2)
            m = re.match(r'^license\s*=\s*\{\s*text\s*=\s*"([^"]*)"', line)
            if section == "[project]" and m:
                table["license"] = {"text": m.group(1)}
    return table


def _version():
    with open(os.path.join(ROOT, PACKAGE, "__init__.py"),
              encoding="utf-8") as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__version__"
                for t in node.targets):
            return ast.literal_eval(node.value)
    raise RuntimeError("baton/__init__.py sets no __version__")


def _metadata():
    project = _project_table()
    lines = [
        "Metadata-Version: 2.1",
        "Name: %s" % project.get("name", PACKAGE),
        "Version: %s" % _version(),
    ]
    if project.get("description"):
        lines.append("Summary: %s" % project["description"])
    lic = project.get("license")
    if isinstance(lic, dict) and lic.get("text"):
        lines.append("License: %s" % lic["text"])
    if project.get("requires-python"):
        lines.append("Requires-Python: %s" % project["requires-python"])
    for c in project.get("classifiers", []) or []:
        lines.append("Classifier: %s" % c)
    text = "\n".join(lines) + "\n"
    readme = project.get("readme")
    if isinstance(readme, str) and os.path.exists(os.path.join(ROOT, readme)):
        with open(os.path.join(ROOT, readme), encoding="utf-8") as f:
            body = f.read()
        text += "Description-Content-Type: text/markdown\n\n" + body
    return text


_WHEEL = ("Wheel-Version: 1.0\nGenerator: baton_backend\n"
          "Root-Is-Purelib: true\nTag: py3-none-any\n")


def _dist_info():
    return "%s-%s.dist-info" % (PACKAGE, _version())


def _package_files():
    base = os.path.join(ROOT, PACKAGE)
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith(".py") or name == "py.typed":
                full = os.path.join(dirpath, name)
                yield full, os.path.relpath(full, ROOT).replace(os.sep, "/")


def _write_wheel(wheel_directory, entries):
    """entries: (archive name, bytes). Adds the dist-info and RECORD."""
    dist = _dist_info()
    entries = list(entries) + [
        (dist + "/METADATA", _metadata().encode("utf-8")),
        (dist + "/WHEEL", _WHEEL.encode("utf-8")),
        (dist + "/top_level.txt", (PACKAGE + "\n").encode("utf-8")),
    ]
    record = []
    name = "%s-%s-py3-none-any.whl" % (PACKAGE, _version())
    path = os.path.join(wheel_directory, name)
    # A fixed timestamp keeps the wheel reproducible.
    stamp = (1980, 1, 1, 0, 0, 0)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for arcname, data in entries:
            info = zipfile.ZipInfo(arcname, stamp)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
            digest = base64.urlsafe_b64encode(
                hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
            record.append("%s,sha256=%s,%d" % (arcname, digest, len(data)))
        record.append(dist + "/RECORD,,")
        info = zipfile.ZipInfo(dist + "/RECORD", stamp)
        info.external_attr = 0o644 << 16
        zf.writestr(info, ("\n".join(record) + "\n").encode("utf-8"))
    return name


def _read(path):
    with open(path, "rb") as f:
        return f.read()


# ---------------------------------------------------------------- the hooks

def get_requires_for_build_wheel(config_settings=None):
    if _DELEGATE:
        return _st.get_requires_for_build_wheel(config_settings)
    return []


def get_requires_for_build_sdist(config_settings=None):
    if _DELEGATE:
        return _st.get_requires_for_build_sdist(config_settings)
    return []


def get_requires_for_build_editable(config_settings=None):
    if _DELEGATE:
        return _st.get_requires_for_build_editable(config_settings)
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    if _DELEGATE:
        return _st.prepare_metadata_for_build_wheel(metadata_directory,
                                                    config_settings)
    dist = _dist_info()
    os.makedirs(os.path.join(metadata_directory, dist), exist_ok=True)
    for name, text in (("METADATA", _metadata()), ("WHEEL", _WHEEL)):
        with open(os.path.join(metadata_directory, dist, name), "w",
                  encoding="utf-8") as f:
            f.write(text)
    return dist


def build_wheel(wheel_directory, config_settings=None,
                metadata_directory=None):
    if _DELEGATE:
        return _st.build_wheel(wheel_directory, config_settings,
                               metadata_directory)
    return _write_wheel(wheel_directory,
                        [(arc, _read(full)) for full, arc in _package_files()])


def build_editable(wheel_directory, config_settings=None,
                   metadata_directory=None):
    if _DELEGATE and hasattr(_st, "build_editable"):
        return _st.build_editable(wheel_directory, config_settings,
                                  metadata_directory)
    # An editable install is a .pth file naming the source folder.
    return _write_wheel(wheel_directory,
                        [("%s.pth" % PACKAGE, (ROOT + "\n").encode("utf-8"))])


def prepare_metadata_for_build_editable(metadata_directory,
                                        config_settings=None):
    if _DELEGATE and hasattr(_st, "prepare_metadata_for_build_editable"):
        return _st.prepare_metadata_for_build_editable(metadata_directory,
                                                       config_settings)
    return prepare_metadata_for_build_wheel(metadata_directory,
                                            config_settings)


def build_sdist(sdist_directory, config_settings=None):
    if importlib.util.find_spec("setuptools") is None:
        raise RuntimeError("building an sdist of baton needs setuptools")
    from setuptools import build_meta
    return build_meta.build_sdist(sdist_directory, config_settings)
