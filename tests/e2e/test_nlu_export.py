"""The improvement loop end to end: a misunderstood message, labelled by a supervisor,
exported as NLU YAML that `rasa data validate` accepts when merged into bot/data/."""

from __future__ import annotations

import asyncio
import shutil
import subprocess

import pytest
import yaml

from scripts.envs import RASA
from scripts.stack import ROOT

from .conftest import StaffSession, query

pytestmark = pytest.mark.e2e

SUPERVISOR = ("sam@northwind.example", "northwind-demo")
# A real customer phrasing with characters that matter in YAML and in Rasa's entity markup.
PHRASING = 'parcel says "delivered" [but] it isn\'t here: what now? #help'


async def test_labelled_messages_export_to_valid_training_data(customer, running, tmp_path):
    messages = await customer.say(PHRASING)
    message_id = messages[0]["id"]
    sam = StaffSession(running.hub_url, *SUPERVISOR)
    labelled = sam.call(
        "POST", "/api/nlu/labels", {"message_ids": [message_id], "label": "check_order_status"}
    )
    assert labelled["labels"][0]["label"] == "check_order_status"

    with sam.opener.open(f"{running.hub_url}/api/nlu/export", timeout=30) as response:
        exported = response.read().decode()
    data = yaml.safe_load(exported)
    (block,) = [b for b in data["nlu"] if b["intent"] == "check_order_status"]
    examples = [line[2:] for line in block["examples"].splitlines() if line.startswith("- ")]
    assert any("delivered" in e and "isn't here" in e for e in examples), examples

    project = tmp_path / "project"
    shutil.copytree(ROOT / "bot" / "data", project / "data")
    for name in ("domain.yml", "config.yml"):
        shutil.copy(ROOT / name, project / name)
    (project / "data" / "nlu" / "reviewed.yml").write_text(exported, encoding="utf-8")
    result = await asyncio.to_thread(
        subprocess.run,
        [
            str(RASA),
            "data",
            "validate",
            "--domain",
            "domain.yml",
            "--data",
            "data",
            "--config",
            "config.yml",
        ],  # fmt: skip
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    rows = query(running, "SELECT label FROM nlu_labels WHERE message_id = ?", message_id)
    assert rows == [("check_order_status",)]
