/**
 * Artifacts and hardware projects end to end (issue 5), on every engine, as an agent would drive
 * them through the gateway with the real supabase-js: a project with a budget and a chat in it; a
 * BOM v1 (ESP32, DHT22, HC-SR04, wires) and its wiring with supply voltages; v2 replacing the DHT22
 * by a BME280 with optimistic concurrency (a stale expected_version is a 409); the diff (parts
 * removed and added, the cost delta, the text hunk); a revert to v1; get_project's parts, rollups
 * and warnings at each step; the version history; each message's artifact versions; the CSV export;
 * a share link showing the versions its messages made; and another user, anon and invalid content
 * denied with the right status, code and field.
 */
import assert from "node:assert/strict";
import {
  client,
  rpcFails,
  rpcOk,
  signedInUser,
  stackFixture,
  stackTest,
  stopStackAfterTests,
  testEngines,
  type TestStack,
} from "./_stack.ts";

// deno-lint-ignore no-explicit-any
type Loose = Record<string, any>;

const ESP32 = {
  name: "ESP32-DevKitC",
  part_number: "ESP32-DEVKITC-32E",
  manufacturer: "Espressif",
  quantity: 1,
  unit_price: 10,
  currency: "USD",
  voltage: "3.3V",
  current: "240mA",
  interface_type: "WiFi/BLE",
  supplier: "DigiKey",
  supplier_url: "https://www.digikey.com/en/products/detail/espressif-systems/ESP32-DEVKITC-32E/12091810",
};
const DHT22 = {
  name: "DHT22",
  part_number: "AM2302",
  manufacturer: "Aosong",
  quantity: 1,
  unit_price: 4.5,
  currency: "USD",
  voltage: "3.3-6V",
  current: "1.5mA",
  interface_type: "single-wire digital",
  specs: { humidity_accuracy: "2% RH", temperature_accuracy: "0.5 C" },
};
const BME280 = {
  name: "BME280",
  part_number: "BME280",
  manufacturer: "Bosch",
  quantity: 1,
  unit_price: 6.95,
  currency: "USD",
  voltage: "1.71-3.6V",
  current: "3.6uA",
  interface_type: "I2C",
  alternatives: ["BMP280"],
};
const SONAR = {
  name: "HC-SR04",
  quantity: 1,
  unit_price: 2.25,
  currency: "USD",
  voltage: "5V",
  current: "15mA",
  interface_type: "trigger/echo",
};
const WIRES = { name: 'Jumper wires, 8" female-female (40)', quantity: 2, unit_price: 1.5, currency: "USD" };

const BOM_V1 = { components: [ESP32, DHT22, SONAR, WIRES] };
const BOM_V2 = { components: [ESP32, BME280, SONAR, WIRES] };
const TEXT_V1 =
  "Greenhouse monitor\nController: ESP32-DevKitC\nSensor: DHT22 (temperature, humidity)\nLevel: HC-SR04\n";
const TEXT_V2 =
  "Greenhouse monitor\nController: ESP32-DevKitC\nSensor: BME280 (temperature, humidity, pressure)\nLevel: HC-SR04\n";

const step = (
  from_part: string,
  from_pin: string,
  to_part: string,
  to_pin: string,
  signal_type: string,
  extra: Loose = {},
) => ({ from_part, from_pin, to_part, to_pin, signal_type, ...extra });
const WIRING = {
  steps: [
    step("ESP32-DevKitC", "VIN", "HC-SR04", "VCC", "power", { voltage: "5V", wire_color: "red" }),
    step("ESP32-DevKitC", "GND", "HC-SR04", "GND", "ground", { wire_color: "black" }),
    step("ESP32-DevKitC", "3V3", "DHT22", "VCC", "power", { voltage: "3.3V", wire_color: "red" }),
    step("ESP32-DevKitC", "GND", "DHT22", "GND", "ground", { wire_color: "black" }),
    step("DHT22", "DATA", "ESP32-DevKitC", "GPIO4", "digital", {
      wire_color: "yellow",
      instruction: "Add a 10k pull-up from DATA to 3V3.",
    }),
    step("HC-SR04", "ECHO", "ESP32-DevKitC", "GPIO18", "digital", {
      wire_color: "green",
      from_pin_type: "output",
      to_pin_type: "input",
      warnings: ["ECHO drives 5 V"],
    }),
    step("ESP32-DevKitC", "GPIO5", "HC-SR04", "TRIG", "digital", { wire_color: "blue" }),
  ],
};

/** The two signal wires between the 3.3 V ESP32 and the 5 V HC-SR04 that the wiring above implies. */
const VOLTAGE_WARNINGS = [
  {
    kind: "voltage_mismatch",
    step_number: 6,
    from_part: "HC-SR04",
    from_voltage: "5 V",
    to_part: "ESP32-DevKitC",
    to_voltage: "3.3 V",
    message: "Step 6: HC-SR04 (5 V) and ESP32-DevKitC (3.3 V) have different logic voltages; add a level shifter",
  },
  {
    kind: "voltage_mismatch",
    step_number: 7,
    from_part: "ESP32-DevKitC",
    from_voltage: "3.3 V",
    to_part: "HC-SR04",
    to_voltage: "5 V",
    message: "Step 7: ESP32-DevKitC (3.3 V) and HC-SR04 (5 V) have different logic voltages; add a level shifter",
  },
];

const CSV_HEADER =
  "item,name,part_number,manufacturer,quantity,unit_price,currency,line_total,voltage,current,interface_type,supplier," +
  "supplier_url\r\n";
const CSV_ESP32 =
  `1,ESP32-DevKitC,ESP32-DEVKITC-32E,Espressif,1,10,USD,10,3.3V,240mA,WiFi/BLE,DigiKey,${ESP32.supplier_url}\r\n`;
const CSV_TAIL = "3,HC-SR04,,,1,2.25,USD,2.25,5V,15mA,trigger/echo,,\r\n" +
  '4,"Jumper wires, 8"" female-female (40)",,,2,1.5,USD,3.0,,,,,\r\n';
const CSV_V1 = CSV_HEADER + CSV_ESP32 + "2,DHT22,AM2302,Aosong,1,4.5,USD,4.5,3.3-6V,1.5mA,single-wire digital,,\r\n" +
  CSV_TAIL;
const CSV_V2 = CSV_HEADER + CSV_ESP32 + "2,BME280,BME280,Bosch,1,6.95,USD,6.95,1.71-3.6V,3.6uA,I2C,,\r\n" + CSV_TAIL;

/** What get_project says about parts, without ids and timestamps. */
const partView = (p: Loose) => [p.position, p.name, p.part_number, p.quantity, p.unit_price, p.line_total, p.voltage];
/** A warning without the artifact id (compared separately). */
const warningView = ({ artifact_id: _, ...rest }: Loose) => rest;

for (const kind of testEngines()) {
  const fixture = stackFixture(kind);
  const test = (name: string, fn: (s: TestStack) => Promise<void>) => stackTest(fixture, `artifacts flow: ${name}`, fn);

  test("BOM v1 → BME280 as v2 (stale expected_version is 409) → diff → revert → get_project, history, CSV, share", async (s) => {
    const alice = await signedInUser(s, "maker");
    const sb = alice.supabase;

    const project = await rpcOk(sb, "create_project", {
      name: "Greenhouse monitor",
      description: "Temperature, humidity and water level for a small greenhouse.",
      category: "iot",
      goal: "Alert on frost and dry beds",
      location: "Lyon",
      target_budget: 20,
      currency: "USD",
    });
    assert.equal(project.owner_id, alice.id);
    assert.deepEqual([project.name, project.target_budget, project.currency, project.status], [
      "Greenhouse monitor",
      20,
      "USD",
      "draft",
    ]);
    assert.deepEqual((await rpcOk<Loose[]>(sb, "list_projects")).map((p) => p.id), [project.id]);

    const chat = await rpcOk(sb, "create_chat", { project_id: project.id, title: "Greenhouse build" });
    assert.equal(chat.project_id, project.id);
    const append = (role: string, content: string, agent_name?: string) =>
      rpcOk(sb, "append_message", {
        chat_id: chat.id,
        role,
        content,
        agent_name,
        agent_model: agent_name ? "openai/gpt-4o" : undefined,
        intent: agent_name ? agent_name.replace("_generator", "") : undefined,
      });

    // v1: the BOM agent answers with a BOM, the wiring agent with its wiring
    const u1 = await append("user", "I need a greenhouse monitor: temperature, humidity and water level, under $20.");
    const a1 = await append("assistant", "Here is a bill of materials.", "bom_generator");
    const createBom = {
      chat_id: chat.id,
      project_id: project.id,
      type: "bom",
      title: "Bill of materials",
      content: TEXT_V1,
      content_json: BOM_V1,
      message_id: a1.id,
      description: "Parts for the greenhouse monitor",
    };
    const bom = await rpcOk(sb, "create_artifact_with_version", createBom);
    assert.equal(bom.created, true);
    const artifactId = bom.artifact.id;
    assert.deepEqual(
      [bom.artifact.chat_id, bom.artifact.project_id, bom.artifact.type, bom.artifact.current_version],
      [chat.id, project.id, "bom", 1],
    );
    assert.deepEqual(
      [bom.version.version_number, bom.version.parent_version_id, bom.version.change_summary],
      [1, null, "Created"],
    );
    assert.equal(bom.version.created_by_message_id, a1.id);
    assert.match(bom.version.content_hash, /^[0-9a-f]{64}$/);
    assert.ok(!("content_json" in bom.version), "the answer leaves the content out");
    const v1 = bom.version;
    const retry = await rpcOk(sb, "create_artifact_with_version", createBom);
    assert.deepEqual([retry.created, retry.artifact.id, retry.version.id], [false, artifactId, v1.id], "a retry");

    const a2 = await append("assistant", "Here is the wiring.", "wiring_generator");
    const wiring = await rpcOk(sb, "create_artifact_with_version", {
      chat_id: chat.id,
      project_id: null,
      type: "wiring",
      title: "Wiring",
      content: null,
      content_json: WIRING,
      message_id: a2.id,
    });
    assert.equal(wiring.artifact.project_id, project.id, "an artifact made in a project's chat joins the project");

    const atV1 = await rpcOk(sb, "get_project", { project_id: project.id });
    assert.deepEqual(atV1.parts.map(partView), [
      [0, "ESP32-DevKitC", "ESP32-DEVKITC-32E", 1, 10, 10, "3.3V"],
      [1, "DHT22", "AM2302", 1, 4.5, 4.5, "3.3-6V"],
      [2, "HC-SR04", null, 1, 2.25, 2.25, "5V"],
      [3, WIRES.name, null, 2, 1.5, 3, null],
    ]);
    assert.deepEqual(atV1.warnings.map(warningView), VOLTAGE_WARNINGS);

    // v2: replace the DHT22 by a BME280, based on version 1
    const u2 = await append("user", "Replace the DHT22 with a BME280, I want pressure too.");
    const a3 = await append("assistant", "Updated: a BME280 instead of the DHT22.", "bom_generator");
    const v2Args = {
      artifact_id: artifactId,
      content: TEXT_V2,
      content_json: BOM_V2,
      change_summary: "Replace DHT22 with BME280",
      message_id: a3.id,
      expected_version: 1,
    };
    const second = await rpcOk(sb, "add_artifact_version", v2Args);
    assert.equal(second.created, true);
    assert.deepEqual(
      [second.version.version_number, second.version.parent_version_id, second.artifact.current_version],
      [2, v1.id, 2],
    );
    const v2 = second.version;
    assert.notEqual(v2.content_hash, v1.content_hash);

    // another writer still based on version 1 is told so, and writes nothing
    const stale = await rpcFails(
      sb,
      "add_artifact_version",
      { ...v2Args, content: `${TEXT_V1}\nNote: add a buzzer`, content_json: BOM_V1, change_summary: "Stale" },
      { status: 409, code: "PT409" },
    );
    assert.equal(stale.message, "artifact has changed: expected version 1 but the current version is 2");
    // the same content as the current version writes nothing either
    const same = await rpcOk(sb, "add_artifact_version", { ...v2Args, expected_version: 2 });
    assert.deepEqual([same.created, same.version.id, same.artifact.current_version], [false, v2.id, 2]);
    assert.deepEqual((await rpcOk<Loose[]>(sb, "list_artifact_versions", { artifact_id: artifactId })).length, 2);

    const diff = await rpcOk(sb, "diff_artifact_versions", { artifact_id: artifactId, from_version: 1, to_version: 2 });
    assert.deepEqual([diff.type, diff.from_version, diff.to_version, diff.identical], ["bom", 1, 2, false]);
    assert.deepEqual([diff.from_version_id, diff.to_version_id], [v1.id, v2.id]);
    assert.deepEqual(diff.bom.removed, [
      {
        position: 1,
        name: "DHT22",
        part_number: "AM2302",
        quantity: 1,
        unit_price: 4.5,
        currency: "USD",
        cost: 4.5,
        component: DHT22,
      },
    ]);
    assert.deepEqual(diff.bom.added, [
      {
        position: 1,
        name: "BME280",
        part_number: "BME280",
        quantity: 1,
        unit_price: 6.95,
        currency: "USD",
        cost: 6.95,
        component: BME280,
      },
    ]);
    assert.deepEqual(diff.bom.changed, []);
    assert.equal(diff.bom.unchanged_count, 3);
    assert.deepEqual(diff.bom.totals, [{ currency: "USD", old_total: 19.75, new_total: 22.2, delta: 2.45 }]);
    assert.equal(diff.bom.cost_delta, 2.45);
    assert.equal(diff.bom.other, null);
    assert.deepEqual([diff.content.lines_added, diff.content.lines_removed, diff.content.approximate], [1, 1, false]);
    assert.deepEqual(diff.content.hunks.map((h: Loose) => [h.header, h.lines]), [[
      "@@ -1,4 +1,4 @@",
      [
        " Greenhouse monitor",
        " Controller: ESP32-DevKitC",
        "-Sensor: DHT22 (temperature, humidity)",
        "+Sensor: BME280 (temperature, humidity, pressure)",
        " Level: HC-SR04",
      ],
    ]]);
    assert.equal(
      diff.content.unified,
      "@@ -1,4 +1,4 @@\n Greenhouse monitor\n Controller: ESP32-DevKitC\n-Sensor: DHT22 (temperature, humidity)\n" +
        "+Sensor: BME280 (temperature, humidity, pressure)\n Level: HC-SR04\n",
    );
    assert.equal(diff.content_json, null, "BOMs are compared part by part, in bom");
    assert.equal(diff.file_path, null);

    // at v2 the wiring still names the DHT22, and the BME280 breaks the budget
    const atV2 = await rpcOk(sb, "get_project", { project_id: project.id });
    assert.deepEqual(atV2.parts.map((p: Loose) => p.name), ["ESP32-DevKitC", "BME280", "HC-SR04", WIRES.name]);
    assert.ok(atV2.parts.every((p: Loose) => p.artifact_version_id === v2.id));
    assert.deepEqual(atV2.warnings.map((w: Loose) => [w.kind, w.step_number ?? null, w.part ?? null, w.end ?? null]), [
      ["unknown_part", 3, "DHT22", "to"],
      ["unknown_part", 4, "DHT22", "to"],
      ["unknown_part", 5, "DHT22", "from"],
      ["voltage_mismatch", 6, null, null],
      ["voltage_mismatch", 7, null, null],
      ["over_budget", null, null, null],
    ]);
    assert.deepEqual(atV2.warnings[5], {
      kind: "over_budget",
      total_cost: 22.2,
      target_budget: 20,
      currency: "USD",
      over_by: 2.2,
      message: "The parts cost 22.20 USD, 2.20 over the budget of 20 USD",
    });
    assert.deepEqual([atV2.rollups.total_cost, atV2.rollups.budget_remaining], [22.2, -2.2]);

    // revert to v1: a new version 3 with version 1's content
    const u3 = await append("user", "Keep the DHT22: the BME280 breaks the budget.");
    const a4 = await append("assistant", "Reverted the BOM to version 1.", "bom_generator");
    const reverted = await rpcOk(sb, "revert_artifact", { artifact_id: artifactId, to_version: 1, message_id: a4.id });
    assert.equal(reverted.created, true);
    const v3 = reverted.version;
    assert.deepEqual(
      [v3.version_number, v3.parent_version_id, v3.reverted_from_version_id, v3.change_summary, v3.content_hash],
      [3, v2.id, v1.id, "Revert to version 1", v1.content_hash],
    );
    const current = await rpcOk(sb, "get_artifact", { artifact_id: artifactId });
    assert.equal(current.version.version_number, 3);
    assert.deepEqual(current.version.content_json, BOM_V1);
    assert.equal(current.version.content, TEXT_V1);
    assert.deepEqual(
      (await rpcOk(sb, "get_artifact", { artifact_id: artifactId, version: 2 })).version.content_json,
      BOM_V2,
    );
    const undo = await rpcOk(sb, "diff_artifact_versions", { artifact_id: artifactId, from_version: 1, to_version: 3 });
    assert.deepEqual([undo.identical, undo.bom, undo.content], [true, null, null]);

    const project3 = await rpcOk(sb, "get_project", { project_id: project.id });
    assert.deepEqual(project3.sources.map((x: Loose) => [x.type, x.title, x.version_number, x.version_id]), [
      ["bom", "Bill of materials", 3, v3.id],
      ["wiring", "Wiring", 1, wiring.version.id],
    ]);
    assert.deepEqual(project3.parts.map(partView), atV1.parts.map(partView), "the v1 parts are back");
    assert.ok(project3.parts.every((p: Loose) => p.artifact_version_id === v3.id), "materialised for version 3");
    const dht = project3.parts.find((p: Loose) => p.name === "DHT22");
    assert.deepEqual([dht.voltage_min, dht.voltage_max, dht.currency, dht.manufacturer], [3.3, 6, "USD", "Aosong"]);
    assert.deepEqual(dht.specs, DHT22.specs);
    assert.deepEqual(project3.rollups, {
      part_count: 5,
      line_count: 4,
      total_cost: 19.75,
      currency: "USD",
      target_budget: 20,
      budget_remaining: 0.25,
      connection_count: 7,
      code_file_count: 0,
    });
    assert.deepEqual(project3.warnings.map(warningView), VOLTAGE_WARNINGS, "the ECHO/TRIG level mismatch remains");
    assert.ok(project3.warnings.every((w: Loose) => w.artifact_id === wiring.artifact.id));
    assert.deepEqual(
      project3.connections.map((c: Loose) => [c.step_number, c.from_part, c.to_part, c.signal_type, c.voltage]),
      WIRING.steps.map((w, i) => [i + 1, w.from_part, w.to_part, w.signal_type, (w as Loose).voltage ?? null]),
    );
    assert.deepEqual(project3.connections[5].warnings, ["ECHO drives 5 V"]);
    assert.deepEqual(project3.code_files, []);

    const history = await rpcOk<Loose[]>(sb, "list_artifact_versions", { artifact_id: artifactId });
    assert.deepEqual(
      history.map((v) => [
        v.version_number,
        v.change_summary,
        v.parent_version_number,
        v.reverted_from_version_id,
        v.created_by_message_id,
        v.created_by,
      ]),
      [
        [3, "Revert to version 1", 2, v1.id, a4.id, alice.id],
        [2, "Replace DHT22 with BME280", 1, null, a3.id, alice.id],
        [1, "Created", null, null, a1.id, alice.id],
      ],
    );
    assert.deepEqual(history.map((v) => v.content_hash), [v1.content_hash, v2.content_hash, v1.content_hash]);

    const listed = await rpcOk<Loose[]>(sb, "list_artifacts", { chat_id: chat.id });
    assert.deepEqual(listed.map((a) => [a.id, a.type, a.current_version, a.total_versions]), [
      [artifactId, "bom", 3, 3],
      [wiring.artifact.id, "wiring", 1, 1],
    ]);
    assert.deepEqual(
      (await rpcOk<Loose[]>(sb, "list_artifacts", { project_id: project.id, type: "wiring" })).length,
      1,
    );

    // each message lists the artifact versions it made
    const messages = await rpcOk<Loose[]>(sb, "get_messages", { chat_id: chat.id });
    assert.deepEqual(messages.map((m) => m.id), [u1.id, a1.id, a2.id, u2.id, a3.id, u3.id, a4.id]);
    assert.deepEqual(
      messages.map((m) =>
        m.artifact_versions.map((
          v: Loose,
        ) => [v.id, v.artifact_id, v.type, v.title, v.version_number, v.change_summary])
      ),
      [
        [],
        [[v1.id, artifactId, "bom", "Bill of materials", 1, "Created"]],
        [[wiring.version.id, wiring.artifact.id, "wiring", "Wiring", 1, "Created"]],
        [],
        [[v2.id, artifactId, "bom", "Bill of materials", 2, "Replace DHT22 with BME280"]],
        [],
        [[v3.id, artifactId, "bom", "Bill of materials", 3, "Revert to version 1"]],
      ],
    );

    const csv = await rpcOk(sb, "export_bom_csv", { artifact_id: artifactId });
    assert.equal(csv, CSV_V1);
    assert.equal(await rpcOk(sb, "export_bom_csv", { artifact_id: artifactId, version: 2 }), CSV_V2);
    await rpcFails(sb, "export_bom_csv", { artifact_id: wiring.artifact.id }, { status: 400, code: "22023" });
    await rpcFails(sb, "export_bom_csv", { artifact_id: artifactId, version: 9 }, { status: 404, code: "PT404" });

    // a share link up to the wiring answer shows the versions made by then, with their content
    const share = await rpcOk(sb, "share_chat", { chat_id: chat.id, up_to_message_id: a2.id });
    const shared = await rpcOk(client(s), "get_shared_chat", { token: share.token });
    assert.deepEqual(shared.messages.map((m: Loose) => m.id), [u1.id, a1.id, a2.id]);
    assert.deepEqual(
      shared.messages.map((m: Loose) =>
        m.artifact_versions.map((v: Loose) => [v.id, v.version_number, v.content_json])
      ),
      [[], [[v1.id, 1, BOM_V1]], [[wiring.version.id, 1, WIRING]]],
    );

    // hiding the wiring takes it out of the project, the lists and the messages; unhiding restores it
    const hidden = await rpcOk(sb, "hide_artifact", { artifact_id: wiring.artifact.id });
    assert.ok(hidden.hidden_at);
    const withoutWiring = await rpcOk(sb, "get_project", { project_id: project.id });
    assert.deepEqual(
      [withoutWiring.connections, withoutWiring.warnings, withoutWiring.rollups.connection_count],
      [[], [], 0],
    );
    assert.deepEqual((await rpcOk<Loose[]>(sb, "list_artifacts", { chat_id: chat.id })).map((a) => a.id), [artifactId]);
    assert.equal((await rpcOk<Loose[]>(sb, "list_artifacts", { chat_id: chat.id, include_hidden: true })).length, 2);
    const hiddenInChat = await rpcOk<Loose[]>(sb, "get_messages", { chat_id: chat.id, leaf_id: a2.id });
    assert.deepEqual(hiddenInChat.map((m) => m.artifact_versions.length), [0, 1, 0]);
    await rpcOk(sb, "unhide_artifact", { artifact_id: wiring.artifact.id });
    assert.deepEqual(
      (await rpcOk(sb, "get_project", { project_id: project.id })).warnings.map(warningView),
      VOLTAGE_WARNINGS,
    );

    // deleting the chat keeps the project's artifacts, which its owner still reads and changes
    assert.equal(await rpcOk(sb, "delete_chat", { chat_id: chat.id }), true);
    const kept = await rpcOk<Loose[]>(sb, "list_artifacts", { project_id: project.id });
    assert.deepEqual(kept.map((a) => [a.id, a.chat_id]), [[artifactId, null], [wiring.artifact.id, null]]);
    const afterDelete = await rpcOk(sb, "get_project", { project_id: project.id });
    assert.deepEqual(afterDelete.parts.map(partView), project3.parts.map(partView));
    assert.deepEqual(afterDelete.warnings.map(warningView), VOLTAGE_WARNINGS);
    const v4 = await rpcOk(sb, "revert_artifact", { artifact_id: artifactId, to_version: 2 });
    assert.deepEqual([v4.version.version_number, v4.version.reverted_from_version_id], [4, v2.id]);
    const atV4 = await rpcOk(sb, "get_project", { project_id: project.id });
    assert.deepEqual(atV4.parts.map((p: Loose) => [p.name, p.artifact_version_id]).slice(0, 2), [
      ["ESP32-DevKitC", v4.version.id],
      ["BME280", v4.version.id],
    ]);
  });

  test("another user cannot read or change the artifact (not found), anon is denied (401)", async (s) => {
    const alice = await signedInUser(s, "owner");
    const bob = await signedInUser(s, "stranger");
    const anon = client(s);
    const project = await rpcOk(alice.supabase, "create_project", { name: "Private build", target_budget: 50 });
    const chat = await rpcOk(alice.supabase, "create_chat", { project_id: project.id });
    const made = await rpcOk(alice.supabase, "create_artifact_with_version", {
      chat_id: chat.id,
      project_id: project.id,
      type: "bom",
      title: "BOM",
      content: null,
      content_json: BOM_V1,
      message_id: null,
    });
    const artifact_id = made.artifact.id;

    const notFound = { status: 404, code: "PT404" };
    const read = await rpcFails(bob.supabase, "get_artifact", { artifact_id }, notFound);
    assert.equal(read.message, "artifact not found");
    const nothing = await rpcFails(bob.supabase, "get_artifact", { artifact_id: crypto.randomUUID() }, notFound);
    assert.equal(nothing.message, read.message, "someone else's artifact looks like none at all");
    await rpcFails(bob.supabase, "list_artifact_versions", { artifact_id }, notFound);
    await rpcFails(bob.supabase, "diff_artifact_versions", { artifact_id, from_version: 1, to_version: 1 }, notFound);
    await rpcFails(bob.supabase, "export_bom_csv", { artifact_id }, notFound);
    await rpcFails(bob.supabase, "add_artifact_version", { artifact_id, content_json: BOM_V2 }, notFound);
    await rpcFails(bob.supabase, "revert_artifact", { artifact_id, to_version: 1 }, notFound);
    await rpcFails(bob.supabase, "hide_artifact", { artifact_id }, notFound);
    await rpcFails(bob.supabase, "get_project", { project_id: project.id }, notFound);
    assert.deepEqual(await rpcOk(bob.supabase, "list_artifacts", { chat_id: chat.id }), []);
    assert.deepEqual(await rpcOk(bob.supabase, "list_artifacts", { project_id: project.id }), []);
    await rpcFails(bob.supabase, "create_artifact_with_version", {
      chat_id: chat.id,
      project_id: null,
      type: "prd",
      title: "Mine",
      content: "text",
      content_json: null,
      message_id: null,
    }, notFound);

    for (
      const [fn, args] of [
        ["get_artifact", { artifact_id }],
        ["list_artifact_versions", { artifact_id }],
        ["export_bom_csv", { artifact_id }],
        ["get_project", { project_id: project.id }],
        ["create_project", { name: "anon project" }],
        ["add_artifact_version", { artifact_id, content_json: BOM_V2 }],
      ] as const
    ) {
      await rpcFails(anon, fn, args, { status: 401, code: "42501" });
    }

    // a viewer of the chat reads the artifact but may not change it
    await rpcOk(alice.supabase, "add_chat_member", { chat_id: chat.id, user_id: bob.id, role: "viewer" });
    assert.deepEqual((await rpcOk(bob.supabase, "get_artifact", { artifact_id })).version.content_json, BOM_V1);
    await rpcFails(bob.supabase, "add_artifact_version", { artifact_id, content_json: BOM_V2 }, {
      status: 403,
      code: "42501",
    });
    await rpcFails(bob.supabase, "get_project", { project_id: project.id }, notFound);

    const history = await rpcOk<Loose[]>(alice.supabase, "list_artifact_versions", { artifact_id });
    assert.deepEqual(history.map((v) => v.version_number), [1], "no refused call wrote a version");
  });

  test("invalid content is a 400 naming the field and writes nothing", async (s) => {
    const alice = await signedInUser(s, "validator");
    const sb = alice.supabase;
    const project = await rpcOk(sb, "create_project", { name: "Validation", target_budget: 10, currency: "EUR" });
    const chat = await rpcOk(sb, "create_chat", { project_id: project.id });
    const created = await rpcOk(sb, "create_artifact_with_version", {
      chat_id: chat.id,
      project_id: project.id,
      type: "bom",
      title: "BOM",
      content: null,
      content_json: { components: [{ ...ESP32, currency: "EUR" }] },
      message_id: null,
    });
    const artifact_id = created.artifact.id;
    const bad = { status: 400, code: "22023" };

    const zero = await rpcFails(sb, "add_artifact_version", {
      artifact_id,
      content_json: { components: [ESP32, DHT22, { ...SONAR, quantity: 0 }] },
      expected_version: 1,
    }, bad);
    assert.equal(zero.message, "content_json.components[2].quantity must be an integer greater than 0");
    const price = await rpcFails(sb, "add_artifact_version", {
      artifact_id,
      content_json: { components: [{ ...DHT22, unit_price: -1 }] },
    }, bad);
    assert.equal(price.message, "content_json.components[0].unit_price must be a number greater than or equal to 0");
    const volts = await rpcFails(sb, "add_artifact_version", {
      artifact_id,
      content_json: { components: [{ ...DHT22, voltage: "lots" }] },
    }, bad);
    assert.match(volts.message, /^content_json\.components\[0\]\.voltage must be a number of volts/);
    const currency = await rpcFails(sb, "add_artifact_version", {
      artifact_id,
      content_json: { components: [ESP32, { ...DHT22, currency: "usd" }] },
    }, bad);
    assert.match(currency.message, /^content_json\.components\[1\]\.currency must be an ISO 4217 currency code/);
    const shape = await rpcFails(sb, "add_artifact_version", { artifact_id, content_json: { parts: [] } }, bad);
    assert.match(shape.message, /"components" array/);

    const wiring = await rpcFails(sb, "create_artifact_with_version", {
      chat_id: chat.id,
      project_id: project.id,
      type: "wiring",
      title: "Wiring",
      content: null,
      content_json: { steps: [WIRING.steps[0], { from_part: "ESP32-DevKitC", from_pin: "GND", to_part: "HC-SR04" }] },
      message_id: null,
    }, bad);
    assert.equal(wiring.message, "content_json.steps[1].to_pin is required");
    const type = await rpcFails(sb, "create_artifact_with_version", {
      chat_id: chat.id,
      project_id: null,
      type: "poem",
      title: "Ode",
      content: "text",
      content_json: null,
      message_id: null,
    }, bad);
    assert.match(type.message, /^type 'poem' is not one of/);
    await rpcFails(sb, "create_project", { name: "Too expensive", target_budget: -5 }, bad);

    assert.deepEqual(
      (await rpcOk<Loose[]>(sb, "list_artifact_versions", { artifact_id })).map((v) => v.version_number),
      [
        1,
      ],
    );
    assert.deepEqual((await rpcOk<Loose[]>(sb, "list_artifacts", { chat_id: chat.id })).map((a) => a.id), [
      artifact_id,
    ]);
    assert.deepEqual((await rpcOk<Loose[]>(sb, "list_projects")).map((p) => p.name), ["Validation"]);
    const view = await rpcOk(sb, "get_project", { project_id: project.id });
    assert.deepEqual(view.parts.map((p: Loose) => p.name), ["ESP32-DevKitC"]);
    assert.deepEqual([view.rollups.total_cost, view.rollups.budget_remaining, view.rollups.currency], [10, 0, "EUR"]);
    assert.deepEqual(view.warnings, [], "exactly on budget is not over it");

    // a valid version with a part priced in another currency: left out of the total, with a warning
    const mixed = await rpcOk(sb, "add_artifact_version", {
      artifact_id,
      content_json: { components: [{ ...ESP32, currency: "EUR" }, DHT22] },
      expected_version: 1,
    });
    assert.equal(mixed.version.version_number, 2);
    const mixedView = await rpcOk(sb, "get_project", { project_id: project.id });
    assert.deepEqual([mixedView.rollups.part_count, mixedView.rollups.total_cost], [2, 10]);
    assert.deepEqual(
      mixedView.warnings.map((w: Loose) => [w.kind, w.part, w.currency, w.project_currency, w.position]),
      [
        ["currency_mismatch", "DHT22", "USD", "EUR", 1],
      ],
    );
  });

  test("a share link shows a message's artifact versions as they were when the link was made", async (s) => {
    const alice = await signedInUser(s, "snapshot");
    const sb = alice.supabase;
    const anon = client(s);
    const chat = await rpcOk(sb, "create_chat", { title: "Launch plan" });
    const ask = await rpcOk(sb, "append_message", { chat_id: chat.id, role: "user", content: "Write the PRD" });
    const answer = await rpcOk(sb, "append_message", { chat_id: chat.id, role: "assistant", content: "Here it is." });
    const prd = await rpcOk(sb, "create_artifact_with_version", {
      chat_id: chat.id,
      project_id: null,
      type: "prd",
      title: "PRD",
      content: "Public draft",
      content_json: null,
      message_id: answer.id,
    });
    const share = await rpcOk(sb, "share_chat", { chat_id: chat.id });
    assert.equal(share.up_to_message_id, answer.id);
    const sharedVersions = async (token: string) =>
      (await rpcOk(anon, "get_shared_chat", { token })).messages.map((m: Loose) =>
        m.artifact_versions.map((v: Loose) => [v.version_number, v.content])
      );
    assert.deepEqual(await sharedVersions(share.token), [[], [[1, "Public draft"]]]);

    // A version written after the link was made, attributed to the shared answer (as a canvas edit of
    // the artifact shown under that message would be): the owner sees it on the message…
    await rpcOk(sb, "add_artifact_version", {
      artifact_id: prd.artifact.id,
      content: "Private notes, written after sharing",
      message_id: answer.id,
    });
    const mine = await rpcOk<Loose[]>(sb, "get_messages", { chat_id: chat.id });
    assert.deepEqual(mine.map((m) => m.artifact_versions.map((v: Loose) => v.version_number)), [[], [1, 2]]);
    assert.equal(mine[0].id, ask.id);
    // …a link made now shares it…
    const later = await rpcOk(sb, "share_chat", { chat_id: chat.id });
    assert.deepEqual(await sharedVersions(later.token), [[], [[1, "Public draft"], [
      2,
      "Private notes, written after sharing",
    ]]]);
    // …but the first link shows the branch as it was, "never what is written later" (share_chat's contract)
    assert.deepEqual(
      await sharedVersions(share.token),
      [[], [[1, "Public draft"]]],
      "a version written after the link was made is not shown through it",
    );
  });

  stopStackAfterTests(fixture);
}
