// A dashboard as a browser script would be: the official @microsoft/signalr client, reading OkrGrid's hub.
//
// Settings (environment): OKR_HUB (the hub's URL, e.g. http://127.0.0.1:5080/hubs/scorecard), OKR_TOKEN (an API
// token, sent as the client sends it: ?access_token= on the WebSocket), OKR_CALLS (JSON: [{"method": "...", "args": [...]}]).
// It prints one JSON line per call ({"call": i, "ok": true, "result": ...} or {"call": i, "ok": false, "error": "..."}),
// then "READY", then a line per pushed "changes" entry as JavaScript read it ({"change": {...}, "safe": true|false} —
// whether its version is a safe integer), and exits when a line "STOP" arrives on stdin (or stdin closes).
import * as signalR from "@microsoft/signalr";
import * as readline from "node:readline";

const hub = process.env.OKR_HUB;
const token = process.env.OKR_TOKEN;
const calls = JSON.parse(process.env.OKR_CALLS ?? "[]");

const connection = new signalR.HubConnectionBuilder()
  .withUrl(hub, { accessTokenFactory: () => token })
  .configureLogging(signalR.LogLevel.Warning)
  .build();

connection.on("changes", (batch) => {
  for (const change of batch) {
    const seen = { nodeId: change.nodeId, version: change.version, value: change.score?.value ?? null };
    console.log(JSON.stringify({ change: seen, safe: Number.isSafeInteger(change.version) }));
  }
});
connection.on("scorecard", () => {});

let stopped = false;
async function stop() {
  if (stopped) return;
  stopped = true;
  await connection.stop().catch(() => {});
  process.exit(0);
}

try {
  await connection.start();
} catch (e) {
  console.log(JSON.stringify({ connect: false, error: String(e?.message ?? e) }));
  process.exit(2);
}
for (let i = 0; i < calls.length; i++) {
  try {
    const result = await connection.invoke(calls[i].method, ...(calls[i].args ?? []));
    console.log(JSON.stringify({ call: i, ok: true, result }));
  } catch (e) {
    console.log(JSON.stringify({ call: i, ok: false, error: String(e?.message ?? e) }));
  }
}
console.log("READY");
const input = readline.createInterface({ input: process.stdin });
input.on("line", (line) => { if (line.trim() === "STOP") stop(); });
input.on("close", stop);
