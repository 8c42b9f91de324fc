"""BANKING77 intent benchmark: Rasa's default NLU pipeline vs. the same plus MiniLM features.

For each pipeline in bench/configs/ (chosen with --pipelines) it trains an NLU-only model on
/work/shared/datasets/banking77/train.csv (converted to Rasa YAML in a temporary directory),
loads it with rasa.core.agent.Agent, parses every test sentence one at a time and prints one
JSON line:

    {"benchmark": "nlu_banking77", "pipeline": ..., "accuracy": ..., "macro_f1": ...,
     "train_seconds": ..., "parse_p50_ms": ..., "epochs": ..., ...}

`--epochs N` overrides `epochs` of every DIETClassifier in the configs. Rasa's training cache
is disabled so that train_seconds is a cold training. Test data is never used for training.

    python bench/nlu_banking77.py --epochs 1 --limit-train 1000 --limit-test 300   # smoke
    python bench/nlu_banking77.py --epochs 10 --pipelines minilm,default
    python bench/nlu_banking77.py --pipelines minilm_logreg
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import datetime as dt
import json
import logging
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = Path(__file__).resolve().parent / "configs"
DEFAULT_DATA = Path(
    os.environ.get("BANKING77_DIR", ROOT.parent / "shared" / "datasets" / "banking77")
)

# before rasa is imported: no training cache (cold timings), quiet TensorFlow, no downloads
os.environ.setdefault("RASA_MAX_CACHE_SIZE", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

Example = tuple[str, str]  # (text, intent)


def read_split(path: Path, limit: Optional[int] = None, seed: int = 42) -> list[Example]:
    """Rows of a BANKING77 csv (text,category); `limit` takes a seeded random sample."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = [(row["text"].strip(), row["category"]) for row in csv.DictReader(handle)]
    if limit is not None and limit < len(rows):
        rows = random.Random(seed).sample(rows, limit)
    return rows


def write_nlu_yaml(examples: list[Example], path: Path) -> None:
    """Writes examples as Rasa NLU YAML with Rasa's own writer (it escapes what needs it)."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    messages = [Message(data={"text": text, "intent": intent}) for text, intent in examples]
    RasaYAMLWriter().dump(path, TrainingData(training_examples=messages))


def write_config(name: str, epochs: Optional[int], path: Path) -> Optional[int]:
    """Copies bench/configs/NAME.yml to `path`, overriding DIET's epochs; returns the epochs.

    None when the pipeline has no DIETClassifier (nothing trained in epochs).
    """
    import yaml

    config: dict[str, Any] = yaml.safe_load((CONFIGS / f"{name}.yml").read_text("utf-8"))
    used: list[int] = []
    for component in config["pipeline"]:
        if component["name"] == "DIETClassifier":
            if epochs is not None:
                component["epochs"] = epochs
            used.append(int(component.get("epochs", 300)))
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return max(used) if used else None


def train(config: Path, nlu: Path, out_dir: Path, name: str) -> tuple[Path, float]:
    """Trains an NLU-only model; returns its path and the wall-clock seconds."""
    from rasa.model_training import train_nlu

    started = time.perf_counter()
    model = train_nlu(str(config), str(nlu), str(out_dir), fixed_model_name=name)
    seconds = time.perf_counter() - started
    if model is None:
        raise RuntimeError(f"training {name} produced no model")
    return Path(model), seconds


async def _parse_all(model: Path, texts: list[str]) -> tuple[list[str], list[float], float]:
    from rasa.core.agent import Agent

    started = time.perf_counter()
    agent = Agent.load(str(model))
    load_seconds = time.perf_counter() - started
    await agent.parse_message("warm up")
    predictions: list[str] = []
    latencies: list[float] = []
    for text in texts:
        begin = time.perf_counter()
        result = await agent.parse_message(text)
        latencies.append(time.perf_counter() - begin)
        predictions.append((result.get("intent") or {}).get("name") or "")
    return predictions, latencies, load_seconds


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def run_pipeline(
    name: str, args: argparse.Namespace, train_rows: list[Example], test_rows: list[Example]
) -> dict[str, Any]:
    from sklearn.metrics import accuracy_score, f1_score

    with tempfile.TemporaryDirectory(prefix=f"banking77-{name}-") as tmp:
        work = Path(tmp)
        os.environ["RASA_CACHE_DIRECTORY"] = str(work / "cache")
        write_nlu_yaml(train_rows, work / "train.yml")
        write_nlu_yaml(test_rows, work / "test.yml")  # for `rasa test nlu`, not used here
        epochs = write_config(name, args.epochs, work / "config.yml")
        model, train_seconds = train(work / "config.yml", work / "train.yml", work, name)
        texts = [text for text, _ in test_rows]
        gold = [intent for _, intent in test_rows]
        predicted, latencies, load_seconds = asyncio.run(_parse_all(model, texts))
        labels = sorted(set(gold))
        return {
            "benchmark": "nlu_banking77",
            "pipeline": name,
            "accuracy": round(accuracy_score(gold, predicted), 4),
            "macro_f1": round(f1_score(gold, predicted, labels=labels, average="macro"), 4),
            "train_seconds": round(train_seconds, 1),
            "parse_p50_ms": round(statistics.median(latencies) * 1000, 2),
            "parse_p90_ms": round(percentile(latencies, 0.9) * 1000, 2),
            "epochs": epochs,
            "model_load_seconds": round(load_seconds, 1),
            "model_mb": round(model.stat().st_size / 1e6, 1),
            "n_train": len(train_rows),
            "n_test": len(test_rows),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "date": dt.date.today().isoformat(),
        }


def quiet_logging() -> None:
    """Rasa's structlog messages (one per parsed message) and logs go to stderr, WARNING+."""
    import structlog

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )


def main(argv: Optional[list[str]] = None) -> int:
    available = sorted(p.stem for p in CONFIGS.glob("*.yml"))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, help="DIETClassifier epochs (default: config's)")
    parser.add_argument("--limit-train", type=int, help="random sample of N training rows")
    parser.add_argument("--limit-test", type=int, help="random sample of N test rows")
    parser.add_argument(
        "--pipelines",
        default="default,minilm",
        help=f"comma-separated names from bench/configs ({', '.join(available)})",
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="BANKING77 directory")
    args = parser.parse_args(argv)

    names = [n.strip() for n in args.pipelines.split(",") if n.strip()]
    unknown = [n for n in names if n not in available]
    if unknown:
        parser.error(f"unknown pipeline(s) {unknown}; available: {available}")

    quiet_logging()
    train_rows = read_split(args.data / "train.csv", args.limit_train)
    test_rows = read_split(args.data / "test.csv", args.limit_test)
    os.chdir(ROOT)  # configs may use paths relative to the project (e.g. SpacyNLP's model)
    for name in names:
        with contextlib.redirect_stdout(sys.stderr):  # Rasa prints progress to stdout
            result = run_pipeline(name, args, train_rows, test_rows)
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
