"""Train the Rasa model only when its inputs changed (``make train``).

The model is named after a hash of everything that shapes it (config.yml, domain.yml,
bot/data/, the project's custom NLU components and the Rasa version), so an unchanged
project never trains twice. Trained models are also kept in a cache directory shared by
every clone on the machine ($HELPDESK_CACHE, default ~/.cache/helpdesk), which lets a fresh
clone or a CI run reuse the model instead of training for minutes.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts.envs import RASA, RASA_PYTHON, rasa_version

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "bot" / "models"
LOG_DIR = ROOT / "var" / "log"
INPUTS = [
    "config.yml",
    "domain.yml",
    "bot/data",
    "bot/oos/train.yml",
    "bot/oos/other_companies.yml",
    "bot/components",
    "bot/nlp/build_spacy.py",
]
SPACY_MODEL = ROOT / "bot" / "nlp" / "build" / "spacy_en"
SPACY_BUILDER = ROOT / "bot" / "nlp" / "build_spacy.py"
KEEP_MODELS = 3


def cache_dir() -> Path:
    return Path(os.environ.get("HELPDESK_CACHE") or Path.home() / ".cache" / "helpdesk") / "models"


def _rasa_version() -> str:
    return rasa_version()


def input_files() -> list[Path]:
    files: list[Path] = []
    for name in INPUTS:
        path = ROOT / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
            )
    return files


def code_hash() -> str:
    """Hash of the project's own NLU code: Rasa's training cache keys a component by its name
    and configuration, not its code, so a changed component gets a cache of its own."""
    digest = hashlib.sha256(_rasa_version().encode())
    for path in sorted((ROOT / "bot" / "components").rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def model_hash() -> str:
    digest = hashlib.sha256(_rasa_version().encode())
    for path in input_files():
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def ensure_spacy_pipeline() -> None:
    """Build the project's spaCy pipeline (config.yml's SpacyNLP model) when missing or stale."""
    meta = SPACY_MODEL / "meta.json"
    if meta.exists() and meta.stat().st_mtime >= SPACY_BUILDER.stat().st_mtime:
        return
    subprocess.run(
        [str(RASA_PYTHON), "-m", "bot.nlp.build_spacy"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
        stdout=subprocess.DEVNULL,
    )


def model_path() -> Path:
    return MODELS / f"helpdesk-{model_hash()}.tar.gz"


def _prune(directory: Path, keep: int) -> None:
    models = sorted(directory.glob("helpdesk-*.tar.gz"), key=lambda p: p.stat().st_mtime)
    for old in models[:-keep]:
        old.unlink(missing_ok=True)


def ensure_model(quiet: bool = False) -> Path:
    """The up-to-date model, training it if neither bot/models nor the cache has it."""
    say = (lambda *_: None) if quiet else (lambda msg: print(msg, flush=True))
    ensure_spacy_pipeline()  # Rasa loads it at run time too, not only when training
    target = model_path()
    if target.exists():
        say(f"model up to date: {target.relative_to(ROOT)}")
        return target
    MODELS.mkdir(parents=True, exist_ok=True)
    cached = cache_dir() / target.name
    if cached.exists():
        shutil.copy2(cached, target)
        os.utime(target)
        say(f"model restored from cache: {target.relative_to(ROOT)}")
        return target

    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log_path = LOG_DIR / "train.log"
    say(f"training the model (log: {log_path.relative_to(ROOT)}) ...")
    started = time.monotonic()
    tmp_name = f"tmp-{os.getpid()}-{target.name[: -len('.tar.gz')]}"
    command = [
        str(RASA),
        "train",
        "--config", "config.yml",
        "--domain", "domain.yml",
        "--data", "bot/data",
        "--out", str(MODELS),
        "--fixed-model-name", tmp_name,
    ]  # fmt: skip
    rasa_cache = cache_dir().parent / "rasa-cache"
    current = rasa_cache / code_hash()
    others = [p for p in rasa_cache.glob("*") if p != current]
    for stale in sorted(others, key=lambda p: p.stat().st_mtime)[:-1]:
        shutil.rmtree(stale, ignore_errors=True)  # caches of older code: keep one
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "RASA_CACHE_DIRECTORY": str(current),
    }
    with log_path.open("w") as log:
        result = subprocess.run(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    produced = MODELS / f"{tmp_name}.tar.gz"
    if result.returncode != 0 or not produced.exists():
        tail = "".join(log_path.read_text(errors="replace").splitlines(True)[-30:])
        raise SystemExit(
            f"training failed (exit {result.returncode}); last lines of {log_path}:\n{tail}"
        )
    produced.replace(target)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(target, cached.with_suffix(".part"))
        cached.with_suffix(".part").replace(cached)
        _prune(cached.parent, keep=10)
    except OSError as exc:  # a cache we cannot write is only slower next time
        say(f"note: could not cache the model: {exc}")
    _prune(MODELS, keep=KEEP_MODELS)
    say(f"trained {target.relative_to(ROOT)} in {time.monotonic() - started:.0f} s")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--print-path", action="store_true", help="print the model path only")
    args = parser.parse_args(argv)
    if args.print_path:
        print(model_path())
        return 0
    ensure_model()
    return 0


if __name__ == "__main__":
    sys.exit(main())
