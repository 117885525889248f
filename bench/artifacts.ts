/**
 * `npm run bench -- artifacts [--iterations N]`: artifact and hardware-project hot paths on the native engine.
 *
 * - New version cost with 1 vs 1,000 prior versions (aim: ratio ≤ 1.2): add_artifact_version on
 *   artifacts that have one version, against one that has a thousand, interleaved; for a text
 *   artifact and for a project BOM (20 parts, validated and materialised).
 * - get_project for a 200-part BOM and 300 wiring steps: median and p95.
 * - diff_artifact_versions for two 200-part BOMs: median and p95.
 * - The content validators alone (private.validate_artifact_content) on a 200-part BOM, 300 wiring
 *   steps and 50 code files: median and p95.
 *
 * JSON goes to postgres.js as objects: it encodes parameters the server types as jsonb itself.
 * Each call is one autocommitted statement on a session acting as a signed-in user (RLS applies),
 * timed at the client. Ratios are measured in this run; nothing here is a test.
 */
import { percentiles, printTable } from "./_stats.ts";
import { startEngine } from "../stack/db/engine.ts";
import { applySqlFile, prepareDatabase } from "../stack/db/migrate.ts";
import type { Db } from "../stack/db/client.ts";
import { freePort, TEST_HELPERS } from "../stack/paths.ts";

async function timed(db: Db, sql: string, params: unknown[]): Promise<number> {
  const start = performance.now();
  await db.query(sql, params);
  return performance.now() - start;
}

function bom(parts: number, variant = 0): unknown {
  return {
    components: Array.from({ length: parts }, (_, i) => ({
      name: `Part ${i}`,
      part_number: i % 3 === 0 ? `PN-${i}` : undefined,
      manufacturer: `Maker ${i % 7}`,
      quantity: 1 + ((i + variant) % 4),
      unit_price: Number((0.25 + (i % 50) * 0.5 + (i < variant ? 0.1 : 0)).toFixed(2)),
      currency: "USD",
      voltage: i % 5 === 0 ? "5V" : i % 5 === 1 ? "3.3-5V" : "3.3V",
      interface_type: ["I2C", "SPI", "GPIO", "UART"][i % 4],
      supplier: "DigiKey",
      supplier_url: `https://www.example.com/parts/${i}`,
      specs: { pins: 4 + (i % 10) },
    })),
  };
}

function wiring(steps: number, parts: number): unknown {
  return {
    steps: Array.from({ length: steps }, (_, i) => ({
      from_part: `Part ${i % parts}`,
      from_pin: `P${i % 40}`,
      to_part: i % 25 === 0 ? `Unknown ${i}` : `Part ${(i * 7 + 3) % parts}`,
      to_pin: `Q${i % 30}`,
      signal_type: ["power", "ground", "digital", "i2c", "spi", "analog"][i % 6],
      voltage: i % 6 === 0 ? (i % 12 === 0 ? "5V" : 3.3) : undefined,
      wire_color: ["red", "black", "yellow", "blue"][i % 4],
      instruction: `Connect step ${i + 1}`,
    })),
  };
}

function code(files: number): unknown {
  return {
    files: Array.from({ length: files }, (_, i) => ({
      filename: `src/module_${i}.cpp`,
      language: "cpp",
      platform: "esp32",
      content: `// module ${i}\n${"void step() { digitalWrite(LED, HIGH); }\n".repeat(40)}`,
      unit: 1 + (i % 3),
      required_libraries: ["Wire", "SPI"],
      production_ready: i % 2 === 0,
    })),
  };
}

export default async function run(args: string[]) {
  const iterationsArg = args.indexOf("--iterations");
  const iterations = iterationsArg >= 0 ? Number(args[iterationsArg + 1]) : 200;
  console.log("artifacts benchmark (native engine): starting a throwaway cluster…");
  const engine = await startEngine("native", { port: freePort() });
  try {
    await prepareDatabase(engine);
    await applySqlFile(engine.db, TEST_HELPERS);
    const db = await engine.connect();
    await db.query(`select tests.create_user('bench')`);
    // act as the user for the whole session, as PostgREST does per request
    const [{ claims }] = await db.query<{ claims: string }>(`select tests.user_claims('bench')::text as claims`);
    await db.exec(`set role authenticated`);
    await db.query(`select set_config('request.jwt.claims', $1, false)`, [claims]);

    // a project (with a chat) per section, so that each measures only its own data
    const place = async (name: string) => {
      const [{ project_id, chat_id }] = await db.query<{ project_id: string; chat_id: string }>(
        `select p.id as project_id, (public.create_chat(title => $1, project_id => p.id)).id as chat_id
         from public.create_project($1, target_budget => 5000) p`,
        [name],
      );
      return { projectId: project_id, chatId: chat_id };
    };
    const create = async (chatId: string, type: string, content: string | null, json: unknown) => {
      const [{ id }] = await db.query<{ id: string }>(
        `select public.create_artifact_with_version($1, null, $2, $3, $4, $5::jsonb, null) -> 'artifact' ->> 'id' as id`,
        [chatId, type, `${type} ${crypto.randomUUID().slice(0, 8)}`, content, json],
      );
      return id;
    };

    // ------------------------------------------------------------ new version: 1 vs 1,000 prior
    const rows: string[][] = [];
    const ratios: string[] = [];
    for (const kind of ["text", "bom"] as const) {
      const { chatId } = await place(`Versions (${kind})`);
      const body = (i: number) =>
        kind === "text" ? { content: `# Spec\n\nRevision ${i}\n${"lorem ipsum ".repeat(40)}` } : {
          json: bom(20, i % 20),
        };
      const make = () =>
        kind === "text" ? create(chatId, "prd", body(0).content!, null) : create(chatId, "bom", null, body(0).json);
      const add = (id: string, i: number) =>
        timed(
          db,
          `select public.add_artifact_version($1, content => $2, content_json => $3::jsonb)`,
          [id, body(i).content ?? null, body(i).json ?? null],
        );
      const deep = await make();
      for (let i = 1; i < 1000; i++) await add(deep, i);
      const fresh: string[] = [];
      for (let i = 0; i < iterations; i++) fresh.push(await make());
      // warm up, then interleave: one add on a fresh artifact (its 2nd version), one on the deep one
      for (let i = 0; i < 20; i++) await add(deep, 5000 + i);
      const one: number[] = [];
      const thousand: number[] = [];
      // alternate which goes first, so neither pays for the other's cache misses
      for (let i = 0; i < iterations; i++) {
        if (i % 2 === 0) {
          one.push(await add(fresh[i], 10_000 + i));
          thousand.push(await add(deep, 20_000 + i));
        } else {
          thousand.push(await add(deep, 20_000 + i));
          one.push(await add(fresh[i], 10_000 + i));
        }
      }
      const a = percentiles(one);
      const b = percentiles(thousand);
      rows.push([`add_artifact_version (${kind}), 1 prior version`, a.p50.toFixed(3), a.p95.toFixed(3), ""]);
      rows.push([
        `add_artifact_version (${kind}), ~1,000 prior versions`,
        b.p50.toFixed(3),
        b.p95.toFixed(3),
        `${(b.p50 / a.p50).toFixed(2)}× median`,
      ]);
      ratios.push(`${kind}: ${(b.p50 / a.p50).toFixed(2)}`);
    }

    // ------------------------------------------------------------ get_project: 200 parts, 300 steps
    const hardware = await place("Hardware");
    const project_id = hardware.projectId;
    await create(hardware.chatId, "bom", null, bom(200));
    await create(hardware.chatId, "wiring", null, wiring(300, 200));
    const [{ parts, connections, warnings }] = await db.query<{ parts: number; connections: number; warnings: number }>(
      `select jsonb_array_length(p -> 'parts') as parts, jsonb_array_length(p -> 'connections') as connections,
         jsonb_array_length(p -> 'warnings') as warnings from (select public.get_project($1) as p) x`,
      [project_id],
    );
    const projectSamples: number[] = [];
    for (let i = 0; i < 10; i++) await timed(db, `select public.get_project($1)`, [project_id]);
    for (let i = 0; i < iterations; i++) {
      projectSamples.push(await timed(db, `select public.get_project($1)`, [project_id]));
    }
    const p = percentiles(projectSamples);
    rows.push([
      `get_project (${parts} parts, ${connections} steps, ${warnings} warnings)`,
      p.p50.toFixed(3),
      p.p95.toFixed(3),
      "",
    ]);

    // ------------------------------------------------------------ diff: two 200-part BOMs
    const diffBom = await create((await place("Diff")).chatId, "bom", null, bom(200));
    const changed = bom(200, 20) as { components: Record<string, unknown>[] };
    changed.components.splice(50, 10);
    for (let i = 0; i < 10; i++) {
      changed.components.push({ name: `New part ${i}`, quantity: 1, unit_price: 1.5, currency: "USD" });
    }
    await db.query(`select public.add_artifact_version($1, content_json => $2::jsonb)`, [diffBom, changed]);
    const [{ summary }] = await db.query<{ summary: string }>(
      `select format('%s added, %s removed, %s changed', jsonb_array_length(d -> 'added'), jsonb_array_length(d -> 'removed'),
         jsonb_array_length(d -> 'changed')) as summary
       from (select public.diff_artifact_versions($1, 1, 2) -> 'bom' as d) x`,
      [diffBom],
    );
    const diffSamples: number[] = [];
    for (let i = 0; i < 10; i++) await timed(db, `select public.diff_artifact_versions($1, 1, 2)`, [diffBom]);
    for (let i = 0; i < iterations; i++) {
      diffSamples.push(await timed(db, `select public.diff_artifact_versions($1, 1, 2)`, [diffBom]));
    }
    const d = percentiles(diffSamples);
    rows.push([`diff_artifact_versions (200-part BOMs: ${summary})`, d.p50.toFixed(3), d.p95.toFixed(3), ""]);

    // ------------------------------------------------------------ the content validators alone
    for (
      const [type, label, json] of [
        ["bom", "200-part BOM", bom(200)],
        ["wiring", "300 wiring steps", wiring(300, 200)],
        ["code", "50 code files", code(50)],
      ] as const
    ) {
      const validate = () =>
        timed(db, `select private.validate_artifact_content($1, null, $2::jsonb, null)`, [type, json]);
      for (let i = 0; i < 10; i++) await validate();
      const samples: number[] = [];
      for (let i = 0; i < iterations; i++) samples.push(await validate());
      const v = percentiles(samples);
      rows.push([`validate_artifact_content (${label})`, v.p50.toFixed(3), v.p95.toFixed(3), ""]);
    }
    await db.close();

    console.log(`\n${iterations} timed calls per row, one autocommitted statement each, as a signed-in user\n`);
    printTable(["operation", "median ms", "p95 ms", "ratio"], rows, { rightFrom: 1 });
    console.log(`\nnew version, ~1,000 vs 1 prior versions (median ratio; aim ≤ 1.2): ${ratios.join(", ")}`);
  } finally {
    await engine.stop();
  }
}
