#!/bin/sh
# Rebuilds fused.wasm from fused.c (needs clang and lld with the wasm32 target; Debian: clang-14 lld-14).
# The module imports tfjs's memory, so it must have no data segments and use no stack: checked below.
set -eu
cd "$(dirname "$0")"
CLANG=$(command -v clang || command -v clang-14)
LLD_DIR=/usr/lib/llvm-14/bin; command -v wasm-ld >/dev/null && LLD_DIR=$(dirname "$(command -v wasm-ld)")
"$CLANG" --target=wasm32 -O3 -msimd128 -nostdlib -fno-builtin -ffreestanding \
  -B "$LLD_DIR" -fuse-ld=lld \
  -Wl,--no-entry -Wl,--import-memory -Wl,--max-memory=4294967296 -Wl,-z,stack-size=0 \
  -Wl,--export=adamw -Wl,--export=ema -Wl,--export=sumsq -Wl,--export=xent -Wl,--export=colsum -Wl,--export=bcast_trailing -Wl,--export=bcast_rows -Wl,--export=rmsnorm_fwd -Wl,--export=rmsnorm_bwd -Wl,--export=swiglu_fwd -Wl,--export=swiglu_bwd \
  -o fused.wasm fused.c
node -e '
const m = new WebAssembly.Module(require("fs").readFileSync("fused.wasm"));
const data = WebAssembly.Module.customSections(m, "data").length;
const bytes = require("fs").readFileSync("fused.wasm");
// Section id 11 = data: its presence would mean static data written into the shared memory.
let off = 8, hasData = false;
while (off < bytes.length) { const id = bytes[off++]; let size = 0, shift = 0, b; do { b = bytes[off++]; size |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80); if (id === 11) hasData = true; off += size; }
if (hasData) { console.error("fused.wasm has a data section: it would overwrite tfjs memory"); process.exit(1); }
console.log("fused.wasm ok:", WebAssembly.Module.exports(m).map((e) => e.name).join(", "), "| imports:", WebAssembly.Module.imports(m).map((i) => i.module + "." + i.name).join(", "));
'
OBJDUMP=$(command -v llvm-objdump || echo /usr/lib/llvm-14/bin/llvm-objdump)
if "$OBJDUMP" -d fused.wasm | grep -q "global\.\|call "; then
  echo "fused.wasm touches a global (the stack pointer) or calls: it must be leaf code without stack" >&2
  exit 1
fi
