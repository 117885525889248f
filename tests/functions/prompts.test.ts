/**
 * functions/_shared/prompts.ts: templates filled in (a missing variable is a clear 500 naming the
 * prompt version and what is missing), a version's params split into the model's and the agent's,
 * and the token estimate the context budget uses.
 */
import assert from "node:assert/strict";
import { HttpError } from "../../functions/_shared/errors.ts";
import { estimateTokens, modelSettings, renderTemplate } from "../../functions/_shared/prompts.ts";

const prompt = { name: "bom_generator", version: 3, template: "Hi {{name}}, about {{ topic }}; again {{name}}." };

Deno.test("prompts: a template is filled in, {{ spaced }} variables too, values it does not use ignored", () => {
  assert.equal(
    renderTemplate(prompt, { name: "Ada", topic: "sensors", unused: "x" }),
    "Hi Ada, about sensors; again Ada.",
  );
  assert.equal(renderTemplate({ ...prompt, template: "No variables {here}" }, {}), "No variables {here}");
  assert.equal(renderTemplate(prompt, { name: "", topic: "$1 & {{name}}" }), "Hi , about $1 & {{name}}; again .");
});

Deno.test("prompts: a variable the function does not provide is a 500 naming the version and the variables", () => {
  assert.throws(
    () => renderTemplate(prompt, { name: "Ada", topic: null, date: "2026-01-01" }),
    (e) => {
      assert.ok(e instanceof HttpError);
      assert.equal(e.status, 500);
      assert.equal(e.code, "PROMPT_VARIABLE_MISSING");
      assert.equal(
        e.message,
        "Prompt bom_generator version 3 uses {{topic}}, which this function does not provide (it provides {{name}}, {{date}})",
      );
      assert.deepEqual(e.body.missing, ["topic"]);
      return true;
    },
  );
});

Deno.test("prompts: params give the model's settings and the agent's, checked", () => {
  const settings = modelSettings({
    name: "p",
    version: 1,
    params: { temperature: 0.2, max_tokens: 400, context_tokens: 2000, vendor_thing: true },
  });
  assert.deepEqual(settings.request, { temperature: 0.2, max_tokens: 400 }, "unknown keys are left out");
  assert.equal(settings.contextTokens, 2000);
  assert.equal(settings.maxToolRounds, 4, "the default");
  assert.deepEqual(modelSettings({ name: "p", version: 1, params: {} }).contextTokens, 6000);
  assert.throws(
    () => modelSettings({ name: "p", version: 2, params: { temperature: "hot" } }),
    (e) => e instanceof HttpError && e.code === "PROMPT_PARAMS_INVALID" && /Prompt p version 2/.test(e.message),
  );
});

Deno.test("prompts: the token estimate is a quarter of the characters, rounded up", () => {
  assert.equal(estimateTokens(""), 0);
  assert.equal(estimateTokens("abcd"), 1);
  assert.equal(estimateTokens("abcde"), 2);
});
