"""npm packages for tests that need JavaScript (GraphiQL's assets, federation composers).

Installed once into ``.cache/node/<name>`` (ignored by git) and reused; a test
skips with the reason when ``node``/``npm`` is missing or the registry cannot
be reached, so the suite still runs on a machine without Node.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

CACHE = Path(__file__).resolve().parents[1] / ".cache" / "node"
NPM_TIMEOUT_S = 300


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        pytest.skip("node and npm are not installed: apt-get install nodejs npm to run this test")
    return npm


def _folder(name: str, specs: list[str]) -> Path:
    digest = hashlib.sha256("\n".join(sorted(specs)).encode()).hexdigest()[:12]
    return CACHE / f"{name}-{digest}"


def npm_install(name: str, specs: list[str]) -> Path:
    """``node_modules``' parent folder holding ``specs`` (``"graphql@16"`` ...), installed once."""
    folder = _folder(name, specs)
    done = folder / ".installed"
    if done.exists():
        return folder
    npm = _npm()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text('{"private": true}\n')
    result = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--silent", *specs],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=NPM_TIMEOUT_S,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"npm could not install {' '.join(specs)}: {result.stderr.strip()[-300:]}")
    done.touch()
    return folder


def npm_unpack(name: str, specs: list[str]) -> Path:
    """Each package's published files, unpacked without dependencies, under
    ``<folder>/<package name>/`` (what a CDN serves at ``/<name>@<version>/``)."""
    folder = _folder(name, specs)
    done = folder / ".installed"
    if done.exists():
        return folder
    npm = _npm()
    tarballs = folder / "tarballs"
    tarballs.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [npm, "pack", "--silent", "--pack-destination", str(tarballs), *specs],
        capture_output=True,
        text=True,
        timeout=NPM_TIMEOUT_S,
        check=False,
        cwd=folder,
    )
    if result.returncode != 0:
        pytest.skip(f"npm could not fetch {' '.join(specs)}: {result.stderr.strip()[-300:]}")
    for spec in specs:
        package = spec.rsplit("@", 1)[0]
        tgz = tarballs / (
            package.lstrip("@").replace("/", "-") + "-" + spec.rsplit("@", 1)[1] + ".tgz"
        )
        target = folder / package
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tgz) as archive:
            for member in archive.getmembers():
                if not member.isfile():
                    continue
                relative = Path(*Path(member.name).parts[1:])  # drop the "package/" prefix
                source = archive.extractfile(member)
                assert source is not None
                path = target / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(source.read())
    done.touch()
    return folder
