// A webhook receiver for bench/webhooks, on 127.0.0.1 only.
//
//   node bench/webhook-receiver.mjs PORT SECRET
//
// Answers every POST with 204 after checking its Standard Webhooks
// signature (v1, base64 of HMAC-SHA256 of `id.timestamp.body` under the key
// of SECRET, `whsec_<base64>`). GET /stats answers what it received:
//   {count, verified, first_ms, last_ms, seen: {<data.id>: [ms, ...]}}
// where seen holds the receiving times (Unix milliseconds) of each
// resource's messages in order, and DELETE /stats forgets them.
import { createHmac } from "node:crypto";
import { createServer } from "node:http";

const [port, secret] = process.argv.slice(2);
const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");

let stats;
const reset = () => {
  stats = { count: 0, verified: 0, first_ms: null, last_ms: null, seen: {} };
};
reset();

createServer((req, res) => {
  if (req.method === "GET") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(stats));
    return;
  }
  if (req.method === "DELETE") {
    reset();
    res.writeHead(204).end();
    return;
  }
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const now = Date.now();
    const body = Buffer.concat(chunks);
    const id = req.headers["webhook-id"];
    const ts = req.headers["webhook-timestamp"];
    const expected =
      "v1," + createHmac("sha256", key).update(`${id}.${ts}.`).update(body).digest("base64");
    const signatures = (req.headers["webhook-signature"] || "").split(" ");
    stats.count += 1;
    if (signatures.includes(expected)) stats.verified += 1;
    stats.first_ms ??= now;
    stats.last_ms = now;
    try {
      const resource = JSON.parse(body).data.id;
      (stats.seen[resource] ??= []).push(now);
    } catch {
      // not one of ours: counted, not placed
    }
    res.writeHead(204).end();
  });
}).listen(Number(port), "127.0.0.1");
