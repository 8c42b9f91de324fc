"""The model is retrained exactly when one of its inputs changes."""

from __future__ import annotations

from scripts import train


def test_model_hash_follows_the_inputs(tmp_path, monkeypatch):
    (tmp_path / "bot" / "data").mkdir(parents=True)
    (tmp_path / "config.yml").write_text("pipeline: []\n")
    (tmp_path / "domain.yml").write_text("intents: [greet]\n")
    (tmp_path / "bot" / "data" / "nlu.yml").write_text("nlu: []\n")
    monkeypatch.setattr(train, "ROOT", tmp_path)
    first = train.model_hash()
    assert train.model_hash() == first
    (tmp_path / "bot" / "data" / "nlu.yml").write_text("nlu: [x]\n")
    second = train.model_hash()
    assert second != first
    (tmp_path / "bot" / "data" / "more.yml").write_text("rules: []\n")
    third = train.model_hash()
    assert third not in (first, second)
    (tmp_path / "README.md").write_text("not an input")
    assert train.model_hash() == third
