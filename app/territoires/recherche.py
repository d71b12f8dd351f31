"""« Rechercher la collectivité »: accent-, case- and punctuation-insensitive search."""

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normaliser(texte: str) -> str:
    """'Saint-Étienne' -> 'saint etienne': lower case, no accents, punctuation as spaces."""
    decomposed = unicodedata.normalize("NFKD", texte.lower())
    without_accents = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_ALNUM.sub(" ", without_accents.replace("œ", "oe").replace("æ", "ae")).strip()
