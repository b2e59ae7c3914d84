"""Dynamic int8 quantization of an exported encoder, written with onnx + numpy (no onnxruntime here).

Each MatMul with a constant weight becomes DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul, the
pattern onnxruntime's CPU kernels run in int8 (activations uint8, weights int8 per output column,
symmetric). The token embedding table is stored int8 per row and dequantized in the graph;
onnxruntime folds that back to float when it loads the model, so only the file gets smaller.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def quantize_int8(source: Path, target: Path, embedding_min_rows: int = 1000) -> dict:
    model = onnx.load(str(source))
    graph = model.graph
    initializers = {init.name: init for init in graph.initializer}
    consumers: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            consumers[name] = consumers.get(name, 0) + 1

    new_nodes = []
    replaced = 0
    for node in graph.node:
        weight = initializers.get(node.input[1]) if node.op_type == "MatMul" and len(node.input) == 2 else None
        if weight is None or len(weight.dims) != 2:
            if node.op_type == "Gather" and node.input[0] in initializers and initializers[node.input[0]].dims[0] >= embedding_min_rows:
                new_nodes.extend(_quantized_gather(graph, node, initializers, consumers))
                continue
            new_nodes.append(node)
            continue
        new_nodes.extend(_quantized_matmul(graph, node, weight, initializers, consumers))
        replaced += 1

    del graph.node[:]
    graph.node.extend(new_nodes)
    used = {name for node in graph.node for name in node.input}
    kept = [init for init in graph.initializer if init.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    onnx.checker.check_model(model)
    target.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(target))
    return {"matmuls_quantized": replaced, "bytes_fp32": source.stat().st_size, "bytes_int8": target.stat().st_size}


def _quantized_matmul(graph, node, weight, initializers, consumers):
    w = numpy_helper.to_array(weight).astype(np.float32)
    scale = np.maximum(np.abs(w).max(axis=0), 1e-8) / 127.0
    w_q = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
    base = node.output[0].replace("/", "_").replace(":", "_")
    names = {key: f"{base}_{key}" for key in ("w_q", "w_zp", "w_scale", "a_q", "a_scale", "a_zp", "acc", "acc_f", "scaled")}
    graph.initializer.extend([
        numpy_helper.from_array(w_q, names["w_q"]),
        numpy_helper.from_array(np.zeros(w.shape[1], dtype=np.int8), names["w_zp"]),
        numpy_helper.from_array(scale.astype(np.float32), names["w_scale"]),
    ])
    _drop_if_unused(weight.name, initializers, consumers)
    return [
        helper.make_node("DynamicQuantizeLinear", [node.input[0]], [names["a_q"], names["a_scale"], names["a_zp"]]),
        helper.make_node("MatMulInteger", [names["a_q"], names["w_q"], names["a_zp"], names["w_zp"]], [names["acc"]]),
        helper.make_node("Cast", [names["acc"]], [names["acc_f"]], to=TensorProto.FLOAT),
        helper.make_node("Mul", [names["acc_f"], names["a_scale"]], [names["scaled"]]),
        helper.make_node("Mul", [names["scaled"], names["w_scale"]], [node.output[0]]),
    ]


def _quantized_gather(graph, node, initializers, consumers):
    table_init = initializers[node.input[0]]
    table = numpy_helper.to_array(table_init).astype(np.float32)
    scale = np.maximum(np.abs(table).max(axis=1), 1e-8) / 127.0
    table_q = np.clip(np.round(table / scale[:, None]), -127, 127).astype(np.int8)
    base = node.output[0].replace("/", "_").replace(":", "_")
    q_name, scale_name, zp_name, deq_name = f"{base}_table_q", f"{base}_table_scale", f"{base}_table_zp", f"{base}_table"
    graph.initializer.extend([
        numpy_helper.from_array(table_q, q_name),
        numpy_helper.from_array(scale.astype(np.float32), scale_name),
        numpy_helper.from_array(np.zeros(table.shape[0], dtype=np.int8), zp_name),
    ])
    _drop_if_unused(table_init.name, initializers, consumers)
    return [
        helper.make_node("DequantizeLinear", [q_name, scale_name, zp_name], [deq_name], axis=0),
        helper.make_node("Gather", [deq_name, node.input[1]], list(node.output), **{a.name: helper.get_attribute_value(a) for a in node.attribute}),
    ]


def _drop_if_unused(name, initializers, consumers):
    consumers[name] -= 1
    if consumers[name] == 0:
        initializers.pop(name, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    args = parser.parse_args()
    print(quantize_int8(args.source, args.target))


if __name__ == "__main__":
    main()
