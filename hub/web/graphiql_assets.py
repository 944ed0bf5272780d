"""GraphiQL's scripts and styles, served by the hub where browsers cannot reach unpkg.com.

strawberry's GraphiQL page loads React, GraphiQL and its explorer plugin from
``https://unpkg.com/<package>@<version>/<path>``, each tag with a
subresource-integrity hash. With ``graphiql_assets_dir`` set, the hub serves that
folder at ``/graphiql-assets/`` and the page names those files instead. The folder
is laid out as unpkg is (``<package>@<version>/<path>``,
``@scope/name@version/path`` for scoped packages) and holds the published npm
files byte for byte, so the hashes still hold.

``hub graphiql fetch DIR`` fills such a folder: ``npm pack`` fetches each package
the page names from the registry (or the mirror npm is configured for), only the
files the page loads are unpacked, and each is checked against the page's hash.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import structlog
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

log = structlog.get_logger("hub.graphiql")

MOUNT = "/graphiql-assets"
CDN = re.compile(r"https://unpkg\.com/((?:@[^/\"]+/)?[^@/\"]+)@([^/\"]+)/([^\"]+)")
_TAG = re.compile(r"<(?:script|link)\b[^>]*>")
_INTEGRITY = re.compile(r'\bintegrity="([^"]+)"')
NPM_TIMEOUT_S = 300


class AssetsUnavailable(Exception):
    """npm is missing or could not fetch a package (no registry access, unknown version)."""


class AssetMismatch(Exception):
    """A fetched file is missing from its package or differs from what the page expects."""


@dataclass(frozen=True)
class Asset:
    package: str  # "react", "@graphiql/plugin-explorer"
    version: str
    path: str  # inside the package, e.g. "umd/react.production.min.js"
    integrity: str | None = None  # the page's "sha384-..." for it

    @property
    def spec(self) -> str:
        return f"{self.package}@{self.version}"

    @property
    def relative(self) -> str:
        """Where it lives under the assets folder (and under unpkg.com)."""
        return f"{self.spec}/{self.path}"

    def matches(self, data: bytes) -> bool:
        """Whether ``data`` has one of the page's hashes (always, when the page names none)."""
        if not self.integrity:
            return True
        for expected in self.integrity.split():
            algorithm, _, digest = expected.partition("-")
            if algorithm in ("sha256", "sha384", "sha512"):
                actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
                if actual == digest.split("?")[0]:
                    return True
        return False


def ide_html() -> str:
    """The GraphiQL page as strawberry draws it (naming unpkg.com)."""
    from strawberry.http.ides import get_graphql_ide_html

    return get_graphql_ide_html(graphql_ide="graphiql")


def page_assets(html: str) -> list[Asset]:
    """Every unpkg.com file ``html``'s script and link tags load, with its hash."""
    assets: dict[str, Asset] = {}
    for tag in _TAG.findall(html):
        found = CDN.search(tag)
        if found is None:
            continue
        integrity = _INTEGRITY.search(tag)
        package, version, path = found.groups()
        asset = Asset(package, version, path, integrity.group(1) if integrity else None)
        assets.setdefault(asset.relative, asset)
    return sorted(assets.values(), key=lambda a: a.relative)


def rewrite(html: str, base: str) -> str:
    """``html`` naming ``<base>/<pkg>@<ver>/<path>`` for ``https://unpkg.com/<pkg>@<ver>/<path>``."""
    return CDN.sub(lambda m: f"{base}/{m.group(1)}@{m.group(2)}/{m.group(3)}", html)


def missing(folder: Path, assets: Iterable[Asset]) -> list[Asset]:
    """The assets ``folder`` lacks or holds with other bytes than the page expects."""
    wrong = []
    for asset in assets:
        file = folder / asset.relative
        if not file.is_file() or not asset.matches(file.read_bytes()):
            wrong.append(asset)
    return wrong


def fetch(folder: Path, assets: Sequence[Asset], *, npm: str | None = None) -> list[Path]:
    """Fill ``folder`` with ``assets`` from their npm packages; the files written.

    Raises ``AssetsUnavailable`` when npm cannot fetch the packages and
    ``AssetMismatch`` when a package lacks a file or its bytes fail the page's hash
    (nothing of that package is left behind then).
    """
    npm = npm or shutil.which("npm")
    if npm is None:
        raise AssetsUnavailable("npm is not installed (apt-get install npm)")
    specs = sorted({asset.spec for asset in assets})
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="hub-graphiql-") as tmp:
        result = subprocess.run(
            [npm, "pack", "--json", "--pack-destination", tmp, *specs],
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT_S,
            check=False,
        )
        if result.returncode != 0:
            raise AssetsUnavailable(
                f"npm pack {' '.join(specs)} failed: {result.stderr.strip()[-500:]}"
            )
        tarballs = {
            f"{p['name']}@{p['version']}": Path(tmp) / p["filename"] for p in _packed(result.stdout)
        }
        for spec in specs:
            if spec not in tarballs:
                raise AssetsUnavailable(f"npm pack did not fetch {spec}")
            wanted = [a for a in assets if a.spec == spec]
            written += _unpack(tarballs[spec], folder / spec, wanted)
    return written


def _packed(stdout: str) -> list[dict[str, str]]:
    try:
        packed = json.loads(stdout)
    except ValueError as exc:
        raise AssetsUnavailable(f"npm pack printed no JSON: {stdout.strip()[-300:]}") from exc
    return packed if isinstance(packed, list) else [packed]


def _unpack(tarball: Path, target: Path, wanted: Sequence[Asset]) -> list[Path]:
    """Only ``wanted`` of the package, checked first, then written under ``target``."""
    contents: dict[str, bytes] = {}
    with tarfile.open(tarball) as archive:
        for member in archive.getmembers():
            if not member.isfile():
                continue
            # every published tarball has one top folder, usually "package/"
            inside = PurePosixPath(*PurePosixPath(member.name).parts[1:]).as_posix()
            if any(asset.path == inside for asset in wanted):
                source = archive.extractfile(member)
                assert source is not None
                contents[inside] = source.read()
    for asset in wanted:
        if asset.path not in contents:
            raise AssetMismatch(f"{asset.spec} has no file {asset.path}")
        if not asset.matches(contents[asset.path]):
            raise AssetMismatch(f"{asset.relative} does not match the page's {asset.integrity}")
    written = []
    for asset in wanted:
        path = target / asset.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(contents[asset.path])
        written.append(path)
    return written


def asset_routes(folder: Path | None) -> list[BaseRoute]:
    """``/graphiql-assets/`` when a folder is set: public static files, no token."""
    if folder is None:
        return []
    lacking = missing(folder, page_assets(ide_html()))
    if lacking:
        log.warning(
            "graphiql_assets_dir lacks files the GraphiQL page loads: run `hub graphiql fetch`",
            folder=str(folder),
            missing=[a.relative for a in lacking],
        )
    return [Mount(MOUNT, app=StaticFiles(directory=folder, check_dir=False), name="graphiql")]
