"""Rebuild a run folder (config.json, checkpoint.pt) from an exported model folder, so that a new stage can
start from a shipped model when the runs that made it are gone: run folders live outside the repository,
and a fresh machine has none.

    /usr/bin/python3 training/checkpoint_from_onnx.py --model models/encoder --out $DATA/runs/shipped
    /usr/bin/python3 training/finetune_contrastive.py --init $DATA/runs/shipped ...

The int8 weights are dequantized (MatMul weights per output column, token tables per row), so the rebuilt
encoder is the shipped model up to its quantization error; it is checked against the float reference
outputs the export wrote (`parity/reference.json`) and refused below --min-cosine. Which ONNX initializer
holds which parameter is read off a float export of the same architecture, matching weights by value, so
no naming rule of the exporter is assumed. The shapes give the sizes; the head count is not in the graph
(--heads; a wrong one fails the check). The masked-LM head is not exported: a stage with --mlm-weight
starts a new one.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent))
from encoder_model import CodeEncoder, EncoderConfig, ExportWrapper  # noqa: E402
from export_onnx import COUNTS_INPUT, export_onnx  # noqa: E402


def float_initializers(model: onnx.ModelProto) -> dict[str, np.ndarray]:
    """Every initializer as float32, int8 ones dequantized; keyed by the name of the float tensor they stand for:
    a quantized MatMul's output (its weight, [in, out]), a quantized Gather's table, or the initializer itself."""
    arrays = {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
    weights: dict[str, np.ndarray] = {}
    for name, array in arrays.items():
        if name.endswith("_w_q"):
            base = name[: -len("_w_q")]
            assert not arrays[f"{base}_w_zp"].any(), f"{name}: the quantizer writes symmetric weights (zero point 0)"
            weights[f"matmul:{base}"] = array.astype(np.float32) * arrays[f"{base}_w_scale"][None, :]
        elif name.endswith("_table_q"):
            base = name[: -len("_table_q")]
            assert not arrays[f"{base}_table_zp"].any(), f"{name}: the quantizer writes symmetric tables (zero point 0)"
            weights[f"gather:{base}"] = array.astype(np.float32) * arrays[f"{base}_table_scale"][:, None]
        elif array.dtype == np.float32 and not name.endswith(("_w_scale", "_table_scale")):
            weights[f"tensor:{name}"] = array
    return weights


def config_from_shapes(weights: dict[str, np.ndarray], heads: int, inputs: list[str]) -> EncoderConfig:
    """The architecture the graph's shapes (and its inputs: token counts mean "log-tf" pooling) imply (see
    float_initializers for the keys)."""
    tensors = {key[len("tensor:"):]: value for key, value in weights.items() if key.startswith("tensor:")}
    if "encoder.position_embeddings.weight" not in tensors or "encoder.blocks.0.ffn.0.bias" not in tensors:
        raise SystemExit("not an Astrolabe encoder export (no position table or first block)")
    positions = tensors["encoder.position_embeddings.weight"]
    # The quantizer keeps tables of fewer than 1,000 rows in float, under the parameter's name.
    tables = [tensors["encoder.token_embeddings.weight"]] if "encoder.token_embeddings.weight" in tensors else \
        [value for key, value in weights.items() if key.startswith("gather:") and value.shape[1] == positions.shape[1]]
    layers = len({key.split(".")[2] for key in tensors if key.startswith("encoder.blocks.")})
    return EncoderConfig(vocab_size=tables[0].shape[0], hidden_size=positions.shape[1], layers=layers, heads=heads,
                         ffn_size=tensors["encoder.blocks.0.ffn.0.bias"].shape[0], max_positions=positions.shape[0],
                         bag_of_words="encoder.bag.position_embeddings.weight" in tensors,
                         pooling="log-tf" if COUNTS_INPUT in inputs else "mean")


def parameter_sources(config: EncoderConfig) -> dict[str, list[str]]:
    """For each parameter of CodeEncoder(config): the keys under which float_initializers may find it (quantized,
    or kept as a float initializer), read off a float export of a randomly initialized twin by matching values;
    the quantizer names its tensors after the MatMul or Gather they replace."""
    torch.manual_seed(0)
    twin = CodeEncoder(config).eval()
    with torch.no_grad():  # every value distinct: the exporter merges equal constants (zero biases, unit norms)
        for parameter in twin.parameters():
            parameter.normal_()
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's shape-inference chatter
        export_onnx(twin, Path(folder) / "model.fp32.onnx")
        graph = onnx.load(str(Path(folder) / "model.fp32.onnx")).graph
    arrays = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    parameters = {name: parameter.numpy() for name, parameter in twin.state_dict().items()}
    sources: dict[str, list[str]] = {}

    def holders(value: np.ndarray) -> list[str]:
        return [name for name, parameter in parameters.items() if parameter.shape == value.shape and np.array_equal(parameter, value)]

    def holder(matches: list[str], what: str) -> str:
        assert len(matches) == 1, f"{what}: {len(matches)} parameters hold this value"
        return matches[0]

    for node in graph.node:
        if node.op_type not in ("MatMul", "Gather") or len(node.input) < 2:
            continue
        weight = node.input[1 if node.op_type == "MatMul" else 0]
        if weight not in arrays or arrays[weight].ndim != 2:
            continue  # not a constant weight
        base = node.output[0].replace("/", "_").replace(":", "_")
        if node.op_type == "MatMul":
            sources.setdefault(holder(holders(arrays[weight].T), node.name), []).append(f"matmul:{base}")
        else:
            sources.setdefault(holder(holders(arrays[weight]), node.name), []).append(f"gather:{base}")
    for name, value in arrays.items():
        matches = holders(value) if value.dtype == np.float32 and value.size > 1 else []
        if matches:  # none: a constant of the graph's own
            sources.setdefault(holder(matches, name), []).append(f"tensor:{name}")
    missing = sorted(set(parameters) - set(sources))
    assert not missing, f"no ONNX tensor found for {missing[:4]}"
    return sources


def rebuild(model_dir: Path, heads: int) -> tuple[CodeEncoder, EncoderConfig]:
    model = onnx.load(str(model_dir / "model.onnx"))
    weights = float_initializers(model)
    config = config_from_shapes(weights, heads, [value.name for value in model.graph.input])
    state = {}
    for name, keys in parameter_sources(config).items():
        found = [key for key in keys if key in weights]
        if len(found) != 1:
            raise SystemExit(f"{model_dir / 'model.onnx'}: {len(found)} tensors for {name} (looked for {keys});"
                             " was it exported by another torch version?")
        value = weights[found[0]].T if found[0].startswith("matmul:") else weights[found[0]]
        state[name] = torch.from_numpy(np.array(value, dtype=np.float32))  # a writable copy
    encoder = CodeEncoder(config)
    encoder.load_state_dict(state)
    return encoder.eval(), config


def reference_cosines(encoder: CodeEncoder, reference: dict) -> np.ndarray:
    """Cosines of the rebuilt encoder's outputs with the exported float model's on the reference sequences: the
    pooled embeddings, and every layer's first and last token (the blocks alone, without the bag-of-words branch)."""
    ids, mask = torch.tensor(reference["input_ids"]), torch.tensor(reference["attention_mask"])
    counts = torch.tensor(reference[COUNTS_INPUT]) if COUNTS_INPUT in reference else None
    with torch.no_grad():
        embedding, hidden_states = ExportWrapper(encoder).eval()(ids, mask, counts)
    lengths = mask.sum(dim=1)
    tokens = torch.stack([torch.stack([hidden_states[:, row, 0], hidden_states[:, row, lengths[row] - 1]], dim=1) for row in range(ids.shape[0])], dim=1)
    expected_tokens = torch.tensor(reference["hidden_states_probe"])  # (layers + 1, batch, 2, hidden)
    cosine = torch.nn.functional.cosine_similarity
    return torch.cat([cosine(embedding, torch.tensor(reference["embedding"]), dim=-1).flatten(),
                      cosine(tokens, expected_tokens, dim=-1).flatten()]).numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True, help="an exported model folder (model.onnx, parity/reference.json)")
    parser.add_argument("--out", type=Path, required=True, help="the run folder to write")
    parser.add_argument("--heads", type=int, default=EncoderConfig.heads)
    parser.add_argument("--min-cosine", type=float, default=0.99,
                        help="refuse when a reference embedding's cosine with the float export is lower")
    args = parser.parse_args()
    if (args.out / "checkpoint.pt").exists():
        parser.error(f"{args.out / 'checkpoint.pt'} exists; a run folder is never overwritten")

    encoder, config = rebuild(args.model, args.heads)
    cosines = reference_cosines(encoder, json.loads((args.model / "parity" / "reference.json").read_text()))
    if cosines.min() < args.min_cosine:
        raise SystemExit(f"{args.model}: rebuilt embeddings differ from the export's reference (min cosine {cosines.min():.4f});"
                         f" is --heads {args.heads} right?")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "config.json").write_text(json.dumps(config.to_json(), indent=2))
    model_id = json.loads((args.model / "config.json").read_text()).get("modelId")
    torch.save({"encoder": encoder.state_dict(), "config": config.to_json(), "rebuilt_from": model_id}, args.out / "checkpoint.pt")
    print(json.dumps({"out": str(args.out), "from": model_id, "layers": config.layers, "bag_of_words": config.bag_of_words,
                      "reference_cosine_min": round(float(cosines.min()), 6)}))


if __name__ == "__main__":
    main()
