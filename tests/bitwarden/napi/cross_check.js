// Official-client cross-check: @bitwarden/sdk-napi 1.0.0 against the server double.
//   node cross_check.js <baseUrl> <config.json> <sdkStateFile> <ourCacheFile>
// Secret values are compared, never printed.
"use strict";
const fs = require("fs");
const assert = require("assert");
const { BitwardenClient, DeviceType } = require("@bitwarden/sdk-napi");

const LOG_LEVEL_ERROR = 4; // LogLevel is undefined from the package root (reference §8)

const [baseUrl, configPath, sdkState, ourCache] = process.argv.slice(2);
const config = JSON.parse(fs.readFileSync(configPath, "utf8"));
const settings = { apiUrl: `${baseUrl}/api`, identityUrl: `${baseUrl}/identity`, deviceType: DeviceType.SDK };

async function http(method, path, body) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.strictEqual(res.status, 200, `${method} ${path}`);
  return res.json();
}

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
  console.log(`ok - ${what}`);
}

async function fetchAll(client) {
  const list = await client.secrets().list(config.organization_id);
  const ids = list.data.map((s) => s.id);
  const full = await client.secrets().getByIds(ids);
  return { list: list.data, full: full.data };
}

async function main() {
  await http("POST", "/_admin/reset-stats", {});
  const client = new BitwardenClient(settings, LOG_LEVEL_ERROR);
  await client.auth().loginAccessToken(config.access_token, sdkState);
  const { list, full } = await fetchAll(client);

  const want = config.secrets;
  const keys = Object.keys(want).sort();
  check(JSON.stringify(list.map((s) => s.key).sort()) === JSON.stringify(keys), "list(orgId) decrypts every key");
  check(list.every((s) => s.organizationId === config.organization_id), "list items carry the organization id");
  check(full.length === keys.length, "getByIds returns every secret");
  for (const s of full) {
    check(Object.prototype.hasOwnProperty.call(want, s.key), `getByIds key ${s.key} is configured`);
    check(s.value === want[s.key], `getByIds value of ${s.key} matches the configuration`);
    check(s.note === "", `note of ${s.key} is the empty string`);
    check(s.projectId === config.project_id, `projectId of ${s.key}`);
    check(!Number.isNaN(Date.parse(s.revisionDate)) && !Number.isNaN(Date.parse(s.creationDate)), `dates of ${s.key}`);
  }
  let stats = await http("GET", "/_admin/stats");
  check(stats.identity === 1 && stats.org_secrets === 1 && stats.get_by_ids === 1,
        `one login, one list, one get-by-ids (identity=${stats.identity} list=${stats.org_secrets} get=${stats.get_by_ids})`);

  // Rotation through the admin API is visible to the SDK.
  const rotateKey = keys[0];
  const rotated = `${want[rotateKey]}-rotated-${Date.now()}`;
  await http("POST", "/_admin/secret", { key: rotateKey, value: rotated });
  const again = await client.secrets().getByIds(full.map((s) => s.id));
  check(again.data.find((s) => s.key === rotateKey).value === rotated, `rotated ${rotateKey} is seen by the SDK`);
  await http("POST", "/_admin/secret", { key: rotateKey, value: want[rotateKey] });

  // A login cache written by ironward is accepted by the SDK as its state file: no identity call.
  if (ourCache) {
    await http("POST", "/_admin/reset-stats", {});
    const reuse = new BitwardenClient(settings, LOG_LEVEL_ERROR);
    await reuse.auth().loginAccessToken(config.access_token, ourCache);
    const second = await fetchAll(reuse);
    check(second.full.length === keys.length, "SDK fetches with ironward's login cache");
    stats = await http("GET", "/_admin/stats");
    check(stats.identity === 0, `SDK reused ironward's login cache (identity=${stats.identity})`);
  }
  console.log("PASS: @bitwarden/sdk-napi 1.0.0 accepts the server double");
}

main().catch((e) => {
  console.error(`FAIL: ${e && e.message ? e.message : e}`);
  process.exit(1);
});
