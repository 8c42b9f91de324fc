"""A small help centre and questions with the section that answers each (the search tests).

The articles are written for the tests (not the demo shop's), so that the demo content can
change without moving the tests. ``LEXICAL`` questions share words with their section;
``PARAPHRASED`` ones share (almost) none: only the semantic ranking finds them.
"""

from __future__ import annotations

ARTICLES = {
    "returns-and-refunds": {
        "title": "Returns and refunds",
        "category": "returns-refunds",
        "tags": ["return", "refund"],
        "summary": "How to send an item back and get your money.",
        "body": (
            "You can return most items.\n\n"
            "## How long do I have to return an item?\n"
            "You have {{ shop.returns.days }} days from delivery to return an item. "
            "It must be {{ shop.returns.condition }}.\n\n"
            "## When will I get my refund?\n"
            "Refunds are paid {{ shop.returns.refund_days }}, to {{ shop.returns.refund_to }}.\n"
        ),
    },
    "delivery-times-and-costs": {
        "title": "Delivery times and costs",
        "category": "delivery",
        "tags": ["delivery", "shipping"],
        "summary": "How fast and how much.",
        "body": (
            "## How long does delivery take?\n"
            "Standard delivery takes {{ shop.shipping.standard.days }}; express delivery takes "
            "{{ shop.shipping.express.days }}.\n\n"
            "## How much does shipping cost?\n"
            "Standard shipping costs {{ shop.currency_symbol }}{{ shop.shipping.standard.cost }}"
            " and is free on orders over {{ shop.currency_symbol }}{{ shop.shipping.free_over }}.\n"
        ),
    },
    "caring-for-wooden-furniture": {
        "title": "Caring for wooden furniture",
        "category": "product-care",
        "tags": ["wood", "care"],
        "summary": "Keep oak and walnut looking good.",
        "body": (
            "## Cleaning wood\n"
            "Dust wooden furniture with a soft dry cloth. Wipe spills at once and never soak "
            "the wood.\n\n"
            "## Scratches and rings\n"
            "Light scratches in oiled oak fade with a little furniture oil rubbed along the "
            "grain. A white ring from a hot mug usually lifts with a warm hairdryer.\n"
        ),
    },
    "gift-cards": {
        "title": "Gift cards",
        "category": "payments-invoices",
        "tags": ["gift card"],
        "summary": "Buying and using gift cards.",
        "body": (
            "## Gift card values\n"
            "Gift cards are sold from {{ shop.currency_symbol }}{{ shop.gift_cards.min }} to "
            "{{ shop.currency_symbol }}{{ shop.gift_cards.max }}.\n\n"
            "## How long is a gift card valid?\n"
            "A gift card is valid for {{ shop.gift_cards.valid_months }} months.\n"
        ),
    },
}

LEXICAL = [
    (
        "how long do I have to return an item",
        "returns-and-refunds#how-long-do-i-have-to-return-an-item",
    ),
    ("when is my refund paid", "returns-and-refunds#when-will-i-get-my-refund"),
    ("shipping cost", "delivery-times-and-costs#how-much-does-shipping-cost"),
    ("how long does express delivery take", "delivery-times-and-costs#how-long-does-delivery-take"),
    ("scratches on oiled oak table", "caring-for-wooden-furniture#scratches-and-rings"),
    ("is my gift card still valid", "gift-cards#how-long-is-a-gift-card-valid"),
]

PARAPHRASED = [
    (
        "can I send back a jumper I bought three weeks ago",
        "returns-and-refunds#how-long-do-i-have-to-return-an-item",
    ),
    (
        "my hot coffee cup left a white mark on the sideboard",
        "caring-for-wooden-furniture#scratches-and-rings",
    ),
    ("when does the money come back to my card", "returns-and-refunds#when-will-i-get-my-refund"),
    ("is there a maximum value for vouchers", "gift-cards#gift-card-values"),
]

OFF_TOPIC = [
    "will it rain in london tomorrow",
    "who won the football last night",
    "tell me a joke about penguins",
]


async def seed(db, facts: dict, articles: dict = ARTICLES) -> None:
    """Publish ``articles`` straight through the domain layer (no HTTP, no vectors)."""
    from ticketing.knowledge import articles as kb

    for slug, fields in articles.items():
        article = await kb.create(db, slug, kb.validate(fields, facts), None, who="test")
        await kb.publish(db, article, facts, article.version)
