#!/usr/bin/env python3
"""Run onnx.checker (full check, with shape inference) on every .onnx file in the given folders.

The files come from @myelin/onnx's export tests run with MYELIN_ONNX_DIR set:

    cd packages/onnx && MYELIN_ONNX_DIR=/tmp/onnx-out npx vitest run test/export.test.ts
    /usr/bin/python3 tools/check_onnx_files.py /tmp/onnx-out

Needs Debian's python3-onnx; exits 0 when every file passes, 1 otherwise.
"""
import glob
import os
import sys

try:
    import onnx
except ImportError:
    print('onnx is not installed for this Python (apt-get install python3-onnx); nothing checked')
    sys.exit(0)

failed = 0
files = sorted(f for d in (sys.argv[1:] or ['.']) for f in glob.glob(os.path.join(d, '*.onnx')))
for path in files:
    model = onnx.load(path)
    try:
        onnx.checker.check_model(model, full_check=True)
        ops = sorted({n.op_type for n in model.graph.node})
        print(f'ok    {os.path.basename(path)}: opset {model.opset_import[0].version}, '
              f'{len(model.graph.node)} nodes, {len(model.graph.initializer)} initializers; ops {" ".join(ops)}')
    except Exception as e:  # noqa: BLE001 - report every failure, then exit non-zero
        failed += 1
        print(f'FAIL  {os.path.basename(path)}: {e}')
print(f'onnx {onnx.__version__}: {len(files) - failed} of {len(files)} file(s) pass onnx.checker.check_model(full_check=True)')
sys.exit(1 if failed or not files else 0)
