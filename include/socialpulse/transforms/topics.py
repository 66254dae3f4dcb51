"""A post's topic, from its hashtags first and its words second, in a small documented taxonomy.

The taxonomy is ours and deliberately coarse: eleven marketing interests a brand
plans content around, each with the hashtags and words that name it. A hashtag
is the author's own label, so it wins over words in the text ("New on #music:
deals" is music, not deals); a post naming none of them is `other`.
Light to import (no pandas): the entity declarations name TOPICS.
"""

from __future__ import annotations

import re

TAXONOMY: dict[str, tuple[str, ...]] = {
    "fashion": ("fashion", "style", "outfit", "ootd", "apparel", "streetwear"),
    "music": ("music", "concert", "playlist", "album", "festival"),
    "travel": ("travel", "trip", "vacation", "wanderlust", "holiday", "getaway"),
    "home": ("home", "interior", "decor", "garden", "diy"),
    "kids": ("kids", "family", "parenting", "baby", "toddler"),
    "deals": ("deals", "deal", "sale", "discount", "offer", "coupon"),
    "tech": ("tech", "gadget", "gadgets", "ai", "software", "smartphone"),
    "business": ("business", "startup", "entrepreneur", "career", "productivity"),
    "news": ("news", "breaking", "headline", "update"),
    "sports": ("sports", "sport", "football", "soccer", "running", "fitness"),
    "food": ("food", "recipe", "foodie", "cooking", "restaurant", "snack"),
}
OTHER = "other"
TOPICS: tuple[str, ...] = (*TAXONOMY, OTHER)
_TOPIC_OF_WORD = {word: topic for topic, words in TAXONOMY.items() for word in words}
_HASHTAG = re.compile(r"#(\w+)")
_WORD = re.compile(r"[a-z]+")


def topic_of(text: str | None) -> str:
    """The topic of a post's text: its first hashtag in the taxonomy, else its first word in it, else `other`."""
    if not text:
        return OTHER
    lowered = text.lower()
    for tag in _HASHTAG.findall(lowered):
        if tag in _TOPIC_OF_WORD:
            return _TOPIC_OF_WORD[tag]
    for word in _WORD.findall(lowered):
        if word in _TOPIC_OF_WORD:
            return _TOPIC_OF_WORD[word]
    return OTHER
