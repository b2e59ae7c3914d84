"""Carry trained AST probes over to a new export of an encoder whose hidden states cannot have changed: a stage
that trained only the bag-of-words branch (`finetune_contrastive.py --bag-only`) leaves the blocks as they were,
and the probes read nothing else.

    /usr/bin/python3 training/probe_carry_over.py --probe models/encoder/probe --trained-on OLD/model.onnx --model models/encoder

It compares, in both ONNX files, the part of the graph that computes the `hidden_states` output (every node it
depends on, with its attributes, and every weight those nodes read, byte for byte). Only if they are identical
does it rewrite the model id in the probe folder's `probe.json` and `results.json` to the new model's; otherwise
it names the first difference and changes nothing: the probes must then be trained again (P2-P4 in
training/README.md).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import onnx

HIDDEN_STATES = "hidden_states"


def hidden_state_graph(model: onnx.ModelProto) -> tuple[list[bytes], dict[str, bytes]]:
    """The nodes the hidden-states output depends on (serialized, in graph order) and the weights they read, with
    every tensor renamed for what it is: a graph input keeps its name, a node's output becomes its place in that
    order, a weight its place among the weights read. The exporter numbers its anonymous tensors as it traces, so
    another part of the graph (a pooling that takes another input) renumbers names here without changing anything
    they compute."""
    graph = model.graph
    producer = {output: node for node in graph.node for output in node.output}
    initializers = {init.name: init for init in graph.initializer}
    needed, stack = set(), [HIDDEN_STATES]
    while stack:
        name = stack.pop()
        node = producer.get(name)
        if node is None or id(node) in needed:
            continue
        needed.add(id(node))
        stack.extend(node.input)
        # Subgraphs (If, Loop) read outer names too; the encoder has none, but do not miss them if it ever does.
        for attribute in node.attribute:
            for subgraph in [attribute.g, *attribute.graphs]:
                stack.extend(name for sub_node in subgraph.node for name in sub_node.input)
    nodes = [node for node in graph.node if id(node) in needed]
    if not nodes:
        raise ValueError(f"the graph has no '{HIDDEN_STATES}' output")
    canonical = {HIDDEN_STATES: HIDDEN_STATES}
    for index, node in enumerate(nodes):
        for slot, output in enumerate(node.output):
            canonical.setdefault(output, f"node{index}:{slot}")
    weights: dict[str, bytes] = {}
    for node in nodes:
        for name in node.input:
            if name in initializers and name not in canonical:
                canonical[name] = f"weight{len(weights)}"
                tensor = onnx.TensorProto()
                tensor.CopyFrom(initializers[name])
                tensor.name = ""  # the values, type and shape: what the node reads
                weights[canonical[name]] = tensor.SerializeToString()

    def renamed(names) -> list[str]:
        return [canonical.get(name, name) for name in names]  # graph inputs (and '' for an omitted one) as they are

    # Node names are labels only; what a node computes is its op, its inputs and outputs, and its attributes.
    signature = [onnx.NodeProto(op_type=node.op_type, domain=node.domain, input=renamed(node.input), output=renamed(node.output),
                                attribute=node.attribute).SerializeToString() for node in nodes]
    return signature, weights


def first_difference(old: onnx.ModelProto, new: onnx.ModelProto) -> str | None:
    """None when the hidden states are computed identically; else what differs."""
    old_nodes, old_weights = hidden_state_graph(old)
    new_nodes, new_weights = hidden_state_graph(new)
    if len(old_nodes) != len(new_nodes):
        return f"the hidden states take {len(old_nodes)} nodes in one graph and {len(new_nodes)} in the other"
    for index, (a, b) in enumerate(zip(old_nodes, new_nodes)):
        if a != b:
            node = onnx.NodeProto.FromString(a)
            return f"node {index} ({node.op_type} -> {', '.join(node.output)}) differs"
    for name in sorted(set(old_weights) | set(new_weights)):
        if old_weights.get(name) != new_weights.get(name):
            return f"weight '{name}' differs"
    return None


def write_json_atomically(path: Path, value: dict) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "w") as handle:
        handle.write(json.dumps(value, indent=2 if path.name == "results.json" else None) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--probe", type=Path, required=True, help="the probe folder (probe.json, results.json, weights)")
    parser.add_argument("--trained-on", type=Path, required=True, help="the ONNX file of the encoder the probes were trained on")
    parser.add_argument("--model", type=Path, required=True, help="the new model folder (config.json, its ONNX file)")
    args = parser.parse_args()

    config = json.loads((args.model / "config.json").read_text())
    difference = first_difference(onnx.load(str(args.trained_on)), onnx.load(str(args.model / config["onnx"])))
    if difference is not None:
        print(f"{args.model / config['onnx']}: not carried over, the hidden states changed: {difference}; "
              "train the probes again (training/README.md, P2-P4)", file=sys.stderr)
        return 1
    for name in ("probe.json", "results.json"):
        path = args.probe / name
        manifest = json.loads(path.read_text())
        previous, manifest["modelId"] = manifest["modelId"], config["modelId"]
        write_json_atomically(path, manifest)
        print(f"{path}: {previous} -> {config['modelId']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
