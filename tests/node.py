"""npm packages for tests that need JavaScript (GraphiQL's assets, federation composers).

Installed once into ``.cache/node/<name>`` (ignored by git) and reused; a test
skips with the reason when ``node``/``npm`` is missing or the registry cannot
be reached, so the suite still runs on a machine without Node.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from hub.web.graphiql_assets import Asset, AssetsUnavailable, fetch

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


def npm_assets(name: str, assets: list[Asset]) -> Path:
    """A folder of ``<package>@<version>/<path>`` holding ``assets`` as npm publishes them,
    filled once by the hub's own ``hub graphiql fetch`` (``hub.web.graphiql_assets.fetch``)."""
    folder = _folder(name, [asset.relative for asset in assets])
    done = folder / ".installed"
    if done.exists():
        return folder
    npm = _npm()
    try:
        fetch(folder, assets, npm=npm)
    except AssetsUnavailable as exc:
        pytest.skip(f"npm could not fetch GraphiQL's assets: {exc}")
    done.touch()
    return folder
