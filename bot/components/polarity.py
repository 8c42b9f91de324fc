"""Plain yes/no answers decided by rule, without a classifier (no Rasa imports).

A neural classifier reads "absolutely not" as ``affirm`` ("absolutely" is a strong yes word
in its training data); a form acting on that does the opposite of what the customer said.
``polarity(text)`` gives ``"affirm"``, ``"deny"`` or ``None`` (not a plain yes/no answer):

- only short messages (``max_words``) are decided;
- ``strict``: every word must be a yes/no word, a negation or filler ("yes please",
  "nope, never", "not at all", "no thanks", "why not", "no problem, go ahead"); otherwise
  (when a classifier already reads the message as a yes or a no) other words are allowed
  and only the polarity is decided;
- a negation anywhere wins over yes words ("absolutely not", "of course not"), except in the
  fixed phrases that mean yes ("why not", "no problem", "I don't mind", "wouldn't say no");
- an uncertain answer ("not sure", "maybe", "I don't know") is never a yes or a no.

Used by the NLU component ``bot.components.yes_no.YesNoGuard`` and by the actions' answer
parsing (``bot.actions.common.parse_yes_no``), so both read a yes and a no the same way.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional

AFFIRM, DENY = "affirm", "deny"

# Whole phrases, matched on word boundaries, longest first.
YES_PHRASES = (
    "why not", "no problem", "not a problem", "no problem at all", "no worries", "no doubt",
    "no objection", "no objections", "don't mind", "dont mind", "do not mind",
    "wouldn't say no", "would not say no", "wouldnt say no", "can't complain",
    "cant complain", "not a bad idea", "couldn't agree more", "could not agree more",
    "no reason not to", "i don't see why not", "don't see why not", "go for it",
    "of course", "go ahead", "go on", "sounds good", "sounds great", "that works",
    "please do", "do it", "do that", "that's right", "thats right", "that is right",
    "all right", "you bet", "for sure", "sure thing", "yes please", "please yes",
    "by all means", "fine by me", "ok then", "okay then", "i do", "i would", "i will",
    "it is", "that's it", "that's the one", "that one", "no harm in that", "no harm",
    "i guess so", "i think so", "i reckon so", "i believe so", "guess so", "reckon so",
    "righty ho", "that would help", "that's mine", "thats mine", "i'm sure", "im sure",
    "wouldn't mind", "wouldnt mind", "would not mind", "without a doubt", "no doubt about it",
    "spot on", "okie dokie", "okey dokey", "you got it", "yes you can", "yes you may",
    "you may", "you can", "that's correct", "thats correct", "it did", "it was", "it has",
    "it worked", "that worked", "all good", "can't see why not", "cant see why not",
    "can't hurt", "cant hurt", "couldn't hurt", "no harm trying",
    "don't mind if i do", "dont mind if i do", "uh huh", "roger that", "too right",
    "sounds perfect", "sounds lovely", "that'd be lovely", "that'd be great", "that'd be nice",
    "that would be great", "that would be lovely", "i'd love that", "i'd like that",
)  # fmt: skip
UNCERTAIN_PHRASES = (
    "not sure", "i'm not sure", "im not sure", "no idea", "don't know", "dont know",
    "do not know", "maybe", "perhaps", "not certain", "unsure", "possibly", "might",
    "depends", "kind of", "sort of", "dunno", "no clue",
)  # fmt: skip
NO_PHRASES = (
    "no thanks", "no thank you", "not really", "not at all", "not now", "not right now",
    "not yet", "not today", "no way", "no chance", "hell no", "rather not", "i'd rather not",
    "don't bother", "dont bother", "do not bother", "don't", "dont", "do not", "never mind",
    "nevermind", "not interested", "no need", "not necessary", "i'm good", "im good",
    "i'm fine", "im fine", "i am good", "i am fine", "i'm ok", "i'm okay", "leave it",
    "forget it", "not for me", "no ta", "not that", "not that one", "that's wrong",
    "thats wrong", "that's not it", "i don't think so", "i dont think so", "don't think so",
    "i do not think so", "i don't want", "i dont want", "i do not want", "i won't", "i wont",
    "i wouldn't", "i would not", "it isn't", "it's not", "it is not", "that isn't",
    "i'll pass", "pass", "not needed", "not on your life", "heck no",
    "doubt it", "i doubt it", "not at this time", "i'm alright", "im alright", "i'm sorted",
    "im sorted", "i'm all set", "im all set", "that's all", "thats all",
    "not at the moment", "not in the slightest", "not for now", "not this time",
    "nothing else", "nothing more", "that's everything", "thats everything", "not bothered",
    "i'm sound", "im sound", "sadly not", "afraid not", "unfortunately not", "not mine",
    "isn't mine", "not my order", "wrong order", "wrong number", "wrong one", "god no",
    "won't be necessary", "wont be necessary", "no more", "not needed", "not quite",
    "no need to", "i don't believe so", "i dont believe so", "don't believe so",
    "i'd prefer not", "prefer not", "some other time", "another time", "not my order number",
    "you're alright", "youre alright", "no complaint", "no refund",
)  # fmt: skip
YES_WORDS = {
    "yes", "yeah", "yea", "yep", "yup", "ya", "yah", "yas", "yass", "ye", "y", "aye",
    "sure", "ok", "okay", "k", "kk", "okey", "okie", "alright", "alrighty", "righto",
    "right", "correct", "exactly", "absolutely", "definitely", "certainly", "indeed",
    "affirmative", "agreed", "agree", "fine", "great", "perfect", "good", "cool", "lovely",
    "brilliant", "please", "yessir", "totally", "true", "precisely", "deffo", "defo",
    "obviously", "gladly", "uh-huh", "uhuh", "mhm", "yesh", "yis", "👍", "positive", "yh",
}  # fmt: skip
NO_WORDS = {
    "no", "nope", "nah", "naw", "nay", "not", "never", "negative", "n", "nop", "noo",
    "nooo", "nada", "neither", "wrong", "incorrect", "cancel", "nothing", "👎",
}  # fmt: skip
# Words that may accompany a yes or no without changing it.
FILLER = {
    "i", "it", "its", "it's", "that", "that's", "thats", "this", "is", "was", "am", "are",
    "thanks", "thank", "you", "ta", "cheers", "mate", "then", "just", "really", "at",
    "all", "for", "now", "oh", "ah", "um", "uh", "hmm", "well", "so", "very", "much",
    "one", "thing", "the", "a", "to", "me", "sir", "madam", "dear", "lol", "haha",
    "buddy", "pal", "love", "hun", "man", "dude", "bro", "still", "thx", "tks", "pls",
    "plz", "please", "kindly", "again", "sorry", "and", "but", "on", "of", "way", "do",
    "would", "will", "be", "nice", "happy", "with", "by", "means", "bother",
    "good", "fine", "course", "idea", "problem", "need", "interested", "today", "yet",
    "ever", "chance", "rather", "think", "want", "mind", "certainly", "surely",
    "have", "here", "i've", "i'll", "i'm", "im", "actually", "bruv", "u", "as", "done", "mine",
    "later", "needed",
}  # fmt: skip
NEGATION_OPENERS = {"no", "nope", "nah", "not", "never", "don't", "dont", "negative"}
# negated verbs: a no in the loose reading ("that won't be necessary", "it didn't work")
NEGATED = re.compile(r"^\w+n't$|^(?:cannot|cant|wont|dont|didnt|doesnt|isnt|wasnt|arent|havent)$")

_WORD = re.compile(r"[a-z]+(?:['\u2019][a-z]+)?|👍|👎")


_SPELLINGS = (
    (re.compile(r"^y+e+s+$|^y+e+s+h*$"), "yes"),
    (re.compile(r"^y+e+a+h*$"), "yeah"),
    (re.compile(r"^y+e+h+$"), "yeah"),
    (re.compile(r"^y+u+p+$"), "yup"),
    (re.compile(r"^y+e+p+$"), "yep"),
    (re.compile(r"^n+o+p+e*s*$"), "nope"),
    (re.compile(r"^n+o+$"), "no"),
    (re.compile(r"^n+a+h+s*$"), "nah"),
    (re.compile(r"^y+s+e+$"), "yes"),
    (re.compile(r"^o+k+a*y*$"), "ok"),
)


def _words(text: str) -> List[str]:
    lowered = text.lower().replace("\u2019", "'")
    words = []
    for word in _WORD.findall(lowered):
        for pattern, spelling in _SPELLINGS:
            if pattern.match(word):
                word = spelling
                break
        words.append(word)
    return words


def _find(phrase: str, joined: str) -> bool:
    return re.search(rf"(?<![a-z']){re.escape(phrase)}(?![a-z'])", joined) is not None


def _remove(phrase: str, joined: str) -> str:
    return re.sub(rf"(?<![a-z']){re.escape(phrase)}(?![a-z'])", " ", joined)


def cues(text: Optional[str], max_words: int = 7) -> Optional[Dict[str, bool]]:
    """Yes cues, no cues and other words of a short message (``None``: not short, or unsure)."""
    if not text or text.startswith("/"):
        return None
    words = _words(text)
    if not words or len(words) > max_words:
        return None
    rest = " ".join(words)
    hedged = False
    for phrase in sorted(UNCERTAIN_PHRASES, key=len, reverse=True):
        if _find(phrase, rest):
            hedged, rest = True, _remove(phrase, rest)
    found = {"yes": "👍" in words, "no": "👎" in words, "other": False}
    for phrase in sorted(YES_PHRASES, key=len, reverse=True):
        if _find(phrase, rest):
            found["yes"], rest = True, _remove(phrase, rest)
    for phrase in sorted(NO_PHRASES, key=len, reverse=True):
        if _find(phrase, rest):
            found["no"], rest = True, _remove(phrase, rest)
    for word in rest.split():
        if word in NO_WORDS or NEGATED.match(word):
            found["no"] = True
        elif word in YES_WORDS:
            found["yes"] = True
        elif word not in FILLER:
            found["other"] = True
    if hedged and not (found["yes"] or found["no"]):
        return None  # "not sure", "maybe": neither a yes nor a no
    return found


def polarity(text: Optional[str], max_words: int = 7, strict: bool = True) -> Optional[str]:
    """``"affirm"``, ``"deny"``, or ``None`` when ``text`` is not a plain yes/no answer.

    ``strict``: every word must be a yes/no word, a negation or filler. Otherwise (used when
    the classifier already reads the message as yes or no) other words are allowed and only
    the polarity is decided: any negation makes it ``deny``.
    """
    found = cues(text, max_words)
    if found is None or (strict and found["other"]):
        return None
    if found["no"]:
        return DENY
    if found["yes"] or not strict:
        return AFFIRM
    return None


def uncertain(text: Optional[str]) -> bool:
    """ "not sure", "maybe", "I don't know": neither a yes nor a no."""
    joined = " ".join(_words(text or ""))
    return any(_find(p, joined) for p in UNCERTAIN_PHRASES)


_OPENING = re.compile(r"^\s*([A-Za-z']+)\s*[,.!;:\u2013\u2014-]+\s*\S")
_CLOSING = re.compile(r"\S\s*[,.;\u2013\u2014-]+\s*([A-Za-z']+)\s*[.!]*\s*$")
OPENING_YES = {"yes", "yeah", "yep", "yup", "aye", "sure", "ok", "okay"}
OPENING_NO = {"no", "nope", "nah", "never"}


def opening(text: Optional[str], max_words: int = 5) -> Optional[str]:
    """A short answer that opens with "yes," / "no," and goes on ("no, different order",
    "yes, that's the one"), or ends with ", yes" / ", no" ("it's fixed, yes"): that word
    decides. Only for a few words and no question: "no, my parcel still hasn't come?" is a
    request, not an answer."""
    if len(_words(text or "")) > max_words or "?" in (text or ""):
        return None
    match = _OPENING.match(text or "") or _CLOSING.search(text or "")
    if not match:
        return None
    first = _words(match.group(1))
    if not first:
        return None
    if first[0] in OPENING_NO:
        return DENY
    if first[0] in OPENING_YES:
        return AFFIRM
    return None


def opens_with_negation(text: Optional[str]) -> bool:
    words = _words(text or "")
    return bool(words) and words[0] in NEGATION_OPENERS
