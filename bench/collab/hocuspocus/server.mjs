#!/usr/bin/env node
// server.mjs — Hocuspocus, the Yjs collaboration backend, in memory (no
// persistence extension): the peer Pacte's co-editing is measured against.
// Listens on 127.0.0.1:$PORT and prints "READY" once it does.

import { Server } from "@hocuspocus/server";

const port = Number(process.env.PORT || 1234);
const server = new Server({ port, address: "127.0.0.1", quiet: true, stopOnSignals: true });
await server.listen();
console.log("READY");
