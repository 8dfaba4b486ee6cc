import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, writeFile, readFile, readdir, rm, appendFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { modelConfigFromPreset } from "./presets.ts";
import { writeManifest, readArtifact, describeFile, parseManifest, arDecoderRoles, servedDecoder, servedClamp, ArtifactError, MANIFEST_FILE, type Manifest } from "./manifest.ts";
import { writeFileAtomic, writeDirAtomic } from "./atomic.ts";

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), "ldtext-manifest-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const io = [{ name: "tokens", dtype: "int64" as const, shape: ["B", "L"] }];

const fakeGraph = { file: "g.onnx", sha256: "0".repeat(64), bytes: 1, dtype: "fp32" as const, inputs: io, outputs: io };

/** A schema-valid manifest (files not checked: parseManifest only). */
function validManifest(): Manifest {
  const config = modelConfigFromPreset("tiny", "generate", 259);
  return {
    schemaVersion: 1,
    id: "tiny-generate",
    version: "1",
    task: "generate",
    createdAt: new Date(0).toISOString(),
    config,
    vocabulary: { kind: "compact-bpe", version: 1, base: "gpt2", specials: { pad: 0, bos: 1, eos: 2 }, byteOffset: 3, bpeIds: [], tokenBytes: [] },
    normalization: { kind: "data", alpha: 0.01, mean: new Array(config.latentDim).fill(0), sq: new Array(config.latentDim).fill(1) },
    latent: { length: config.maxLen, dim: config.latentDim },
    graphs: { denoiser: fakeGraph, decoder: fakeGraph },
    training: { command: "test", seconds: 0, steps: 0, finalLosses: {} },
  };
}

/** A small but complete artifact folder with fake graph bytes. */
async function makeArtifact(name: string): Promise<{ dir: string; manifest: Manifest }> {
  const dir = join(root, name);
  await writeDirAtomic(dir, async (tmp) => {
    for (const f of ["encoder.onnx", "denoiser.onnx", "decoder.onnx", "decoder.onnx.data"]) await writeFile(join(tmp, f), `bytes of ${f} `.repeat(100));
  });
  const graph = async (file: string) => ({ ...(await describeFile(dir, file)), dtype: "fp32" as const, inputs: io, outputs: io });
  const manifest: Manifest = {
    ...validManifest(),
    graphs: {
      encoder: await graph("encoder.onnx"),
      denoiser: await graph("denoiser.onnx"),
      decoder: { ...(await graph("decoder.onnx")), externalData: await describeFile(dir, "decoder.onnx.data") },
    },
    training: { command: "npm run train -- --preset tiny", seconds: 1.5, steps: 10, finalLosses: { dif: 0.5, ce: 2.1 } },
    evaluation: { mauve: 0.5, note: "test" },
  };
  await writeManifest(dir, manifest);
  return { dir, manifest };
}

describe("artifact manifest", () => {
  test("write then read verifies and returns the manifest", async () => {
    const { dir, manifest } = await makeArtifact("ok");
    assert.deepEqual(await readArtifact(dir), manifest);
    assert.ok(!(await readdir(dir)).some((f) => f.startsWith(".")), "no temporary files left behind");
  });

  test("a tampered graph file fails with an error naming the file", async () => {
    const { dir } = await makeArtifact("tampered");
    const bytes = await readFile(join(dir, "denoiser.onnx"));
    bytes[10] ^= 1; // same size, one bit flipped
    await writeFile(join(dir, "denoiser.onnx"), bytes);
    await assert.rejects(readArtifact(dir), (err: unknown) => {
      assert.ok(err instanceof ArtifactError);
      assert.match(err.message, /denoiser\.onnx: graph "denoiser" fails verification: sha256 is [0-9a-f]{64}, the manifest says/);
      return true;
    });
    const { dir: d2 } = await makeArtifact("truncated");
    await appendFile(join(d2, "decoder.onnx.data"), "x");
    await assert.rejects(readArtifact(d2), /decoder\.onnx\.data: external data of graph "decoder" has \d+ bytes, the manifest says/);
    const { dir: d3 } = await makeArtifact("missing");
    await rm(join(d3, "encoder.onnx"));
    await assert.rejects(readArtifact(d3), /encoder\.onnx: graph "encoder" is listed in the manifest but the file is missing/);
  });

  test("invalid manifests are refused with the field named, and not written", async () => {
    const { dir, manifest } = await makeArtifact("invalid");
    const before = await readFile(join(dir, MANIFEST_FILE), "utf8");
    const bad = { ...manifest, config: { ...manifest.config, vocabSize: 300 } };
    await assert.rejects(writeManifest(dir, bad), /config\.vocabSize: config\.vocabSize 300 but the vocabulary has 259 ids/);
    const noDecoder = { ...manifest, graphs: { encoder: manifest.graphs.encoder, denoiser: manifest.graphs.denoiser } };
    await assert.rejects(writeManifest(dir, noDecoder), /graphs\.decoder: graph "decoder" is required/);
    // Serving artifacts may leave the encoder out (generation starts from noise).
    const { encoder: _encoder, ...servingGraphs } = manifest.graphs;
    await writeManifest(dir, { ...manifest, graphs: servingGraphs });
    await writeManifest(dir, manifest);
    await assert.rejects(writeManifest(dir, { ...manifest, graphs: { ...manifest.graphs, encoder: { ...manifest.graphs.encoder!, file: "../x.onnx" } } }), /plain file name/);
    assert.equal(await readFile(join(dir, MANIFEST_FILE), "utf8"), before);
    await writeFile(join(dir, MANIFEST_FILE), "{ not json");
    await assert.rejects(readArtifact(dir), /manifest\.json: not valid JSON/);
    await assert.rejects(readArtifact(join(root, "nope")), /manifest\.json: cannot read the manifest \(ENOENT\)/);
  });

  test("ArDec roles: the KV-cached pair ar_memory + ar_step (together, with config.arDec) and ar_decoder; which ArDec graphs decode", () => {
    const m = validManifest();
    const g = m.graphs.decoder!;
    const arDec = { dModel: 32, heads: 2, layers: 1, ffn: 64 };
    const withAr = (graphs: Partial<Manifest["graphs"]>, cfg: Manifest["config"] = { ...m.config, arDec }) => ({ ...m, config: cfg, graphs: { ...m.graphs, ...graphs } });
    const pair = parseManifest(withAr({ ar_memory: g, ar_step: g }));
    assert.deepEqual(arDecoderRoles(pair), ["ar_memory", "ar_step"]);
    assert.equal(servedDecoder(pair), "ar");
    // With the uncached graph too, the pair decodes; the uncached one alone still does (older artifacts).
    assert.deepEqual(arDecoderRoles(parseManifest(withAr({ ar_memory: g, ar_step: g, ar_decoder: g }))), ["ar_memory", "ar_step"]);
    const old = parseManifest(withAr({ ar_decoder: g }));
    assert.deepEqual(arDecoderRoles(old), ["ar_decoder"]);
    assert.equal(servedDecoder(old, "ar"), "ar");
    assert.deepEqual(arDecoderRoles(m), []);
    assert.equal(servedDecoder(m), "nar");
    assert.throws(() => servedDecoder(m, "ar"), /ArDec graphs \(ar_memory \+ ar_step, or ar_decoder\)/);
    assert.throws(() => parseManifest(withAr({ ar_step: g })), /graphs\.ar_memory: graphs "ar_memory" and "ar_step" come as a pair/);
    assert.throws(() => parseManifest(withAr({ ar_memory: g })), /graphs\.ar_step: graphs "ar_memory" and "ar_step" come as a pair/);
    assert.throws(() => parseManifest(withAr({ ar_memory: g, ar_step: g }, m.config)), /graphs\.ar_memory: graph "ar_memory" needs config\.arDec/);
  });

  test("sampling.clamp: a served clamping default needs the encoder graph; servedClamp reads it", () => {
    const m = validManifest();
    assert.equal(servedClamp(m), 0);
    assert.throws(() => parseManifest({ ...m, sampling: { clamp: 0.5 } }), /sampling\.clamp: latent clamping re-encodes x̂0: it needs the encoder graph/);
    const withEncoder = parseManifest({ ...m, graphs: { ...m.graphs, encoder: fakeGraph }, sampling: { clamp: 0.5 } });
    assert.equal(servedClamp(withEncoder), 0.5);
    assert.equal(servedClamp(parseManifest({ ...m, sampling: { clamp: 0 } })), 0, "0 (off) needs no encoder");
    assert.throws(() => parseManifest({ ...withEncoder, sampling: { clamp: 1.5 } }), /sampling\.clamp/);
  });

  test("a writer killed between write and rename leaves the old manifest intact", async () => {
    const { dir, manifest } = await makeArtifact("killed");
    const before = await readFile(join(dir, MANIFEST_FILE), "utf8");
    const atomicUrl = new URL("./atomic.ts", import.meta.url).href;
    // The child writes a new manifest and SIGKILLs itself after the temp file is complete, before the rename.
    const code = `
      import { writeFileAtomic } from ${JSON.stringify(atomicUrl)};
      await writeFileAtomic(${JSON.stringify(join(dir, MANIFEST_FILE))}, ${JSON.stringify(JSON.stringify({ ...manifest, version: "2" }))},
        { beforeRename: () => process.kill(process.pid, "SIGKILL") });
      console.log("not reached");`;
    const res = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { cwd: fileURLToPath(new URL("../..", import.meta.url)), encoding: "utf8" });
    assert.equal(res.signal, "SIGKILL", `child should have been killed: ${res.stderr}`);
    assert.ok(!res.stdout.includes("not reached"));
    assert.equal(await readFile(join(dir, MANIFEST_FILE), "utf8"), before, "old manifest unchanged");
    assert.equal((await readArtifact(dir)).version, "1");
    // A failure injected in-process cleans up its temporary file and leaves no manifest behind.
    const fresh = join(root, "fresh");
    await writeDirAtomic(fresh, () => {});
    await assert.rejects(
      writeFileAtomic(join(fresh, MANIFEST_FILE), "{}", { beforeRename: () => { throw new Error("injected crash"); } }),
      /injected crash/,
    );
    assert.deepEqual(await readdir(fresh), []);
  });

  test("writeDirAtomic: a failing build leaves nothing; replace swaps the whole folder", async () => {
    const target = join(root, "dirs", "model");
    await assert.rejects(writeDirAtomic(target, async (tmp) => {
      await writeFile(join(tmp, "half.onnx"), "x");
      throw new Error("build failed");
    }), /build failed/);
    assert.deepEqual(await readdir(join(root, "dirs")), []);
    await writeDirAtomic(target, (tmp) => writeFile(join(tmp, "a"), "1"));
    await assert.rejects(writeDirAtomic(target, () => {}), /already exists/);
    await writeDirAtomic(target, (tmp) => writeFile(join(tmp, "b"), "2"), { replace: true });
    assert.deepEqual(await readdir(target), ["b"]);
    assert.deepEqual(await readdir(join(root, "dirs")), ["model"]);
  });
});
