// `Identity` and same-dtype `Cast` for the wasm backend that share the input's memory (reference
// counted, like wasm's own Reshape and like the cpu backend's Identity) instead of copying it.
// Why: tfjs clones every tensor it saves for the backward pass through `Identity`, and the stock
// wasm kernel copies the data — doubling the memory of saved activations (batch 32 of the reference
// model then no longer fits the 4 GiB wasm heap) and costing a memcpy each. Sharing is safe because
// tfjs tensors are immutable: variable.assign() swaps data, and no kernel here writes its inputs.
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs";

interface RefCountingBackend {
  incRef(dataId: object): void;
}

interface Args {
  inputs: { x: TensorInfo };
  backend: RefCountingBackend;
  attrs: NamedAttrMap;
}

function share(x: TensorInfo, backend: RefCountingBackend): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
}

function identity({ inputs, backend }: Args): TensorInfo {
  if (inputs.x.dtype === "string") throw new Error("zero-copy Identity does not handle strings");
  return share(inputs.x, backend);
}

export function zeroCopyIdentityConfig(stock: KernelConfig | null): KernelConfig {
  const stockFunc = stock?.kernelFunc as unknown as ((args: Args) => TensorInfo) | undefined;
  const kernelFunc = (args: Args): TensorInfo => (args.inputs.x.dtype === "string" && stockFunc ? stockFunc(args) : identity(args));
  return { kernelName: "Identity", backendName: "wasm", kernelFunc: kernelFunc as unknown as KernelFunc };
}

/** Cast to the same dtype shares; real conversions go to the stock kernel. */
export function zeroCopyCastConfig(stock: KernelConfig): KernelConfig {
  const stockFunc = stock.kernelFunc as unknown as (args: Args) => TensorInfo;
  const kernelFunc = (args: Args): TensorInfo =>
    args.attrs.dtype === args.inputs.x.dtype && args.inputs.x.dtype !== "string" ? share(args.inputs.x, args.backend) : stockFunc(args);
  return { kernelName: "Cast", backendName: "wasm", kernelFunc: kernelFunc as unknown as KernelFunc };
}
