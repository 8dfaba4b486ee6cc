// Backpropagation that frees memory as it goes. Hand-written replacement for tfjs-core 4.22's
// `Engine.gradients`/`backpropagateGradients` (tape.ts), because the stock one keeps, until the whole
// backward pass ends, (1) the gradient of every intermediate activation and (2) every tensor saved
// for the backward pass. A transformer's backward then holds about twice its forward activations,
// which on the wasm backend (one 4 GiB heap) is what stops batch 32 of the reference model.
// This version releases a node's output gradients and its saved tensors as soon as that node's
// input gradients exist. Values are bit-identical (same kernels, same order); only the lifetime of
// tensors changes. Higher-order gradients (gradients inside gradients) use the stock code.
import * as tf from "@tensorflow/tfjs";

interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: Array<tf.Tensor | null>) => Record<string, () => tf.Tensor>;
}

interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  gradients: GradientsFn;
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
  tidy<T>(name: string, f: () => T): T;
  tidy<T>(f: () => T): T;
}

type GradientsFn = (
  f: () => tf.Tensor,
  xs: tf.Tensor[],
  dy?: tf.Tensor,
  allowNoGradients?: boolean,
) => { value: tf.Tensor; grads: tf.Tensor[] };

/** tfjs-core tape.ts getFilteredNodesXToY, unchanged: the nodes on a path from xs to y. */
function filteredNodesXToY(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const tensorsFromX: Record<number, boolean> = {};
  const nodesFromX: Record<number, boolean> = {};
  for (const x of xs) tensorsFromX[x.id] = true;
  for (const node of tape) {
    for (const inputName in node.inputs) {
      if (tensorsFromX[node.inputs[inputName].id]) {
        for (const o of node.outputs) tensorsFromX[o.id] = true;
        nodesFromX[node.id] = true;
        break;
      }
    }
  }
  const tensorsLeadToY: Record<number, boolean> = { [y.id]: true };
  const nodesToY: Record<number, boolean> = {};
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    if (node.outputs.some((o) => tensorsLeadToY[o.id])) {
      for (const inputName in node.inputs) tensorsLeadToY[node.inputs[inputName].id] = true;
      nodesToY[node.id] = true;
    }
  }
  const filtered: TapeNode[] = [];
  for (const node of tape) {
    if (!nodesFromX[node.id] || !nodesToY[node.id]) continue;
    const pruned: Record<string, tf.Tensor> = {};
    for (const inputName in node.inputs) {
      if (tensorsFromX[node.inputs[inputName].id]) pruned[inputName] = node.inputs[inputName];
    }
    filtered.push({ ...node, inputs: pruned, outputs: node.outputs });
  }
  return filtered;
}

function backpropagate(grads: Map<number, tf.Tensor>, filtered: TapeNode[], engine: EngineInternals, keepIds: Set<number>): void {
  for (let i = filtered.length - 1; i >= 0; i--) {
    const node = filtered[i];
    const dys = node.outputs.map((o) => grads.get(o.id) ?? null);
    if (node.gradient == null) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
    const inputGradients = node.gradient(dys);
    const produced = new Set<tf.Tensor>();
    for (const inputName in node.inputs) {
      if (!(inputName in inputGradients)) {
        throw new Error(`Cannot backprop through input ${inputName}. Available gradients found: ${Object.keys(inputGradients)}.`);
      }
      const dx = engine.tidy(() => inputGradients[inputName]());
      if (dx.dtype !== "float32") {
        throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input ${inputName} must have 'float32' dtype, but has '${dx.dtype}'`);
      }
      const x = node.inputs[inputName];
      if (!tf.util.arraysEqual(dx.shape, x.shape)) {
        throw new Error(
          `Error in gradient for op ${node.kernelName}. The gradient of input '${inputName}' has shape '${dx.shape}', which does not match the shape of the input '${x.shape}'`,
        );
      }
      const cur = grads.get(x.id);
      if (cur === undefined) {
        grads.set(x.id, dx);
        produced.add(dx);
      } else {
        const sum = tf.add(cur, dx);
        grads.set(x.id, sum);
        produced.add(sum);
        cur.dispose();
      }
    }
    // This node was the only consumer of its outputs' gradients and of its saved tensors.
    for (let j = 0; j < node.outputs.length; j++) {
      const dy = dys[j];
      if (dy !== null && !produced.has(dy) && !keepIds.has(node.outputs[j].id)) {
        grads.delete(node.outputs[j].id);
        dy.dispose();
      }
    }
    if (node.saved) for (const s of node.saved) s.dispose();
  }
}

let installedOn: EngineInternals | null = null;
let stockGradients: GradientsFn | null = null;

/** Patches tfjs's engine (process-wide, idempotent). Returns false when the engine looks unfamiliar. */
export function installLeanBackprop(): boolean {
  const engine = tf.engine() as unknown as EngineInternals;
  if (installedOn === engine) return true;
  if (typeof engine.gradients !== "function" || typeof engine.startTape !== "function" || engine.state === undefined) return false;
  const stock = engine.gradients.bind(engine) as GradientsFn;
  const lean: GradientsFn = (f, xs, dy, allowNoGradients = false) => {
    // Higher-order gradients need the tape and saved tensors after this pass: stock behaviour.
    if (engine.state.gradientDepth > 0) return stock(f, xs, dy, allowNoGradients);
    if (xs.length === 0) throw new Error("gradients() received an empty list of xs.");
    if (dy != null && dy.dtype !== "float32") throw new Error(`dy must have 'float32' dtype, but has '${dy.dtype}'`);
    const y = engine.scopedRun(
      () => engine.startTape(),
      () => engine.endTape(),
      () => engine.tidy("forward", f),
    );
    if (!(y instanceof tf.Tensor)) throw new Error("The result y returned by f() must be a tensor.");
    const tape = engine.state.activeTape ?? [];
    const filtered = filteredNodesXToY(tape, xs, y);
    if (!allowNoGradients && filtered.length === 0 && xs.length > 0) {
      throw new Error(
        "Cannot compute gradient of y=f(x) with respect to x. Make sure that the f you passed encloses all operations that lead from x to y.",
      );
    }
    return engine.tidy("backward", () => {
      const grads = new Map<number, tf.Tensor>();
      grads.set(y.id, dy == null ? tf.ones(y.shape) : dy);
      const keep = new Set(xs.map((x) => x.id));
      if (dy != null) keep.add(y.id); // the caller's tensor
      backpropagate(grads, filtered, engine, keep);
      const out = xs.map((x) => grads.get(x.id)) as tf.Tensor[];
      for (const node of tape) for (const s of node.saved ?? []) s.dispose();
      engine.state.activeTape = null;
      return { value: y, grads: out };
    });
  };
  stockGradients = engine.gradients;
  engine.gradients = lean;
  installedOn = engine;
  return true;
}

/** Restores tfjs's own gradients (tests compare the two). */
export function uninstallLeanBackprop(): void {
  if (installedOn !== null && stockGradients !== null) installedOn.gradients = stockGradients;
  installedOn = null;
  stockGradients = null;
}
