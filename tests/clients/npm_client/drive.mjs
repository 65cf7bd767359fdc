// Drives `conformance serve` with the official npm SDK (@deepgram/sdk): every call a client
// makes, each answer kept as JSON with the SDK type it must fit (tests/test_clients_npm.py
// type-checks them with tsc --strict). Configuration comes from the environment.
import { readFileSync, writeFileSync } from "node:fs";
import { DeepgramClient } from "@deepgram/sdk";

const env = process.env;
const base = env.CONFORMANCE_URL;
const project = env.CONFORMANCE_PROJECT;
const client = new DeepgramClient({
  apiKey: env.CONFORMANCE_KEY,
  environment: {
    base,
    production: base.replace("http", "ws"),
    agent: base.replace("http", "ws"),
    agentRest: base,
  },
});
const wav = readFileSync(env.CONFORMANCE_WAV);
const bodies = {};
const failures = {};

async function call(name, type, make) {
  try {
    bodies[name] = { type, body: JSON.parse(JSON.stringify(await make())) };
  } catch (error) {
    failures[name] = String(error && error.message ? error.message : error).slice(0, 500);
  }
}

async function stream() {
  const connection = await client.listen.v1.connect({
    encoding: "linear16",
    sample_rate: "16000",
    tag: "npm-stream",
  });
  const types = [];
  const closed = new Promise((resolve) => connection.on("close", (event) => resolve(event.code)));
  connection.on("message", (message) => types.push(message.type));
  connection.connect();
  await connection.waitForOpen();
  connection.sendMedia(wav.subarray(44));
  connection.sendCloseStream({ type: "CloseStream" });
  const code = await closed;
  return { types, code };
}

const tag = "npm-sdk";
await call("transcribe_file", "ListenV1Response", () =>
  client.listen.v1.media.transcribeFile(wav, { tag, punctuate: true }),
);
await call("transcribe_url", "ListenV1Response", () =>
  client.listen.v1.media.transcribeUrl({ url: env.CONFORMANCE_AUDIO_URL }),
);
await call("callback", "ListenV1AcceptedResponse", () =>
  client.listen.v1.media.transcribeFile(wav, { callback: env.CONFORMANCE_CALLBACK_URL }),
);
try {
  bodies.stream = { type: null, body: await stream() };
} catch (error) {
  failures.stream = String(error);
}
try {
  const spoken = await client.speak.v1.audio.generate({ text: "Hello from npm.", tag });
  bodies.speak = { type: null, body: { bytes: (await spoken.arrayBuffer()).byteLength } };
} catch (error) {
  failures.speak = String(error);
}
await call("grant", "GrantV1Response", () => client.auth.v1.tokens.grant({ ttl_seconds: 30 }));
await call("projects_list", "ListProjectsV1Response", () => client.manage.v1.projects.list());
await call("projects_get", "GetProjectV1Response", () => client.manage.v1.projects.get(project));
await call("keys_list", "ListProjectKeysV1Response", () =>
  client.manage.v1.projects.keys.list(project),
);
await call("keys_create", "CreateKeyV1Response", () =>
  client.manage.v1.projects.keys.create(project, { comment: "npm", scopes: ["usage:write"] }),
);
const created = bodies.keys_create && bodies.keys_create.body.api_key_id;
if (created) {
  await call("keys_get", "GetProjectKeyV1Response", () =>
    client.manage.v1.projects.keys.get(project, created),
  );
  await call("keys_delete", "DeleteProjectKeyV1Response", () =>
    client.manage.v1.projects.keys.delete(project, created),
  );
}
await call("requests_list", "ListProjectRequestsV1Response", () =>
  client.manage.v1.projects.requests.list(project, { limit: 100 }),
);
const first = bodies.transcribe_file && bodies.transcribe_file.body.metadata.request_id;
await call("requests_get", "GetProjectRequestV1Response", () =>
  client.manage.v1.projects.requests.get(project, first),
);
await call("usage", "UsageV1Response", () => client.manage.v1.projects.usage.get(project, { tag }));
await call("fields", "UsageFieldsV1Response", () =>
  client.manage.v1.projects.usage.fields.list(project),
);
await call("breakdown", "UsageBreakdownV1Response", () =>
  client.manage.v1.projects.usage.breakdown.get(project, { grouping: "method" }),
);
await call("models", "ListModelsV1Response", () => client.manage.v1.models.list());
await call("members", "ListProjectMembersV1Response", () =>
  client.manage.v1.projects.members.list(project),
);
await call("balances", "ListProjectBalancesV1Response", () =>
  client.manage.v1.projects.billing.balances.list(project),
);
writeFileSync(env.CONFORMANCE_OUT, JSON.stringify({ bodies, failures }, null, 1));
process.exit(0);
