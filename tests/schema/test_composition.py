"""The hub's subgraph composes with another subgraph under both federation composers.

Apollo's (``@apollo/composition``, what Apollo Router and GraphOS use) and
The Guild's (``@theguild/federation-composition``, what Hive Gateway and
GraphQL Mesh use) each compose the SDL the hub serves at ``_service`` with a
small second subgraph extending ``Case``. Needs ``node`` and ``npm``; the
packages are installed once into ``.cache/node`` and reused.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path

from tests.node import npm_install
from tests.support import LiveHub

COMPOSERS = ["@apollo/composition@2", "@theguild/federation-composition@0", "graphql@16"]

# A second subgraph, as a court's hearing office might run: it adds hearings to the hub's Case.
RECEIPTS = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])

type Case @key(fields: "number") {
  number: String!
  hearings: [Hearing!]!
}

type Hearing {
  room: String!
  heldOn: String!
}

type Query {
  hearingsByRoom(room: String!): [Hearing!]!
}
"""

COMPOSE_JS = """
const fs = require("fs");
const { parse } = require("graphql");
const apollo = require("@apollo/composition");
const guild = require("@theguild/federation-composition");
const [hubSdl, otherSdl] = process.argv.slice(2).map((f) => fs.readFileSync(f, "utf8"));
const services = () => [
  { name: "hub", url: "http://hub/graphql", typeDefs: parse(hubSdl) },
  { name: "receipts", url: "http://receipts/graphql", typeDefs: parse(otherSdl) },
];
const messages = (errors) => (errors || []).map((e) => e.message);
const a = apollo.composeServices(services());
const g = guild.composeServices(services());
console.log(JSON.stringify({
  apollo: { errors: messages(a.errors), supergraph: a.supergraphSdl || "" },
  guild: { errors: messages(g.errors), supergraph: g.supergraphSdl || "" },
}));
"""


async def test_subgraph_composes_with_apollo_and_the_guild(hub: LiveHub, tmp_path: Path) -> None:
    folder = npm_install("composition", COMPOSERS)
    token = await hub.token("admin", "*")
    sdl = (await hub.gql("{ _service { sdl } }", token=token))["data"]["_service"]["sdl"]
    assert '@link(url: "https://specs.apollo.dev/federation/v2.9"' in sdl

    (tmp_path / "hub.graphql").write_text(sdl)
    (tmp_path / "receipts.graphql").write_text(RECEIPTS)
    script = folder / "compose.js"
    script.write_text(COMPOSE_JS)
    node = shutil.which("node")
    assert node is not None
    run = await asyncio.to_thread(
        subprocess.run,
        [node, str(script), str(tmp_path / "hub.graphql"), str(tmp_path / "receipts.graphql")],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    for composer in ("apollo", "guild"):
        assert result[composer]["errors"] == [], (composer, result[composer]["errors"])
        supergraph = result[composer]["supergraph"]
        # one Case, owned by both subgraphs, with the fields of each
        assert "hearings: [Hearing!]!" in supergraph and "amountClaimed" in supergraph
