"""The lock file every install uses: ``requirements.lock``, compiled from pyproject.toml.

    python scripts/lock.py write   # `make lock`: resolve again, with hashes (needs uv)
    python scripts/lock.py check   # `make test`: fail when pyproject.toml changed since

The lock pins the whole set (``dependencies`` plus the ``test`` extra) for
Python 3.11 on every platform, with sha256 hashes, so an install from it is
the tested one whatever newer releases the index holds. Its header records a
hash of the requirements it was compiled from: ``check`` compares that hash,
needs no network, and says to run ``make lock`` when they differ. ``write``
keeps the versions already locked where they still fit (uv reads the old file
as preferences), so adding one dependency moves only what it must.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
LOCK = ROOT / "requirements.lock"
EXTRAS = ("test",)
PYTHON = "3.11"
MARK = "# inputs-sha256: "


def inputs_digest() -> str:
    """A hash of what the lock is compiled from, insensitive to formatting."""
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    inputs = {
        "requires-python": project.get("requires-python"),
        "dependencies": sorted(project.get("dependencies", [])),
        "extras": {
            extra: sorted(project.get("optional-dependencies", {}).get(extra, []))
            for extra in EXTRAS
        },
        "python": PYTHON,
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def locked_digest() -> str | None:
    if not LOCK.exists():
        return None
    for line in LOCK.read_text().splitlines():
        if line.startswith(MARK):
            return line.removeprefix(MARK).strip()
    return None


def write() -> int:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        print("uv is needed to compile the lock: pip install uv", file=sys.stderr)
        return 2
    command = [uv, "pip", "compile", "pyproject.toml", "--quiet", "--universal"]
    command += ["--python-version", PYTHON, "--generate-hashes", "--no-header"]
    command += [arg for extra in EXTRAS for arg in ("--extra", extra)]
    command += ["--output-file", str(LOCK.relative_to(ROOT))]
    subprocess.run(command, cwd=ROOT, check=True)
    body = LOCK.read_text()
    header = (
        "# The tested dependency set; regenerate with `make lock` after editing\n"
        "# pyproject.toml's dependencies (never by hand).\n"
        f"{MARK}{inputs_digest()}\n"
    )
    LOCK.write_text(header + body)
    print(f"wrote {LOCK.name}")
    return 0


def check() -> int:
    locked = locked_digest()
    if locked is None:
        print(f"{LOCK.name} is missing: run `make lock`", file=sys.stderr)
        return 1
    if locked != inputs_digest():
        print(
            f"{LOCK.name} is out of date with pyproject.toml's dependencies: run `make lock`"
            " and commit the result",
            file=sys.stderr,
        )
        return 1
    print(f"{LOCK.name} is current with pyproject.toml")
    return 0


def main(argv: list[str]) -> int:
    commands = {"write": write, "check": check}
    if len(argv) != 1 or argv[0] not in commands:
        print(f"usage: {Path(__file__).name} write|check", file=sys.stderr)
        return 2
    return commands[argv[0]]()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
