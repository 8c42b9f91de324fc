"""Where the project's two environments are (scripts/bootstrap.sh builds them).

Rasa, the action server and the bot's tests run in ``.venv`` (Python 3.10, Rasa's pins); the
hub, its tests and the process supervisor in ``.venv-hub`` (a current Python). Scripts and
tests start each process with the interpreter of its own environment, whichever one they
run in themselves. ``HELPDESK_RASA_ENV`` and ``HELPDESK_HUB_ENV`` point elsewhere (a
production install with its own environments).
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RASA_ENV = Path(os.environ.get("HELPDESK_RASA_ENV") or ROOT / ".venv")
HUB_ENV = Path(os.environ.get("HELPDESK_HUB_ENV") or ROOT / ".venv-hub")
RASA_PYTHON = RASA_ENV / "bin" / "python"
RASA = RASA_ENV / "bin" / "rasa"
HUB_PYTHON = HUB_ENV / "bin" / "python"


def rasa_version() -> str:
    """The Rasa release the project pins (requirements.txt), read without importing Rasa."""
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line.startswith("rasa=="):
            return line.split("==", 1)[1].split()[0]
    return "unknown"
